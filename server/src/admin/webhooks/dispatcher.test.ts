import http from 'node:http';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../common/src/index.js';
import { startTestRedis, type TestRedis } from '../../../../test/support/redis.js';
import { AdminConfigSchema } from '../config.js';
import { WebhookDispatcher } from './dispatcher.js';
import type { WebhookEndpointRecord, WebhookEvent } from './model.js';
import { verifyWebhook } from './signature.js';
import { WebhookStore } from './store.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => redis?.stop());

const config = { ...AdminConfigSchema.parse({}).webhooks, allowPrivateTargets: true, initialBackoffMs: 50, maxBackoffMs: 200, retryForMs: 60_000 };

function dispatcher(store: WebhookStore, endpoints: WebhookEndpointRecord[]) {
  return new WebhookDispatcher({
    store, endpointsFor: async () => endpoints, clock: systemClock, logger: pino({ level: 'silent' }), registry: new Registry(), config,
  });
}

async function until(fn: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('webhook dispatcher', () => {
  it('undelivered events stay in Redis: a new dispatcher (a restarted node) delivers them, in order', async () => {
    const got: { body: string; headers: http.IncomingHttpHeaders }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ body, headers: req.headers });
        res.writeHead(200).end();
      });
    });
    // A port that refuses now and listens later.
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise((r) => server.close(r));

    const store = new WebhookStore(redis.client);
    const ep: WebhookEndpointRecord = { id: 'wh_restart', companyId: 'co1', url: `http://127.0.0.1:${port}/`, description: '', events: [], active: true, createdAt: new Date().toISOString(), secret: 'whsec_test' };
    expect(await store.add(ep, 10)).toBe(true);
    const first = dispatcher(store, [ep]);
    const events: WebhookEvent[] = Array.from({ length: 5 }, (_, i) => ({
      id: `evt_${i}`, type: 'participant.joined', createdAt: new Date().toISOString(), companyId: 'co1', meetingId: 'm1', data: { n: i },
    }));
    for (const e of events) first.publish(e);
    await first.queued();
    // Refused attempts at the head, and nothing behind it sent meanwhile.
    let recent = await store.recent(ep.id, 50);
    while (recent.length < 2) {
      await new Promise((r) => setTimeout(r, 20));
      recent = await store.recent(ep.id, 50);
    }
    first.close();
    expect((await store.stats(ep.id)).pending).toBe(5);
    expect(recent.every((d) => d.outcome === 'failed' && d.eventId === 'evt_0' && d.status === null)).toBe(true);

    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const second = dispatcher(store, [ep]);
    await second.start();
    await until(() => got.length === 5);
    // The receiver has the last POST a moment before the dispatcher takes it off the list.
    while ((await store.stats(ep.id)).pending > 0 || (await store.activeQueues()).length > 0) await new Promise((r) => setTimeout(r, 20));
    second.close();
    await new Promise((r) => server.close(r));
    expect(got.map((g) => (JSON.parse(g.body) as WebhookEvent).id)).toEqual(events.map((e) => e.id));
    expect(got.every((g) => verifyWebhook('whsec_test', { signature: g.headers['convene-signature'] as string, timestamp: g.headers['convene-timestamp'] as string }, g.body))).toBe(true);
    expect(await store.stats(ep.id)).toMatchObject({ pending: 0, gaveUp: 0, last: { outcome: 'delivered', eventId: 'evt_4' } });
    expect(await store.activeQueues()).toEqual([]);
  });

  it('an endpoint\'s backlog is bounded: beyond maxQueuedPerEndpoint new events are dropped, not stored', async () => {
    const store = new WebhookStore(redis.client);
    const ep: WebhookEndpointRecord = { id: 'wh_full', companyId: 'co2', url: 'http://127.0.0.1:1/', description: '', events: [], active: true, createdAt: new Date().toISOString(), secret: 's' };
    await store.add(ep, 10);
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => store.enqueue(ep.id, `m${i % 3}`, JSON.stringify({ i }), 12)));
    expect(results.filter(Boolean)).toHaveLength(12);
    expect((await store.stats(ep.id)).pending).toBe(12);
    await store.remove(ep);
    expect((await store.activeQueues()).filter((q) => q.endpointId === ep.id)).toEqual([]);
    // The per-scope endpoint limit holds under concurrent creates.
    const adds = await Promise.all(Array.from({ length: 40 }, (_, i) => store.add({ ...ep, id: `wh_many_${i}`, companyId: 'co3' }, 10)));
    expect(adds.filter(Boolean)).toHaveLength(10);
  });
});
