import { sourceKey } from '../../../common/src/index.js';
import { DomainError, defineErrorCodes } from '../errors.js';
import type { RedisClient } from '../store/index.js';

export const LookupErrors = defineErrorCodes({
  lookup_throttled: {
    http: 429,
    description: 'Too many lookups of unknown meeting addresses or IDs from this address; retry after details.retryAfterSeconds.',
  },
});

export interface LookupThrottleConfig {
  /** Lookups that find no room allowed per source address (IPv6: /64) within windowSeconds. */
  maxFailuresPerSource: number;
  windowSeconds: number;
}

/**
 * Reserves one failed lookup against the source's budget before the lookup runs, so concurrent
 * probes cannot overshoot it. Returns 1 when reserved, or -ttl (seconds until the window ends)
 * when the budget is spent. The window starts with the first reservation.
 */
const RESERVE = `
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= max then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 0 then redis.call('EXPIRE', KEYS[1], window); ttl = window end
  return -ttl
end
redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], window) end
return 1
`;

/** A lookup that found its room gives its reservation back. */
const REFUND = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end
return 1
`;

/**
 * Throttles probing for meeting rooms: each source may have `maxFailuresPerSource` lookups that
 * find nothing per window, counted in Redis so every node counts together. Lookups that find a
 * room cost nothing (their reservation is refunded), so people who know where they are going are
 * never slowed down; beyond the budget every lookup from that source is refused with
 * `lookup_throttled` and `retryAfterSeconds`, without touching the directory.
 */
export class LookupThrottle {
  constructor(
    private readonly redis: RedisClient,
    private readonly config: LookupThrottleConfig,
  ) {}

  private key(source: string): string {
    return `conv:lookupfail:${sourceKey(source)}`;
  }

  /** Runs `lookup` within the source's budget; a null result counts as a failed lookup. */
  async guard<T>(source: string, lookup: () => Promise<T | null>): Promise<T | null> {
    const key = this.key(source);
    const reserved = Number(
      await this.redis.eval(RESERVE, { keys: [key], arguments: [String(this.config.maxFailuresPerSource), String(this.config.windowSeconds)] }),
    );
    if (reserved <= 0) {
      const retryAfterSeconds = Math.max(1, -reserved);
      throw new DomainError('lookup_throttled', `too many lookups of unknown meetings; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
    }
    let found: T | null = null;
    try {
      found = await lookup();
      return found;
    } finally {
      if (found !== null) await this.redis.eval(REFUND, { keys: [key], arguments: [] });
    }
  }
}
