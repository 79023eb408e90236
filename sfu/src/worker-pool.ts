import fs from 'node:fs';
import os from 'node:os';
import type { Logger } from 'pino';
import type * as Mediasoup from 'mediasoup';
import type { Router, RouterOptions, WebRtcServer, Worker } from 'mediasoup/node/lib/types.js';
import { Emitter } from '../../common/src/index.js';
import type { SfuConfig } from './config.js';
import { hostUdpReceiveBufferBytes, udpReceiveBufferAdvice } from './udp-buffers.js';
import { loadMediasoup } from './mediasoup-loader.js';
import { resolveAnnouncedAddress } from './network.js';

/** The part of `sfu` config the pool reads (everything but `media` and `admission`). */
export type WorkerPoolConfig = Omit<SfuConfig, 'media' | 'admission'>;

export interface WorkerUsage {
  index: number;
  pid: number;
  routers: number;
  /** CPU seconds (user + system) since the worker started. */
  cpuSeconds: number;
  /** Peak resident set size in bytes. */
  maxRssBytes: number;
}

/** What monitoring listens to; behaviour never depends on it. */
export type WorkerPoolObserverEvents = {
  workerStarted: [index: number, pid: number];
  workerDied: [index: number, pid: number, error: Error];
  /** Routers that were on a dead worker are gone; their owners must re-home their meetings. */
  routerLost: [router: Router];
};

interface Slot {
  index: number;
  worker: Worker | undefined;
  webRtcServer: WebRtcServer | undefined;
  routers: Set<Router>;
  consecutiveDeaths: number;
  startedAt: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export class NoWorkerAvailableError extends Error {
  readonly code = 'no_media_worker';
  constructor() {
    super('no mediasoup worker is running');
  }
}

/**
 * One mediasoup worker per core (by default), each with a WebRtcServer on its own port so
 * browsers need one port per worker, not one per transport. A worker that dies is logged,
 * reported on `observer`, and replaced after a backoff that doubles per consecutive death.
 * Routers go to the worker carrying the fewest routers.
 */
export class WorkerPool {
  readonly observer = new Emitter<WorkerPoolObserverEvents>((event, err) =>
    this.logger.error({ err, event }, 'worker pool observer failed'),
  );
  private readonly slots: Slot[] = [];
  private mediasoup: typeof Mediasoup | undefined;
  private closed = false;

  constructor(
    private readonly config: WorkerPoolConfig,
    private readonly workerBin: string,
    private readonly logger: Logger,
  ) {}

  static resolveWorkerBin(configured: string | null, packageRoot: string): string {
    const candidates = [configured, process.env.MEDIASOUP_WORKER_BIN, `${packageRoot}/node_modules/.convene/mediasoup-worker`];
    for (const c of candidates) if (c && fs.existsSync(c)) return fs.realpathSync(c);
    throw new Error(
      `mediasoup worker binary not found (tried ${candidates.filter(Boolean).join(', ')}); run \`npm run setup\` or set sfu.workerBin`,
    );
  }

  get size(): number {
    return this.slots.length;
  }

  get aliveWorkers(): number {
    return this.slots.filter((s) => s.worker && !s.worker.died && !s.worker.closed).length;
  }

  async start(): Promise<void> {
    this.mediasoup = await loadMediasoup(this.workerBin);
    const count = this.config.workers || os.availableParallelism();
    for (let index = 0; index < count; index++) {
      const slot: Slot = { index, worker: undefined, webRtcServer: undefined, routers: new Set(), consecutiveDeaths: 0, startedAt: 0, restartTimer: undefined };
      this.slots.push(slot);
      await this.startWorker(slot);
    }
    const udpReceiveBufferBytes = hostUdpReceiveBufferBytes();
    this.logger.info({ workers: count, bin: this.workerBin, udpReceiveBufferBytes }, 'media workers started');
    const advice = udpReceiveBufferAdvice(udpReceiveBufferBytes);
    if (advice) this.logger.warn({ udpReceiveBufferBytes }, advice);
  }

