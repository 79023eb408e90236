import path from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import {
  HttpServer,
  createMetricsRegistry,
  registerStoreMetrics,
  registerWorkerMetrics,
  startStore,
  type Store,
} from '../server/src/index.js';
import { WorkerPool } from '../sfu/src/index.js';
import { packageRoot, type ConveneConfig } from './config.js';

export interface RunningService {
  http: HttpServer;
  pool: WorkerPool;
  store: Store;
  registry: Registry;
  url: string;
  /** Stops accepting work, then closes in reverse start order. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Wiring only: store → SFU → HTTP, each given its logger and the metrics registry. If a step
 * fails, what already started is stopped before the error propagates.
 */
export async function startService(config: ConveneConfig, logger: Logger, version: string): Promise<RunningService> {
  const closers: (() => Promise<void> | void)[] = [];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, 'error while stopping');
      }
    }
  };
  try {
    const registry = createMetricsRegistry();

    const store = await startStore(config.store, logger);
    closers.push(() => store.close());
    registerStoreMetrics(registry, store.connection);

    const workerBin = WorkerPool.resolveWorkerBin(config.sfu.workerBin, packageRoot);
    const pool = new WorkerPool(config.sfu, workerBin, logger.child({ component: 'sfu' }));
    closers.push(() => pool.close());
    await pool.start();
    registerWorkerMetrics(registry, pool);

    const http = new HttpServer({
      config: config.http,
      logger,
      registry,
      webRoot: path.join(packageRoot, 'web', 'public'),
      version,
      checks: [
        { name: 'store', ok: () => store.connection.isUp },
        { name: 'media_workers', ok: () => pool.aliveWorkers > 0 },
      ],
    });
    closers.push(() => http.close());
    await http.listen();

    let stopping: Promise<void> | undefined;
    return {
      http,
      pool,
      store,
      registry,
      url: http.publicUrl(),
      stop() {
        http.startDrain();
        return (stopping ??= closeAll());
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
