import type { Logger } from 'pino';
import type { StoreConfig } from './config.js';
import { EmbeddedRedis } from './embedded-redis.js';
import { migrateLegacyKeys } from './legacy-keys.js';
import { StoreConnection } from './redis-client.js';

export interface Store {
  connection: StoreConnection;
  /** Present when Convene runs its own redis-server. */
  embedded: EmbeddedRedis | undefined;
  close(): Promise<void>;
}

/** Connects to the configured Redis, first starting the embedded one when no URL is given. */
export async function startStore(config: StoreConfig, logger: Logger): Promise<Store> {
  const log = logger.child({ component: 'store' });
  let embedded: EmbeddedRedis | undefined;
  let url = config.redisUrl;
  if (!url) {
    embedded = new EmbeddedRedis({ dataDir: config.embedded.dataDir, redisServerBin: config.embedded.redisServerBin, logger: log });
    await embedded.start();
    url = embedded.url;
  }
  const connection = new StoreConnection(url, log);
  try {
    await connection.connect();
  } catch (err) {
    await embedded?.stop();
    throw new Error(`cannot connect to Redis at ${url}: ${(err as Error).message}`);
  }
  // Data an older version stored under a pre-scheme prefix stays reachable after an upgrade.
  try {
    await migrateLegacyKeys(connection.client, log);
  } catch (err) {
    await connection.close();
    await embedded?.stop();
    throw new Error(`cannot move legacy Redis keys at ${url}: ${(err as Error).message}`);
  }
  let closed = false;
  return {
    connection,
    embedded,
    async close() {
      if (closed) return;
      closed = true;
      await connection.close();
      await embedded?.stop();
    },
  };
}
