/**
 * The one Redis key scheme: `conv:<subsystem>:<what>[:<id>…]`.
 *
 * | prefix              | owner (folder)                 | examples                                                                  |
 * | ------------------- | ------------------------------ | ------------------------------------------------------------------------- |
 * | `conv:admin:`       | server/src/admin               | `conv:admin:partner:<id>`, `conv:admin:{c:<companyId>}:lic`, `conv:admin:outbox` |
 * | `conv:meetings:`    | server/src/meetings            | `conv:meetings:seats:meeting:<id>`, `conv:meetings:pin-attempt:src:<addr>`, `conv:meetings:host-link-secret` |
 * | `conv:signaling:`   | server/src/signaling           | (reserved: resume tokens when they move to Redis)                         |
 * | `conv:sip:`         | sip-gateway (registrar, auth)  | `conv:sip:reg:b:<aor>`, `conv:sip:reg:expiry`, `conv:sip:auth:nc:<nonce>`, `conv:sip:nonce-secret` |
 * | `conv:turn:`        | server/src/turn                | `conv:turn:secret`                                                        |
 * | `conv:test:`        | tests only                     | anything a test writes to a shared Redis                                  |
 *
 * Rules: the subsystem is the owning folder; only that folder reads or writes its keys (others go
 * through its API). Keys a Lua script touches together carry the same hash tag (`{c:<companyId>}`
 * in admin) so they stay in one slot on a Redis Cluster. A new subsystem adds a row here.
 */
export const REDIS_KEY_ROOT = 'conv';

export type RedisKeySubsystem = 'admin' | 'meetings' | 'signaling' | 'sip' | 'turn' | 'test';

/** `conv:<subsystem>:` — the prefix every key of one subsystem starts with. */
export function redisKeyPrefix(subsystem: RedisKeySubsystem): `conv:${RedisKeySubsystem}:` {
  return `${REDIS_KEY_ROOT}:${subsystem}:`;
}
