/**
 * Per-source token buckets (requests per second with a burst). The table is bounded: when full,
 * the oldest source is forgotten, so a spoofed-address flood cannot grow memory.
 */
import type { Clock } from '../../../../common/src/index.js';

export class SourceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly maxSources = 50_000,
  ) {}

  /** Takes one token for `source`; false when the source is over its rate. */
  take(source: string): boolean {
    if (this.perSecond <= 0) return true;
    const now = this.clock.now();
    let b = this.buckets.get(source);
    if (!b) {
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next().value;
        if (oldest !== undefined) this.buckets.delete(oldest);
      }
      b = { tokens: this.burst, at: now };
      this.buckets.set(source, b);
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
      b.at = now;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
