import { DTMF_DIGITS, type DtmfDigit, type DtmfKeyEvent } from './digits.js';

const ROW_HZ = [697, 770, 852, 941] as const;
const COL_HZ = [1209, 1336, 1477, 1633] as const;

/** Thrown for a configuration mistake at construction (never for audio input). */
export class DtmfDetectorConfigError extends Error {
  override readonly name = 'DtmfDetectorConfigError';
  readonly code = 'dtmf_detector_config_invalid';
}

export interface InbandDtmfDetectorOptions {
  readonly sampleRate: 8000 | 16000;
  readonly onDigit: (event: Extract<DtmfKeyEvent, { method: 'inband' }>) => void;
}

/**
 * Analysis block: 12.75 ms (102 samples at 8 kHz, as in spandsp). Its ~78 Hz resolution puts each
 * neighbouring DTMF frequency near a null of the others' response, and two blocks in a row
 * (the minimum-duration check) span ~26–38 ms, so every tone of 40 ms or more is accepted.
 */
const BLOCK_MS = 12.75;
/** Same digit in this many consecutive blocks before it is reported (minimum duration). */
const MIN_HIT_BLOCKS = 2;
/** Blocks without the digit before the same or another digit may be reported (inter-digit pause). */
const MIN_PAUSE_BLOCKS = 2;
/**
 * Share of the block's energy that must be in the two tones (rejects speech, music, noise). It is
 * also what makes the duration check honest: a block only partly filled by a tone (the rest silent)
 * scores about its filled fraction, so two hits need two blocks ≥ 85 % filled — impossible for a
 * 20 ms tone (160 samples < 2 × 87) — while a 40 ms tone always covers two whole blocks.
 */
const MIN_TONE_SHARE = 0.85;
/** Normal twist (column louder) up to 8 dB, reverse twist (row louder) up to 4 dB — ITU-T Q.24 practice. */
const MAX_NORMAL_TWIST = 10 ** (8 / 10);
const MAX_REVERSE_TWIST = 10 ** (4 / 10);
/** The winning row/column tone must beat every other tone of its group by 8 dB. */
const MIN_RELATIVE_PEAK = 10 ** (8 / 10);
/** Each tone at least ~-38 dBFS (≈ -35 dBm0) in amplitude: quieter is line noise. */
const MIN_TONE_AMPLITUDE = 0.0125 * 32768;

/**
 * In-band DTMF detector: eight Goertzel filters run sample by sample over 16-bit PCM, with the
 * standard checks (signal level, tone share of energy, twist, relative peak in each group), a
 * minimum tone duration and a pause between digits. State carries across frames of any length
 * (20 ms frames in practice); processing allocates nothing.
 */
export class InbandDtmfDetector {
  private readonly blockSize: number;
  private readonly coeff = new Float64Array(8);
  private readonly q1 = new Float64Array(8);
  private readonly q2 = new Float64Array(8);
  private readonly power = new Float64Array(8);
  private readonly minTonePower: number;
  private readonly onDigit: InbandDtmfDetectorOptions['onDigit'];
  private blockFill = 0;
  private blockEnergy = 0;
  private samplesSeen = 0;
  /** Digit index 0–15 of the current candidate, or -1. */
  private candidate = -1;
  private candidateBlocks = 0;
  private active = -1;
  private activeMisses = 0;

  constructor(options: InbandDtmfDetectorOptions) {
    if (options.sampleRate !== 8000 && options.sampleRate !== 16000) {
      throw new DtmfDetectorConfigError(`unsupported sample rate ${String(options.sampleRate)}`);
    }
    this.blockSize = Math.round((options.sampleRate * BLOCK_MS) / 1000);
    const freqs = [...ROW_HZ, ...COL_HZ];
    for (let i = 0; i < 8; i++) this.coeff[i] = 2 * Math.cos((2 * Math.PI * freqs[i]!) / options.sampleRate);
    // Goertzel power of a sine of amplitude A over N samples ≈ (A·N/2)².
    this.minTonePower = ((MIN_TONE_AMPLITUDE * this.blockSize) / 2) ** 2;
    this.onDigit = options.onDigit;
  }

