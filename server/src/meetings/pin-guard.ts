import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../../common/src/index.js';
import type { RedisClient } from '../store/index.js';

export interface PinGuardConfig {
  /** Wrong PINs for one room within `windowSeconds` (from any source) before anonymous PIN entry pauses. */
  maxFailuresPerRoom: number;
  /** Wrong PINs from one source address within `windowSeconds` (any room). */
  maxFailuresPerSource: number;
  windowSeconds: number;
  backoff: {
    /** Failures from one source that need no wait (typos). */
    freeFailures: number;
    /** Wait after the first failure beyond the free ones; doubles per further failure. */
    baseMs: number;
    maxMs: number;
  };
}

/**
 * Reserves one PIN attempt atomically against both budgets, BEFORE the PIN is compared, so no
 * amount of concurrency buys extra guesses. Budgets are sliding windows: one sorted set per
 * source and per room, member = attempt id, score = when (the injected clock, so tests move
 * time; nodes' clocks agree to far better than the back-off steps). A reservation
 * counts as a failure until it is refunded (the PIN was right). Per source, the n-th attempt
 * beyond `freeFailures` must wait base·2^(n-free) ms after the previous one (capped).
 *
 * KEYS: source set, room set. ARGV: windowMs, maxSource, maxRoom, free, baseMs, maxMs, attemptId, now ms.
 * Returns { 'ok' | 'source' | 'room', retryAfterMs }.
 */
const RESERVE = `
local srcKey, roomKey = KEYS[1], KEYS[2]
local windowMs, maxSource, maxRoom = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local free, baseMs, maxMs, attempt = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local now = tonumber(ARGV[8])
redis.call('ZREMRANGEBYSCORE', srcKey, '-inf', now - windowMs)
redis.call('ZREMRANGEBYSCORE', roomKey, '-inf', now - windowMs)
local n = redis.call('ZCARD', srcKey)
if n >= maxSource then
  local oldest = redis.call('ZRANGE', srcKey, 0, 0, 'WITHSCORES')
  return { 'source', math.max(1, tonumber(oldest[2]) + windowMs - now) }
end
if n >= free and baseMs > 0 then
  local last = redis.call('ZRANGE', srcKey, -1, -1, 'WITHSCORES')
  local wait = math.min(maxMs, baseMs * (2 ^ (n - free)))
  local readyAt = tonumber(last[2]) + wait
  if now < readyAt then return { 'source', math.max(1, readyAt - now) } end
end
if redis.call('ZCARD', roomKey) >= maxRoom then
  local oldest = redis.call('ZRANGE', roomKey, 0, 0, 'WITHSCORES')
  return { 'room', math.max(1, tonumber(oldest[2]) + windowMs - now) }
end
redis.call('ZADD', srcKey, now, attempt)
redis.call('ZADD', roomKey, now, attempt)
redis.call('PEXPIRE', srcKey, windowMs)
redis.call('PEXPIRE', roomKey, windowMs)
return { 'ok', 0 }
`;

export type PinAttempt =
  | { ok: true; id: string }
  /** `source`: this address used its budget or must wait (back-off); `room`: the room's budget is used up. */
  | { ok: false; scope: 'source' | 'room'; retryAfterSeconds: number };

export class PinGuard {
  constructor(
    private readonly redis: RedisClient,
    private readonly config: PinGuardConfig,
    private readonly clock: Clock = systemClock,
  ) {}

  private keys(roomId: string, source: string): [string, string] {
    return [`conv:meetings:pin-attempt:src:${source}`, `conv:meetings:pin-attempt:room:${roomId}`];
  }

  /** Takes one attempt from both budgets, or says which one refused and for how long. */
  async reserve(roomId: string, source: string): Promise<PinAttempt> {
    const id = randomUUID();
    const c = this.config;
    const [verdict, retryAfterMs] = (await this.redis.eval(RESERVE, {
      keys: this.keys(roomId, source),
      arguments: [
        String(c.windowSeconds * 1000),
        String(c.maxFailuresPerSource),
        String(c.maxFailuresPerRoom),
        String(c.backoff.freeFailures),
        String(c.backoff.baseMs),
        String(c.backoff.maxMs),
        id,
        String(this.clock.now()),
      ],
    })) as [string, number];
    if (verdict === 'ok') return { ok: true, id };
    return { ok: false, scope: verdict === 'room' ? 'room' : 'source', retryAfterSeconds: Math.max(1, Math.ceil(Number(retryAfterMs) / 1000)) };
  }

  /** The PIN was right (or never compared): the attempt is given back to both budgets. */
  async refund(roomId: string, source: string, attemptId: string): Promise<void> {
    const [src, room] = this.keys(roomId, source);
    await this.redis.multi().zRem(src, attemptId).zRem(room, attemptId).exec();
  }

  /** Attempts counted in the room's window now (observability and tests). */
  async roomFailures(roomId: string): Promise<number> {
    const [, room] = this.keys(roomId, '');
    const now = this.clock.now();
    return this.redis.zCount(room, now - this.config.windowSeconds * 1000, '+inf');
  }
}
