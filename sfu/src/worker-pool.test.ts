import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPoolConfig } from './testing.js';
import { WorkerPool, type WorkerPoolConfig } from './worker-pool.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const config: WorkerPoolConfig = testPoolConfig();
const codecs = [{ kind: 'audio' as const, mimeType: 'audio/opus', clockRate: 48000, channels: 2 }];

let pool: WorkerPool;
beforeAll(async () => {
  pool = new WorkerPool(config, WorkerPool.resolveWorkerBin(null, root), logger);
  await pool.start();
});
afterAll(() => pool.close());

describe('WorkerPool (real mediasoup workers)', () => {
  it('starts one worker per configured slot, each with a WebRTC server', async () => {
    expect(pool.size).toBe(2);
    expect(pool.aliveWorkers).toBe(2);
    const usage = await pool.usage();
    expect(usage.map((u) => u.index).sort()).toEqual([0, 1]);
    for (const u of usage) expect(u.maxRssBytes).toBeGreaterThan(0);
  });

  it('places routers on the least-loaded worker', async () => {
    const placed = [];
    for (let i = 0; i < 4; i++) placed.push(await pool.createRouter({ mediaCodecs: codecs }));
    expect(placed.map((p) => p.workerIndex).sort()).toEqual([0, 0, 1, 1]);
    // Closing both routers on worker 0 makes it the emptier one again.
    for (const p of placed.filter((p) => p.workerIndex === 0)) p.router.close();
    const next = await pool.createRouter({ mediaCodecs: codecs });
    expect(next.workerIndex).toBe(0);
    for (const p of [...placed, next]) p.router.close();
  });

  it('detects a killed worker, reports its routers lost, and replaces it', async () => {
    const { router, workerIndex } = await pool.createRouter({ mediaCodecs: codecs });
    const victimPid = (await pool.usage()).find((u) => u.index === workerIndex)!.pid;
    const died = pool.observer.waitFor('workerDied');
    const lost = pool.observer.waitFor('routerLost');
    const started = pool.observer.waitFor('workerStarted');
    process.kill(victimPid, 'SIGKILL');

    const [index, pid] = await died;
    expect([index, pid]).toEqual([workerIndex, victimPid]);
    expect((await lost)[0]).toBe(router);
    expect(router.closed).toBe(true);

    const [newIndex, newPid] = await started;
    expect(newIndex).toBe(workerIndex);
    expect(newPid).not.toBe(victimPid);
    expect(pool.aliveWorkers).toBe(2);
    // The replacement takes work again.
    const again = await pool.createRouter({ mediaCodecs: codecs });
    expect(again.router.closed).toBe(false);
    again.router.close();
  });
});
