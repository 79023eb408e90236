import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive } from '../../../test/support/convene-process.js';
import { EmbeddedRedis } from './embedded-redis.js';
import { StoreConnection } from './redis-client.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-redis-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startRedis(dataDir: string, restartDelayMs = 100) {
  const redis = new EmbeddedRedis({ dataDir, logger, restartDelayMs });
  await redis.start();
  cleanups.push(() => redis.stop());
  const conn = new StoreConnection(redis.url, logger);
  await conn.connect();
  cleanups.push(() => conn.close());
  return { redis, conn };
}

describe('EmbeddedRedis', () => {
  it('keeps data across a stop and a fresh start on the same data dir (AOF)', async () => {
    const dir = tempDir();
    const first = await startRedis(dir);
    await first.conn.client.set('convene:test:persist', 'kept');
    await first.conn.close();
    await first.redis.stop();
    expect(fs.readdirSync(dir).some((f) => f.startsWith('appendonly'))).toBe(true);

    const second = await startRedis(dir);
    expect(await second.conn.client.get('convene:test:persist')).toBe('kept');
  });

  it('restarts redis-server after it is killed and the client reconnects by itself', async () => {
    const { redis, conn } = await startRedis(tempDir());
    await conn.client.set('k', 'v');
    // Give the everysec AOF policy its second so the write is on disk before the kill.
    await new Promise((r) => setTimeout(r, 1200));
    const oldPid = redis.pid!;
    const down = conn.waitFor('down');
    // Subscribed as soon as 'down' fires: reconnection is I/O, so it cannot beat this.
    const upAgain = down.then(() => conn.waitFor('up'));
    const readyAgain = redis.waitFor('ready');
    process.kill(oldPid, 'SIGKILL');
    await down;
    expect(conn.isUp).toBe(false);
    const [newPid] = await readyAgain;
    expect(newPid).not.toBe(oldPid);
    await upAgain;
    expect(conn.isUp).toBe(true);
    expect(await conn.client.get('k')).toBe('v');
    expect(redis.restarts).toBe(1);
  });

  it('stop() leaves no redis-server behind and is safe to call twice', async () => {
    const { redis, conn } = await startRedis(tempDir());
    const pid = redis.pid!;
    await conn.close();
    await redis.stop();
    await redis.stop();
    expect(processAlive(pid)).toBe(false);
  });

  it('fails start-up with a clear message when redis-server is missing', async () => {
    const redis = new EmbeddedRedis({ dataDir: tempDir(), logger, redisServerBin: '/nonexistent/redis-server' });
    await expect(redis.start()).rejects.toThrow(/cannot start \/nonexistent\/redis-server/);
  });
});
