/**
 * The stack's front door: domains we do not host are refused (never relayed), unsupported URI
 * schemes / extensions / hop counts get their RFC status, failing handlers leak nothing, and a
 * source over its rate is dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/src/index.js';
import type { SipStack } from '../src/sip/index.js';
import { metricValue, port, startStack } from './support/stack.js';

const stacks: SipStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.stop()));
});

async function pair(serverOpts: Parameters<typeof startStack>[0] = {}, clock?: ManualClock) {
  const server = await startStack(serverOpts, clock);
  const { stack: client } = await startStack();
  stacks.push(server.stack, client);
  const target = { protocol: 'udp' as const, address: '127.0.0.1', port: port(server.stack, 'udp') };
  return { server: server.stack, registry: server.registry, client, target };
}

describe('defences', () => {
  it('refuses requests for domains we do not host: 404, and 403 for REGISTER', async () => {
    const { server, client, target } = await pair();
    const relayed: string[] = [];
    server.handle('MESSAGE', (req) => {
      relayed.push(req.method);
      req.respond(200);
    });
    server.handle('REGISTER', (req) => {
      relayed.push(req.method);
      req.respond(200);
    });
    expect((await client.request('MESSAGE', { uri: 'sip:bob@elsewhere.example', target, body: 'x', contentType: 'text/plain' })).status).toBe(404);
    expect((await client.request('REGISTER', { uri: 'sip:elsewhere.example', target })).status).toBe(403);
    expect((await client.request('MESSAGE', { uri: 'sip:bob@CONVENE.test', target, body: 'x', contentType: 'text/plain' })).status).toBe(200);
    expect(relayed).toEqual(['MESSAGE']);
  });

  it('answers unsupported schemes 416, Max-Forwards 0 with 483 and unknown Require with 420 + Unsupported', async () => {
    const { client, target } = await pair();
    expect((await client.request('MESSAGE', { uri: 'tel:+15550100', target })).status).toBe(416);
    expect((await client.request('MESSAGE', { uri: 'sip:room@convene.test', target, headers: { 'Max-Forwards': '0' } })).status).toBe(483);
    const ext = await client.request('MESSAGE', { uri: 'sip:room@convene.test', target, headers: { Require: 'timer, x-magic' } });
    expect(ext.status).toBe(420);
    expect(ext.get('Unsupported')).toBe('x-magic');
  });

  it('answers 405 with Allow for methods without a handler, and OPTIONS with capabilities', async () => {
    const { server, client, target } = await pair();
    server.handle('MESSAGE', (req) => req.respond(200));
    const sub = await client.request('SUBSCRIBE', { uri: 'sip:room@convene.test', target });
    expect(sub.status).toBe(405);
    expect(sub.getAll('Allow').join(',')).toContain('MESSAGE');
    const opt = await client.request('OPTIONS', { uri: 'sip:room@convene.test', target });
    expect(opt.status).toBe(200);
    expect(opt.getAll('Allow')).toContain('INVITE');
    expect(opt.getAll('Supported')).toContain('timer');
  });

  it('turns a throwing handler into a bare 500 without internals', async () => {
    const { server, client, target } = await pair();
    server.handle('MESSAGE', () => {
      throw new Error('db password wrong at /srv/secret/10.0.0.7');
    });
    server.handle('INFO', async () => Promise.reject(new Error('async failure 10.0.0.7')));
    for (const method of ['MESSAGE', 'INFO']) {
      const res = await client.request(method, { uri: 'sip:room@convene.test', target });
      expect(res.status).toBe(500);
      const text = `${res.reason}\n${res.headers.map((h) => `${h.name}: ${h.value}`).join('\n')}\n${res.body.toString()}`;
      expect(text).not.toMatch(/10\.0\.0\.7|secret|password|failure|\bat \//);
    }
  });

  it('drops requests from a source over its rate and counts them', async () => {
    const clock = new ManualClock(Date.now()); // frozen: no tokens come back during the test
    const { client, target, registry } = await pair({ limits: { ratePerSecond: 1, rateBurst: 3 } }, clock);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => client.request('OPTIONS', { uri: 'sip:room@convene.test', target })),
    );
    const answered = results.filter((r) => r.status === 'fulfilled');
    const dropped = results.filter((r) => r.status === 'rejected');
    expect(answered).toHaveLength(3);
    expect(dropped).toHaveLength(2);
    for (const d of dropped) expect(d.status === 'rejected' && (d.reason as { code?: string }).code).toBe('TIMEOUT');
    expect(await metricValue(registry, 'sip_requests_refused_total', { reason: 'rate_limited' })).toBeGreaterThanOrEqual(2);
  });

  it('answers 480 to an INVITE the handler leaves unanswered past maxRingSeconds', async () => {
    const clock = new ManualClock(Date.now());
    const { server, client } = await pair({ limits: { maxRingSeconds: 60, ratePerSecond: 0 } }, clock);
    let ringing = 0;
    server.handle('INVITE', (req) => {
      ringing++;
      req.respond(180);
    });
    const call = client.invite({ uri: `sip:room@127.0.0.1:${port(server, 'udp')}`, body: 'v=0\r\n' });
    await call.events.waitFor('provisional', 5_000);
    expect(ringing).toBe(1);
    clock.advance(60_000);
    expect(await call.result).toMatchObject({ ok: false, reason: 'rejected', status: 480 });
  });
});
