import type { createClient } from 'redis';

/**
 * The node-redis client type every subsystem takes (the server's store, the SIP registrar, …).
 * Type only: the connection itself is owned by server/src/store; living here lets packages that
 * must not import server/ (the SIP stack, the SFU) name it.
 */
export type RedisClient = ReturnType<typeof createClient>;
