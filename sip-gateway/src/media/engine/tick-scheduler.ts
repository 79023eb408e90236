import { performance } from 'node:perf_hooks';

/** Frames more than this far behind are skipped rather than caught up (a stalled thread must not burst). */
const MAX_CATCH_UP_FRAMES = 5;

/**
 * The worker's one 20 ms clock for every room and call it hosts. Drift-corrected: tick n is due at
 * start + n·frame, so timer lateness never accumulates; a tick that starts more than one frame
 * after its due time counts as a deadline miss. Ticks a little behind run back to back to catch
 * up (RTP timestamps stay in step with wall time); far behind, the schedule re-anchors to now.
 * `mixOnce(nowMs)` runs one tick by hand (tests drive time with it; `start()` is never called then).
 *
 * Why a tick was late is counted too, so a miss can be told from a busy machine: a miss is
 * "busy" when this thread's event loop was active (ticks, packet handlers, GC) for at least a
 * frame since the previous tick started — the worker itself could not keep up; otherwise the
 * thread had time to spare and was woken late (the OS ran something else). Every tick's own
 * duration is summed, and one that takes longer than a frame is an overrun.
 */
export class TickScheduler {
  deadlineMisses = 0;
  /** Misses after at least a frame of this thread's own work since the previous tick. */
  busyDeadlineMisses = 0;
  /** Ticks whose own work took longer than a frame (wall time, preemption included). */
  overruns = 0;
  /** Sum of every tick's duration (ms, wall). */
  workMs = 0;
  ticks = 0;
  private timer: NodeJS.Timeout | null = null;
  private startMs = 0;
  private frameIndex = 0;
  /** Event-loop active time when the previous tick started. */
  private activeAtLastTick = 0;

  constructor(
    private readonly onTick: (nowMs: number) => void,
    private readonly frameMs = 20,
    private readonly now: () => number = () => performance.now(),
    /** This thread's event-loop active time so far, ms (performance.eventLoopUtilization). */
    private readonly activeMs: () => number = () => performance.eventLoopUtilization().active,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer) return;
    this.startMs = this.now();
    this.frameIndex = 0;
    this.activeAtLastTick = this.activeMs();
    this.timer = setTimeout(() => this.fire(), 0);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Runs one tick at `nowMs` (the due time is the caller's business). */
  mixOnce(nowMs: number): void {
    this.ticks++;
    this.onTick(nowMs);
  }

  private fire(): void {
    const now = this.now();
    const active = this.activeMs();
    const due = this.startMs + this.frameIndex * this.frameMs;
    const lateFrames = (now - due) / this.frameMs;
    if (lateFrames > 1) {
      this.deadlineMisses++;
      if (active - this.activeAtLastTick >= this.frameMs) this.busyDeadlineMisses++;
    }
    this.activeAtLastTick = active;
    if (lateFrames > MAX_CATCH_UP_FRAMES) {
      this.frameIndex = Math.floor((now - this.startMs) / this.frameMs);
    }
    try {
      this.mixOnce(now);
    } finally {
      const work = this.now() - now;
      this.workMs += work;
      if (work > this.frameMs) this.overruns++;
      this.frameIndex++;
      if (this.timer) {
        const next = this.startMs + this.frameIndex * this.frameMs;
        this.timer = setTimeout(() => this.fire(), Math.max(0, next - this.now()));
      }
    }
  }
}
