import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TickScheduler } from './tick-scheduler.js';

describe('TickScheduler', () => {
  // Fake timers and clock: the schedule's arithmetic, not this shared machine's timer slack.
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  it('mixOnce runs one tick at the given time and counts it', () => {
    const seen: number[] = [];
    const s = new TickScheduler((now) => seen.push(now));
    s.mixOnce(100);
    s.mixOnce(120);
    expect(seen).toEqual([100, 120]);
    expect(s.ticks).toBe(2);
    expect(s.running).toBe(false);
  });

  it('keeps ticks on the 20 ms grid from its start (no drift) and counts a tick over one frame late as a miss', async () => {
    // Real time plus a jump: after the 2nd tick the clock leaps 45 ms, as if the thread had stalled.
    let extra = 0;
    const now = (): number => Date.now() + extra;
    const seen: number[] = [];
    let start = 0;
    const s = new TickScheduler(
      (t) => {
        if (seen.length === 0) start = t;
        seen.push(t - start);
        if (seen.length === 2) extra += 45;
        if (seen.length >= 8) s.stop();
      },
      20,
      now,
    );
    s.start();
    for (let i = 0; i < 100 && s.running; i++) await vi.advanceTimersByTimeAsync(10);
    expect(seen.length).toBe(8);
    expect(s.deadlineMisses).toBe(1);
    // Tick k runs on the grid anchored at start() (a few ms of timer slack), never drifting later.
    seen.forEach((t, k) => expect(t).toBeGreaterThanOrEqual(k * 20 - 5));
    expect(seen[7]!).toBeLessThan(7 * 20 + 45 + 20);
  });

  it("tells a miss after the worker's own long work (busy, an overrun) from a late wake-up with time to spare", async () => {
    // A fake clock and event-loop "active" time: during tick 2 the clock moves 45 ms with the loop
    // active (busy work); during tick 5 it moves 45 ms with the loop idle (the OS ran something else).
    let extra = 0;
    let active = 0;
    const now = (): number => Date.now() + extra;
    let ticks = 0;
    const s = new TickScheduler(
      () => {
        ticks++;
        if (ticks === 2) {
          extra += 45;
          active += 45;
        }
        if (ticks === 5) extra += 45;
        if (ticks >= 9) s.stop();
      },
      20,
      now,
      () => active,
    );
    s.start();
    for (let i = 0; i < 100 && s.running; i++) await vi.advanceTimersByTimeAsync(10);
    expect(ticks).toBe(9);
    expect(s.deadlineMisses).toBe(2);
    expect(s.busyDeadlineMisses).toBe(1);
    expect(s.overruns).toBe(2); // the clock jumps inside ticks 2 and 5 alike: wall time cannot tell
    expect(s.workMs).toBeGreaterThanOrEqual(90);
  });

  it('re-anchors instead of bursting when far behind', async () => {
    let extra = 0;
    const now = (): number => Date.now() + extra;
    let ticks = 0;
    const s = new TickScheduler(
      () => {
        ticks++;
        if (ticks === 1) extra += 1000; // 50 frames lost
      },
      20,
      now,
    );
    s.start();
    await vi.advanceTimersByTimeAsync(110);
    s.stop();
    expect(s.deadlineMisses).toBe(1);
    // ~5 ticks in 110 ms: the 50 lost frames were skipped, not replayed back to back.
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(ticks).toBeLessThanOrEqual(8);
  });
});