  /** Feed PCM (signed 16-bit, mono, at the configured rate). */
  process(frame: Int16Array): void {
    const coeff = this.coeff;
    const q1 = this.q1;
    const q2 = this.q2;
    for (let n = 0; n < frame.length; n++) {
      const x = frame[n]!;
      this.blockEnergy += x * x;
      for (let i = 0; i < 8; i++) {
        const q0 = coeff[i]! * q1[i]! - q2[i]! + x;
        q2[i] = q1[i]!;
        q1[i] = q0;
      }
      if (++this.blockFill === this.blockSize) this.endBlock(this.samplesSeen + n + 1);
    }
    this.samplesSeen += frame.length;
  }

  /** Forget any tone in progress (e.g. after a hold or a codec change). */
  reset(): void {
    this.q1.fill(0);
    this.q2.fill(0);
    this.blockFill = 0;
    this.blockEnergy = 0;
    this.candidate = -1;
    this.candidateBlocks = 0;
    this.active = -1;
    this.activeMisses = 0;
  }

  private endBlock(atSample: number): void {
    const p = this.power;
    for (let i = 0; i < 8; i++) {
      const a = this.q1[i]!;
      const b = this.q2[i]!;
      p[i] = a * a + b * b - this.coeff[i]! * a * b;
    }
    const hit = this.classify();
    this.q1.fill(0);
    this.q2.fill(0);
    this.blockFill = 0;
    this.blockEnergy = 0;

    if (hit >= 0 && hit === this.candidate) this.candidateBlocks++;
    else {
      this.candidate = hit;
      this.candidateBlocks = hit >= 0 ? 1 : 0;
    }
    if (this.active >= 0) {
      if (hit === this.active) this.activeMisses = 0;
      else if (++this.activeMisses >= MIN_PAUSE_BLOCKS) this.active = -1;
    }
    if (this.active < 0 && this.candidate >= 0 && this.candidateBlocks >= MIN_HIT_BLOCKS) {
      this.active = this.candidate;
      this.activeMisses = 0;
      this.onDigit({ key: DTMF_DIGITS[this.candidate]!, method: 'inband', atSample });
    }
  }

  /** Digit index 0–15 (row·4 + column) if this block holds a valid DTMF pair, else -1. */
  private classify(): number {
    const p = this.power;
    let row = 0;
    for (let i = 1; i < 4; i++) if (p[i]! > p[row]!) row = i;
    let col = 4;
    for (let i = 5; i < 8; i++) if (p[i]! > p[col]!) col = i;
    const rowPower = p[row]!;
    const colPower = p[col]!;
    if (rowPower < this.minTonePower || colPower < this.minTonePower) return -1;
    if (colPower > rowPower * MAX_NORMAL_TWIST || rowPower > colPower * MAX_REVERSE_TWIST) return -1;
    for (let i = 0; i < 4; i++) if (i !== row && p[i]! * MIN_RELATIVE_PEAK > rowPower) return -1;
    for (let i = 4; i < 8; i++) if (i !== col && p[i]! * MIN_RELATIVE_PEAK > colPower) return -1;
    // Pure tones: (rowPower + colPower) ≈ (N/2)·Σx². Speech spreads its energy elsewhere.
    if (rowPower + colPower < MIN_TONE_SHARE * (this.blockSize / 2) * this.blockEnergy) return -1;
    return KEYPAD[row * 4 + (col - 4)]!;
  }
}

/** Keypad layout: row (697…941) × column (1209…1633) → index into DTMF_DIGITS. */
const KEYPAD: readonly number[] = ['1', '2', '3', 'A', '4', '5', '6', 'B', '7', '8', '9', 'C', '*', '0', '#', 'D'].map((d) =>
  DTMF_DIGITS.indexOf(d as DtmfDigit),
);
