export { storeConfigSchema, type StoreConfig } from './config.js';
export { startStore, type Store } from './store.js';
export { EmbeddedRedis, type EmbeddedRedisOptions, waitForPong } from './embedded-redis.js';
export { StoreConnection, type RedisClient } from './redis-client.js';
export { migrateLegacyKeys, LEGACY_KEY_PREFIXES } from './legacy-keys.js';
