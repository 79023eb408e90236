/**
 * For tests and benches only: a worker pool of real mediasoup workers on loopback with free
 * ports and fast restarts. Not exported from the sfu's public face.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { WorkerPool, type WorkerPoolConfig } from './worker-pool.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function testPoolConfig(workers = 2): WorkerPoolConfig {
  return {
    workers,
    workerBin: null,
    logLevel: 'warn',
    rtcMinPort: 40000,
    rtcMaxPort: 49999,
    webRtcServer: { listenIp: '127.0.0.1', announcedAddress: null, basePort: 0 },
    restart: { initialDelayMs: 50, maxDelayMs: 1000 },
  };
}

/** A started pool with the worker binary setup built. */
export async function startTestPool(logger: Logger, workers = 2): Promise<WorkerPool> {
  const pool = new WorkerPool(testPoolConfig(workers), WorkerPool.resolveWorkerBin(null, repoRoot), logger);
  await pool.start();
  return pool;
}
