import type { Clock } from '../../../common/src/index.js';
import { sipResponseFor, type RefusalCode } from '../../../server/src/meetings/index.js';
import type { PinKey } from '../media/dtmf/index.js';
import type { CallMedia, PromptId } from '../media/engine/types.js';
import type { CallsConfig } from './config.js';
import { PinEntry } from './pin-entry.js';
import { CallEndReason } from './reasons.js';
import { refusalPrompt } from './refusal-prompts.js';

export type PinIvrOutcome<H> =
  | { kind: 'joined'; handle: H }
  /** The call must end: play these prompts, then BYE with this cause. */
  | { kind: 'end'; reason: CallEndReason; prompts: PromptId[]; cause: number; code?: string };

export type PinJoinAttempt<H> = { kind: 'joined'; handle: H } | { kind: 'refused'; code: RefusalCode };

export interface PinIvrDeps<H> {
  media: Pick<CallMedia, 'play' | 'stopPlayback' | 'setInbandDtmf'>;
  clock: Clock;
  config: Pick<CallsConfig, 'pinAttempts' | 'pinDigitTimeoutMs' | 'pinTimeouts' | 'pinMaxDigits'>;
  /** Joins with this PIN (the meetings API counts the attempt against the room's and source's budgets). */
  join(pin: string): Promise<PinJoinAttempt<H>>;
  wrongPin(): void;
  refused(code: RefusalCode): void;
  /** Throws when the call ended meanwhile (after every await). */
  assertLive(): void;
}

/**
 * The PIN rounds of the IVR (SPEC §3): welcome, then "enter the PIN" until a PIN admits the caller,
 * three are wrong, three rounds pass without a key, or the meeting refuses for another reason. The
 * first key interrupts the prompt; keys pressed while no round is open (during "that PIN is not
 * correct") count for the next round. Keys come from `key()` whatever the DTMF path.
 */
export class PinIvr<H> {
  private entry: PinEntry | null = null;
  private readonly typeAhead: PinKey[] = [];
  private cancelled = false;

  constructor(
    private readonly deps: PinIvrDeps<H>,
    private readonly opts: { guestPin: boolean; inbandDtmf: boolean },
  ) {}

  key(key: PinKey): void {
    if (this.cancelled) return;
    if (this.entry) this.entry.key(key);
    else if (this.typeAhead.length < 32) this.typeAhead.push(key);
  }

  /** The call ended: the open round ends at once. */
  cancel(): void {
    this.cancelled = true;
    this.entry?.cancel();
  }

  async run(): Promise<PinIvrOutcome<H>> {
    const { media, config } = this.deps;
    const prompt: PromptId = this.opts.guestPin ? 'enter_pin_or_guest' : 'enter_host_pin';
    if (this.opts.inbandDtmf) await media.setInbandDtmf(true);
    let wrong = 0;
    let silentRounds = 0;
    await media.play('welcome');
    this.deps.assertLive();
    for (;;) {
      const entry = new PinEntry(this.deps.clock, { maxDigits: config.pinMaxDigits, digitTimeoutMs: config.pinDigitTimeoutMs }, () => void media.stopPlayback());
      this.entry = entry;
      const played = media.play(prompt).then(() => entry.armTimer());
      for (const key of this.typeAhead.splice(0)) entry.key(key);
      if (this.cancelled) entry.cancel();
      const result = await entry.result;
      await played.catch(() => undefined);
      this.entry = null;
      this.deps.assertLive();
      if (result.kind === 'timeout') {
        if (++silentRounds >= config.pinTimeouts) return { kind: 'end', reason: CallEndReason.PinTimeout, prompts: ['goodbye'], cause: 408 };
        continue;
      }
      silentRounds = 0;
      const attempt = await this.deps.join(result.pin);
      this.deps.assertLive();
      if (attempt.kind === 'joined') {
        if (this.opts.inbandDtmf) await media.setInbandDtmf(false);
        return attempt;
      }
      if (attempt.code === 'wrong_pin') {
        this.deps.wrongPin();
        if (++wrong >= config.pinAttempts) {
          return { kind: 'end', reason: CallEndReason.TooManyPinAttempts, prompts: ['wrong_pin', 'goodbye'], cause: sipResponseFor('wrong_pin').status };
        }
        await media.play('wrong_pin');
        this.deps.assertLive();
        continue;
      }
      if (attempt.code === 'pin_required') continue; // an empty PIN: ask again
      this.deps.refused(attempt.code);
      return { kind: 'end', reason: CallEndReason.Refused, prompts: [refusalPrompt(attempt.code), 'goodbye'], cause: sipResponseFor(attempt.code).status, code: attempt.code };
    }
  }
}
