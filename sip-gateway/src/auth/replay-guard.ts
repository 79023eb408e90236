import type { RedisClient } from '../../../common/src/index.js';

/**
 * Accepts a nonce-count only if it is higher than every one seen before for that nonce, and
 * records it, in one step so two nodes racing on the same nonce cannot both accept it.
 */
const CLAIM_NC_LUA = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;

export interface ReplayGuard {
  /** true if `nc` is fresh for `nonce` (and is now remembered for `ttlMs`). */
  claim(nonce: string, nc: number, ttlMs: number): Promise<boolean>;
}

/** Nonce-counts in Redis (`<prefix>auth:nc:<nonce>`), shared by every node, expiring with the nonce. */
export class RedisReplayGuard implements ReplayGuard {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix = 'conv:sip:',
  ) {}

  async claim(nonce: string, nc: number, ttlMs: number): Promise<boolean> {
    const result = await this.redis.eval(CLAIM_NC_LUA, {
      keys: [`${this.keyPrefix}auth:nc:${nonce}`],
      arguments: [String(nc), String(Math.max(1_000, Math.ceil(ttlMs)))],
    });
    return result === 1;
  }
}
