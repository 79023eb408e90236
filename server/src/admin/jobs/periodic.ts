import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../../common/src/index.js';
import type { AdminMetrics } from '../metrics.js';

/**
 * Runs `pass` every `intervalMs` on the injected clock. Passes never overlap; a tick during a
 * pass is dropped (the next tick catches up, passes are idempotent). Outcomes are counted.
 */
export class PeriodicJob {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly pass: () => Promise<void>,
    private readonly logger: Logger,
    private readonly metrics: AdminMetrics,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = (): void => {
      this.timer = this.clock.setTimeout(tick, this.intervalMs);
      if (!this.running) this.running = this.runOnce().finally(() => (this.running = undefined));
    };
    this.timer = this.clock.setTimeout(tick, this.intervalMs);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Resolves when no pass is in progress (tests: after moving the clock). */
  async idle(): Promise<void> {
    await this.running;
  }

  async runOnce(): Promise<void> {
    try {
      await this.pass();
      this.metrics.jobRuns.inc({ job: this.name, outcome: 'ok' });
    } catch (err) {
      this.metrics.jobRuns.inc({ job: this.name, outcome: 'error' });
      this.logger.error({ err, job: this.name }, 'admin job pass failed');
    }
  }
}
