export { Emitter, type EventMap } from './emitter.js';
export { type Clock, type TimerHandle, systemClock, ManualClock } from './clock.js';
export { loadConfig, ConfigError, deepMerge, envOverrides, type LoadConfigOptions } from './config.js';
export { sourceKey } from './source-key.js';
export type { RedisClient } from './redis.js';
export { REDIS_KEY_ROOT, redisKeyPrefix, type RedisKeySubsystem } from './redis-keys.js';
export { CodedError } from './coded-error.js';
