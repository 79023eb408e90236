import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EmbeddedRedis, StoreConnection, type RedisClient } from '../../server/src/store/index.js';

export interface TestRedis {
  url: string;
  server: EmbeddedRedis;
  /** A connected client (closed by `stop()`). */
  client: RedisClient;
  dataDir: string;
  stop(): Promise<void>;
}

/** A real redis-server on a private unix socket in a fresh temp dir, for one test file. */
export async function startTestRedis(): Promise<TestRedis> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-test-redis-'));
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const server = new EmbeddedRedis({ dataDir, logger });
  await server.start();
  const conn = new StoreConnection(server.url, logger);
  await conn.connect();
  return {
    url: server.url,
    server,
    client: conn.client,
    dataDir,
    async stop() {
      await conn.close();
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
