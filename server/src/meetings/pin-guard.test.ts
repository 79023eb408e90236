import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { PinGuard, type PinAttempt, type PinGuardConfig } from './pin-guard.js';

/** PinGuard against a real redis-server: budgets hold under concurrency, back-off doubles, refunds give back. */
let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

const DEFAULTS: PinGuardConfig = {
  maxFailuresPerRoom: 20,
  maxFailuresPerSource: 10,
  windowSeconds: 600,
  backoff: { freeFailures: 3, baseMs: 1000, maxMs: 300_000 },
};
let n = 0;
const fresh = (prefix: string) => `${prefix}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
const granted = (results: PinAttempt[]) => results.filter((r) => r.ok).length;

describe('PinGuard', () => {
  it('300 concurrent attempts from one source: only the free attempts before the back-off are granted', async () => {
    const guard = new PinGuard(redis.client, DEFAULTS, new ManualClock());
    const room = fresh('room');
    const results = await Promise.all(Array.from({ length: 300 }, () => guard.reserve(room, '192.0.2.1')));
    expect(granted(results)).toBe(3);
    const refused = results.filter((r): r is Extract<PinAttempt, { ok: false }> => !r.ok);
    expect(refused.every((r) => r.scope === 'source' && r.retryAfterSeconds === 1)).toBe(true);
  });

  it('without back-off, concurrency still gets exactly the per-source budget', async () => {
    const guard = new PinGuard(redis.client, { ...DEFAULTS, backoff: { freeFailures: 0, baseMs: 0, maxMs: 0 } }, new ManualClock());
    const source = fresh('src');
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => guard.reserve(fresh(`room${i}`), source)));
    expect(granted(results)).toBe(10);
    // The source waits until its oldest failure leaves the 600 s window.
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, scope: 'source', retryAfterSeconds: 600 });
  });

  it('300 concurrent attempts from 300 sources: the room budget holds, and says when it frees', async () => {
    const clock = new ManualClock();
    const guard = new PinGuard(redis.client, DEFAULTS, clock);
    const room = fresh('room');
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => guard.reserve(room, `198.51.100.${i}`)));
    expect(granted(results)).toBe(20);
    expect(results.filter((r) => !r.ok && r.scope === 'room')).toHaveLength(280);
    expect(await guard.roomFailures(room)).toBe(20);
    clock.advance(250_000);
    expect(await guard.reserve(room, '203.0.113.9')).toEqual({ ok: false, scope: 'room', retryAfterSeconds: 350 });
    clock.advance(350_000);
    expect((await guard.reserve(room, '203.0.113.9')).ok).toBe(true);
  });

  it('the back-off doubles with each failure beyond the free ones, up to the maximum', async () => {
    const clock = new ManualClock();
    const guard = new PinGuard(redis.client, { ...DEFAULTS, maxFailuresPerSource: 100, maxFailuresPerRoom: 100, backoff: { freeFailures: 2, baseMs: 1000, maxMs: 8000 } }, clock);
    const room = fresh('room');
    const src = fresh('src');
    for (let i = 0; i < 2; i++) expect((await guard.reserve(room, src)).ok).toBe(true);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const refused = await guard.reserve(room, src);
      if (refused.ok) throw new Error('expected a back-off');
      waits.push(refused.retryAfterSeconds);
      clock.advance(refused.retryAfterSeconds * 1000 - 1);
      expect((await guard.reserve(room, src)).ok).toBe(false);
      clock.advance(1);
      expect((await guard.reserve(room, src)).ok).toBe(true);
    }
    expect(waits).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it('a refunded attempt (right PIN) does not count against either budget', async () => {
    const guard = new PinGuard(redis.client, { ...DEFAULTS, maxFailuresPerRoom: 2, backoff: { freeFailures: 10, baseMs: 1000, maxMs: 1000 } }, new ManualClock());
    const room = fresh('room');
    for (let i = 0; i < 5; i++) {
      const src = fresh('src');
      const a = await guard.reserve(room, src);
      if (!a.ok) throw new Error(`attempt ${i} refused: ${a.scope}`);
      await guard.refund(room, src, a.id);
    }
    expect(await guard.roomFailures(room)).toBe(0);
    // Fifteen right PINs in a row from one source (budget 10) are all evaluated.
    const owner = fresh('src');
    for (let i = 0; i < 15; i++) {
      const a = await guard.reserve(fresh('room'), owner);
      if (!a.ok) throw new Error(`right PIN ${i} refused`);
      await guard.refund(fresh('other'), owner, a.id);
    }
    const one = await guard.reserve(room, 'x');
    const two = await guard.reserve(room, 'y');
    expect([one.ok, two.ok, (await guard.reserve(room, 'z')).ok]).toEqual([true, true, false]);
  });
});
