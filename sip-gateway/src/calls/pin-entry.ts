import type { Clock, TimerHandle } from '../../../common/src/index.js';
import type { DtmfKey } from '../media/dtmf/index.js';

export interface PinEntryOptions {
  /** Longest PIN accepted; more digits end the entry (the PIN is then wrong). */
  maxDigits: number;
  /** Time allowed after the prompt for the first key, and between keys. */
  digitTimeoutMs: number;
}

export type PinEntryResult = { kind: 'entered'; pin: string } | { kind: 'timeout'; partial: string };

/**
 * One round of PIN entry: digits until `#` (or `maxDigits`), `*` clears what was typed, and a
 * digit timeout ends the round. The first key also tells the caller to stop the prompt (barge-in).
 * Deterministic: time from the injected clock.
 */
export class PinEntry {
  private digits = '';
  private timer: TimerHandle | undefined;
  private done = false;
  private resolveResult!: (r: PinEntryResult) => void;
  readonly result: Promise<PinEntryResult>;

  constructor(
    private readonly clock: Clock,
    private readonly options: PinEntryOptions,
    private readonly onFirstKey: () => void = () => {},
  ) {
    this.result = new Promise((resolve) => (this.resolveResult = resolve));
  }

  /** Starts (or restarts) the digit timer; call when the prompt has finished or been interrupted. */
  armTimer(): void {
    if (this.done) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(() => this.finish({ kind: 'timeout', partial: this.digits }), this.options.digitTimeoutMs);
  }

  key(key: DtmfKey): void {
    if (this.done) return;
    if (this.digits.length === 0) this.onFirstKey();
    if (key === '#') return this.finish({ kind: 'entered', pin: this.digits });
    if (key === '*') {
      this.digits = '';
      this.armTimer();
      return;
    }
    if (!/^[0-9]$/.test(key)) return;
    this.digits += key;
    if (this.digits.length >= this.options.maxDigits) return this.finish({ kind: 'entered', pin: this.digits });
    this.armTimer();
  }

  cancel(): void {
    this.finish({ kind: 'timeout', partial: this.digits });
  }

  private finish(result: PinEntryResult): void {
    if (this.done) return;
    this.done = true;
    this.timer?.cancel();
    this.resolveResult(result);
  }
}
