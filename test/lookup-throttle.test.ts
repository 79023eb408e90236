/**
 * Finding 4 of issue 12 (probing for rooms): hundreds of concurrent joins naming rooms that do
 * not exist, from one address, spread over two nodes sharing one Redis. Only the budget of failed
 * lookups reaches the directory; the rest are refused with lookup_throttled and retryAfterSeconds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';
import { startTestRedis, type TestRedis } from './support/redis.js';

const BUDGET = 25;

interface JoinOutcome {
  ok: boolean;
  code?: string;
  details?: { retryAfterSeconds?: number };
}

/** One protocol-level participant from `localAddress`: hello, join, then leave (or close). */
function tryJoin(wsUrl: string, address: string, localAddress = '127.0.0.1'): Promise<JoinOutcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { localAddress });
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'hello', data: { protocolVersion: 1 } })));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { id?: number; ok?: boolean; error?: { code: string; details?: JoinOutcome['details'] } };
      if (msg.id === 1) ws.send(JSON.stringify({ id: 2, method: 'join', data: { address, displayName: 'Prober', mode: 'audio-only', bandwidthKbps: 256 } }));
      if (msg.id === 2) {
        if (msg.ok) ws.send(JSON.stringify({ id: 3, method: 'leave', data: {} }));
        else ws.close();
        resolve(msg.ok ? { ok: true } : { ok: false, code: msg.error?.code, ...(msg.error?.details ? { details: msg.error.details } : {}) });
      }
    });
  });
}

const count = (outcomes: JoinOutcome[], code: string) => outcomes.filter((o) => o.code === code).length;

describe('failed-lookup throttle across nodes', () => {
  let redis: TestRedis;
  let a: ServiceFixture;
  let b: ServiceFixture;
  let room: string;

  beforeAll(async () => {
    redis = await startTestRedis();
    const overrides = {
      store: { redisUrl: redis.url },
      signaling: { maxConnectionsPerAddress: 1000 },
      meetings: { lookups: { maxFailuresPerSource: BUDGET, windowSeconds: 120 } },
    };
    a = await startServiceFixture(overrides);
    b = await startServiceFixture(overrides);
    room = (await createRoom(a, await createCompany(a))).address;
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('lookups that find a room never use up the budget', async () => {
    // More concurrent joins of a room that exists than the budget: all get in.
    const outcomes = await Promise.all(Array.from({ length: 3 * BUDGET }, (_, i) => tryJoin((i % 2 ? a : b).wsUrl, room, '127.0.0.4')));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3 * BUDGET);
    // …and the same address still has its whole budget of failures.
    const misses = await Promise.all(Array.from({ length: BUDGET }, (_, i) => tryJoin(a.wsUrl, `missing.${i}@convene.example`, '127.0.0.4')));
    expect(count(misses, 'meeting_not_found')).toBe(BUDGET);
  });

  it('300 concurrent probes from one address over two nodes: exactly the budget is looked up, the rest throttled', async () => {
    const probes = Array.from({ length: 300 }, (_, i) =>
      tryJoin((i % 2 ? a : b).wsUrl, i % 3 === 0 ? String(100_000_000 + i * 7919) : `probe.${i}@convene.example`),
    );
    const outcomes = await Promise.all(probes);
    expect(count(outcomes, 'meeting_not_found')).toBe(BUDGET);
    expect(count(outcomes, 'lookup_throttled')).toBe(300 - BUDGET);
    const throttled = outcomes.find((o) => o.code === 'lookup_throttled')!;
    expect(throttled.details?.retryAfterSeconds).toBeGreaterThan(0);
    expect(throttled.details?.retryAfterSeconds).toBeLessThanOrEqual(120);

    // While throttled, the address learns nothing, not even about rooms that exist.
    expect(await tryJoin(b.wsUrl, room)).toMatchObject({ ok: false, code: 'lookup_throttled' });
    // Other addresses are not affected.
    expect(await tryJoin(a.wsUrl, room, '127.0.0.2')).toEqual({ ok: true });
    expect(await tryJoin(b.wsUrl, 'nobody@convene.example', '127.0.0.3')).toMatchObject({ ok: false, code: 'meeting_not_found' });
  });
});
