/**
 * Acceptance: over the dialog limit new INVITEs get 503 + Retry-After while the calls already
 * established keep working (their BYEs succeed); over the transaction limit new requests get 503.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SipStack } from '../src/sip/index.js';
import { countMessages, freePort, runSipp } from './support/sipp.js';
import { port, startStack, waitUntil } from './support/stack.js';

const stacks: SipStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.stop()));
});

describe('overload protection', () => {
  it('refuses INVITEs beyond the dialog limit with 503 + Retry-After; established calls still hang up', async () => {
    const { stack } = await startStack({ limits: { maxDialogs: 3, retryAfterSeconds: 17, ratePerSecond: 0 } });
    stacks.push(stack);
    const ended: string[] = [];
    stack.handle('INVITE', (req) => {
      req.accept({ body: 'v=0\r\n' }).events.on('terminated', (r) => ended.push(r));
    });
    // 5 calls started 10 ms apart, each held 1.5 s: calls 4 and 5 arrive while 3 are up.
    const run = await runSipp({
      scenario: { file: join(import.meta.dirname, 'sipp', 'uac-hold.xml') },
      remote: `127.0.0.1:${port(stack, 'udp')}`,
      localPort: await freePort(),
      calls: 5,
      timeoutSeconds: 30,
      extra: ['-s', 'room', '-r', '100', '-l', '5', '-d', '1500'],
    });
    expect(run.code, run.stderr).toBe(0);
    const refusals = run.messages.split(/^-{10,}.*$/m).filter((b) => /^\s*UDP message received[^\n]*\n\s*SIP\/2\.0 503 /m.test(b));
    expect(refusals).toHaveLength(2);
    for (const r of refusals) expect(r).toMatch(/^Retry-After: 17\r?$/m);
    // The three established calls ended by the caller's BYE, each answered 200.
    expect(countMessages(run.messages, 'sent', /^BYE /)).toBe(3);
    expect(ended).toEqual(['remote_bye', 'remote_bye', 'remote_bye']);
    await waitUntil(() => stack.dialogCount === 0);
  });

  it('refuses new requests beyond the transaction limit with 503, and accepts again once below it', async () => {
    const { stack: server } = await startStack({ limits: { maxServerTransactions: 2, ratePerSecond: 0 } });
    const { stack: client } = await startStack();
    stacks.push(server, client);
    const held: (() => void)[] = [];
    server.handle('MESSAGE', (req) => void held.push(() => req.respond(200)));
    const uri = `sip:room@127.0.0.1:${port(server, 'udp')}`;
    const first = client.request('MESSAGE', { uri, body: 'a', contentType: 'text/plain' });
    const second = client.request('MESSAGE', { uri, body: 'b', contentType: 'text/plain' });
    await waitUntil(() => held.length === 2);
    const third = await client.request('MESSAGE', { uri, body: 'c', contentType: 'text/plain' });
    expect(third.status).toBe(503);
    expect(third.get('Retry-After')).toBe('30');
    for (const answer of held) answer();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    // Completed NISTs linger for Timer J over UDP; once they end, requests are accepted again.
    await waitUntil(() => server.transactionCount === 0);
    const fourth = client.request('MESSAGE', { uri, body: 'd', contentType: 'text/plain' });
    await waitUntil(() => held.length === 3);
    held[2]?.();
    expect((await fourth).status).toBe(200);
  });
});
