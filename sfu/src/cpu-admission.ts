import type { Logger } from 'pino';
import type { WorkerUsage } from './worker-pool.js';

export interface CpuAdmissionConfig {
  /**
   * New joins and calls are refused while the media workers' average CPU use (1 = one core busy)
   * over the last sample is at or above this. 0 refuses all new work; null never refuses.
   */
  maxWorkerCpu: number | null;
  /** How often worker CPU is sampled. */
  sampleIntervalMs: number;
  /** The Retry-After given with a refusal. */
  retryAfterSeconds: number;
}

/** What admission reads from the pool: each live worker's cumulative CPU seconds. */
export interface WorkerUsageSource {
  usage(): Promise<WorkerUsage[]>;
}

/**
 * Admission control from media CPU (as LiveKit's CPU limit): samples each worker's CPU time
 * (`getResourceUsage`, the same numbers as convene_media_worker_cpu_seconds) every interval and
 * turns the deltas into a load per worker. While the average reaches `maxWorkerCpu`, `refusal()`
 * says how long to wait, so an overloaded node keeps serving the meetings it carries instead of
 * degrading them all. Running meetings, resumes and in-dialog requests are never refused.
 */
export class WorkerCpuAdmission {
  private previous = new Map<number, { cpuSeconds: number; at: number }>();
  private load = 0;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;

  constructor(
    private readonly workers: WorkerUsageSource,
    private readonly config: CpuAdmissionConfig,
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(): void {
    if (this.timer || this.config.maxWorkerCpu === null) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.config.sampleIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Average CPU use of the live workers over the last sample interval (0 before the first). */
  get cpuLoad(): number {
    return this.load;
  }

  refusal(): { retryAfterSeconds: number } | undefined {
    const max = this.config.maxWorkerCpu;
    if (max === null || this.load < max) return undefined;
    return { retryAfterSeconds: this.config.retryAfterSeconds };
  }

  /** One sample: per worker (by pid, so a restarted worker starts afresh), CPU seconds per wall second. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const usage = await this.workers.usage();
      const at = this.now();
      const next = new Map<number, { cpuSeconds: number; at: number }>();
      const loads: number[] = [];
      for (const u of usage) {
        next.set(u.pid, { cpuSeconds: u.cpuSeconds, at });
        const before = this.previous.get(u.pid);
        if (before && at > before.at) loads.push(Math.max(0, u.cpuSeconds - before.cpuSeconds) / ((at - before.at) / 1000));
      }
      this.previous = next;
      if (loads.length > 0) {
        const wasOver = this.refusal() !== undefined;
        this.load = loads.reduce((a, b) => a + b, 0) / loads.length;
        const isOver = this.refusal() !== undefined;
        if (isOver !== wasOver) {
          this.logger.warn({ cpuLoad: this.load, maxWorkerCpu: this.config.maxWorkerCpu }, isOver ? 'media workers over the CPU limit: refusing new joins and calls' : 'media workers back under the CPU limit');
        }
      }
    } catch (err) {
      this.logger.debug({ err }, 'worker CPU sample failed');
    } finally {
      this.sampling = false;
    }
  }
}