  private async startWorker(slot: Slot): Promise<void> {
    const ms = this.mediasoup!;
    const worker = await ms.createWorker({
      logLevel: this.config.logLevel,
      rtcMinPort: this.config.rtcMinPort,
      rtcMaxPort: this.config.rtcMaxPort,
      appData: { index: slot.index },
    });
    const log = this.logger.child({ worker: slot.index, workerPid: worker.pid });
    worker.on('died', (error) => this.onWorkerDied(slot, worker, error));
    try {
      const { listenIp, basePort } = this.config.webRtcServer;
      const announcedAddress = resolveAnnouncedAddress(listenIp, this.config.webRtcServer.announcedAddress);
      const port = basePort === 0 ? undefined : basePort + slot.index;
      slot.webRtcServer = await worker.createWebRtcServer({
        listenInfos: (['udp', 'tcp'] as const).map((protocol) => ({
          protocol,
          ip: listenIp,
          ...(announcedAddress ? { announcedIp: announcedAddress } : {}),
          ...(port !== undefined ? { port } : {}),
        })),
      });
    } catch (err) {
      worker.close();
      throw new Error(`worker ${slot.index}: cannot listen for WebRTC on ${this.config.webRtcServer.listenIp}: ${(err as Error).message}`);
    }
    slot.worker = worker;
    slot.startedAt = Date.now();
    log.info('media worker up');
    this.observer.emit('workerStarted', slot.index, worker.pid);
  }

  private onWorkerDied(slot: Slot, worker: Worker, error: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.webRtcServer = undefined;
    this.logger.error({ worker: slot.index, workerPid: worker.pid, err: error }, 'media worker died');
    this.observer.emit('workerDied', slot.index, worker.pid, error);
    if (this.closed) return;
    // A worker that stayed up longer than the longest backoff starts the count afresh.
    if (Date.now() - slot.startedAt > this.config.restart.maxDelayMs) slot.consecutiveDeaths = 0;
    this.scheduleRestart(slot);
  }

  private scheduleRestart(slot: Slot): void {
    const { initialDelayMs, maxDelayMs } = this.config.restart;
    const delay = Math.min(initialDelayMs * 2 ** slot.consecutiveDeaths, maxDelayMs);
    slot.consecutiveDeaths++;
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.closed) return;
      this.startWorker(slot).catch((err: unknown) => {
        this.logger.error({ worker: slot.index, err, retryInMs: delay }, 'media worker restart failed');
        this.scheduleRestart(slot);
      });
    }, delay);
  }

  /** A router on the least-loaded live worker (fewest routers; ties go to the lowest index). */
  async createRouter(options: RouterOptions): Promise<{ router: Router; webRtcServer: WebRtcServer; workerIndex: number }> {
    return this.createRouterAvoiding(options, new Set());
  }

  /**
   * Like createRouter, but on the least-loaded worker whose index is not in `avoid` (to spread one
   * meeting across workers); when every live worker is in `avoid`, on the least-loaded of them.
   */
  async createRouterAvoiding(
    options: RouterOptions,
    avoid: ReadonlySet<number>,
  ): Promise<{ router: Router; webRtcServer: WebRtcServer; workerIndex: number }> {
    const live = this.slots.filter((s) => s.worker && !s.worker.died && s.webRtcServer);
    const preferred = live.filter((s) => !avoid.has(s.index));
    const candidates = preferred.length > 0 ? preferred : live;
    const slot = candidates.sort((a, b) => a.routers.size - b.routers.size || a.index - b.index)[0];
    if (!slot) throw new NoWorkerAvailableError();
    const worker = slot.worker!;
    const router = await worker.createRouter(options);
    slot.routers.add(router);
    router.observer.once('close', () => {
      slot.routers.delete(router);
      // mediasoup closes a dead worker's routers before it emits 'died'.
      if (worker.died) this.observer.emit('routerLost', router);
    });
    return { router, webRtcServer: slot.webRtcServer!, workerIndex: slot.index };
  }

  /** Indexes of the workers that can take routers now. */
  liveWorkerIndexes(): number[] {
    return this.slots.filter((s) => s.worker && !s.worker.died && s.webRtcServer).map((s) => s.index);
  }

  /** True once close() was called: routers closing now are an orderly shutdown, not a crash. */
  get closing(): boolean {
    return this.closed;
  }

  async usage(): Promise<WorkerUsage[]> {
    const live = this.slots.filter((s) => s.worker && !s.worker.died);
    return Promise.all(
      live.map(async (s) => {
        const ru = await s.worker!.getResourceUsage();
        return {
          index: s.index,
          pid: s.worker!.pid,
          routers: s.routers.size,
          cpuSeconds: (ru.ru_utime + ru.ru_stime) / 1000,
          maxRssBytes: ru.ru_maxrss * 1024,
        };
      }),
    );
  }

  pids(): number[] {
    return this.slots.flatMap((s) => (s.worker && !s.worker.died ? [s.worker.pid] : []));
  }

  /** Closes every worker (and so every router). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) {
      if (s.restartTimer) clearTimeout(s.restartTimer);
      s.worker?.close();
      s.worker = undefined;
    }
  }
}
