import { randomUUID } from 'node:crypto';
import { sourceKey } from '../../../common/src/index.js';
import { MeetingError, MeetingErrors } from './errors.js';
import type { RedisClient } from '../store/index.js';

/** Its row of the one refusal table (errors.ts). */
export const LookupErrors = { lookup_throttled: MeetingErrors.lookup_throttled };

export interface LookupThrottleConfig {
  /** Lookups that find no room allowed per source address (IPv6: /64) within windowSeconds. */
  maxFailuresPerSource: number;
  windowSeconds: number;
}

/**
 * Before a lookup: refused (-ttl) when the source's failures in this window reached the budget;
 * "wait" (0) when failures plus lookups still in flight reach it (their outcome decides); else the
 * lookup is registered as in flight (1). In-flight entries are leases (a node that dies mid-lookup
 * cannot leak them). So concurrent probes can never overshoot the budget, and lookups that will
 * succeed only delay others by the few milliseconds they take, never refuse them.
 */
const RESERVE = `
local failKey, pendKey = KEYS[1], KEYS[2]
local max, window, leaseMs, id = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local failed = tonumber(redis.call('GET', failKey) or '0')
if failed >= max then
  local ttl = redis.call('TTL', failKey)
  if ttl < 0 then redis.call('EXPIRE', failKey, window); ttl = window end
  return -ttl
end
redis.call('ZREMRANGEBYSCORE', pendKey, '-inf', now)
if failed + redis.call('ZCARD', pendKey) >= max then return 0 end
redis.call('ZADD', pendKey, now + leaseMs, id)
redis.call('PEXPIRE', pendKey, leaseMs)
return 1
`;

/** After a lookup: it is no longer in flight; a failed one counts against the window. */
const SETTLE = `
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[2] == '1' then
  redis.call('INCR', KEYS[1])
  if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
end
return 1
`;

/** How long a lookup may stay "in flight" before its reservation lapses by itself. */
const LEASE_MS = 10_000;
/** How long a lookup waits for others in flight to settle before it is throttled anyway. */
const MAX_WAIT_MS = 5_000;
const WAIT_STEP_MS = 20;

/**
 * Throttles probing for meeting rooms: each source may have `maxFailuresPerSource` lookups that
 * find nothing per window, counted in Redis so every node counts together. Lookups that find a
 * room cost nothing, so people who know where they are going are never refused; beyond the
 * budget every lookup from that source is refused with `lookup_throttled` and `retryAfterSeconds`,
 * without touching the directory.
 */
export class LookupThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly config: LookupThrottleConfig,
  ) {}

  /** Runs `lookup` within the source's budget; a null result counts as a failed lookup. */
  async guard<T>(source: string, lookup: () => Promise<T | null>): Promise<T | null> {
    const key = sourceKey(source);
    const keys = [`conv:meetings:lookup-fail:${key}`, `conv:meetings:lookup-pending:${key}`];
    const id = randomUUID();
    const { maxFailuresPerSource: max, windowSeconds: window } = this.config;
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const r = Number(await this.redis.eval(RESERVE, { keys, arguments: [String(max), String(window), String(LEASE_MS), id] }));
      if (r === 1) break;
      if (r < 0 || Date.now() >= deadline) {
        const retryAfterSeconds = r < 0 ? -r : 1;
        throw new MeetingError('lookup_throttled', `too many lookups of unknown meetings; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    }
    let found: T | null = null;
    try {
      found = await lookup();
      return found;
    } finally {
      await this.redis.eval(SETTLE, { keys, arguments: [id, found === null ? '1' : '0', String(window)] });
    }
  }
}
