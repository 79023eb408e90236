import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * How often the event-loop lag histogram samples (ms). Each sample is a libuv timer that wakes the
 * signalling thread: at 20 ms that was 50 wake-ups a second and half of an idle node's CPU (0.2 of
 * 0.43 % of a core, bench/media/idle-cost.mjs). At 100 ms every stall of 100 ms or more is still
 * seen, a shorter one in proportion to its length.
 */
const EVENT_LOOP_LAG_SAMPLE_MS = 100;

/**
 * A fresh registry per process (never prom-client's global one, so tests can run several
 * services in one process). Default metrics include CPU, memory, GC and event-loop lag
 * (`nodejs_eventloop_lag_*`).
 */
export function createMetricsRegistry(prefix = ''): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: EVENT_LOOP_LAG_SAMPLE_MS });
  return registry;
}

/** The shape of the media worker pool that metrics read; a structural view, no SFU import. */
export interface ObservableWorkerPool {
  readonly size: number;
  readonly aliveWorkers: number;
  observer: {
    on(event: 'workerDied', fn: (index: number, pid: number, error: Error) => void): unknown;
    on(event: 'workerStarted', fn: (index: number, pid: number) => void): unknown;
  };
  usage(): Promise<{ index: number; pid: number; routers: number; cpuSeconds: number; maxRssBytes: number }[]>;
}

export function registerWorkerMetrics(registry: Registry, pool: ObservableWorkerPool): void {
  const deaths = new Counter({
    name: 'convene_media_worker_deaths_total',
    help: 'mediasoup workers that died unexpectedly',
    labelNames: ['worker'],
    registers: [registry],
  });
  const starts = new Counter({
    name: 'convene_media_worker_starts_total',
    help: 'mediasoup workers started (including replacements)',
    labelNames: ['worker'],
    registers: [registry],
  });
  pool.observer.on('workerDied', (index) => deaths.inc({ worker: String(index) }));
  pool.observer.on('workerStarted', (index) => starts.inc({ worker: String(index) }));
  new Gauge({
    name: 'convene_media_workers_alive',
    help: 'mediasoup workers currently running',
    registers: [registry],
    collect() {
      this.set(pool.aliveWorkers);
    },
  });
  // prom-client runs every collect() of a scrape concurrently: the three per-worker gauges
  // share one in-flight usage query instead of asking each worker three times.
  let inflight: Promise<Awaited<ReturnType<ObservableWorkerPool['usage']>>> | undefined;
  const usage = () =>
    (inflight ??= pool.usage().finally(() => {
      inflight = undefined;
    }));
  const perWorker = (name: string, help: string, value: (u: Awaited<ReturnType<typeof usage>>[number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['worker', 'pid'],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          for (const u of await usage()) this.set({ worker: String(u.index), pid: String(u.pid) }, value(u));
        } catch {
          // A worker that died mid-scrape is simply absent from this scrape.
        }
      },
    });
  perWorker('convene_media_worker_cpu_seconds', 'CPU time (user+system) used by each mediasoup worker since it started', (u) => u.cpuSeconds);
  perWorker('convene_media_worker_max_rss_bytes', 'Peak resident memory of each mediasoup worker', (u) => u.maxRssBytes);
  perWorker('convene_media_worker_routers', 'Routers (meetings or meeting parts) placed on each worker', (u) => u.routers);
}

export function registerStoreMetrics(registry: Registry, store: { readonly isUp: boolean }): void {
  new Gauge({
    name: 'convene_store_up',
    help: '1 while the Redis store is connected',
    registers: [registry],
    collect() {
      this.set(store.isUp ? 1 : 0);
    },
  });
}
