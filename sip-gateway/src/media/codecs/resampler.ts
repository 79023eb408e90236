/**
 * Polyphase windowed-sinc (Kaiser) resampler for 16-bit mono PCM between the mixer's rates
 * (8, 16 and 48 kHz; any pair whose reduced ratio L/M has small terms works).
 *
 * One Resampler per stream and direction: it keeps the last K−1 input samples, so consecutive
 * frames join with no discontinuity and the result is identical to resampling the whole stream
 * at once. Frames must hold a multiple of M input samples (20 ms frames at 8/16/48 kHz always
 * do). Nothing is allocated per frame.
 */

const MAX_RATIO_TERM = 48;
/** Sinc zero crossings kept on each side of the centre; with β = 8 the stopband is ≈ −70 dB. */
const ZERO_CROSSINGS = 16;
const KAISER_BETA = 8;
/** Pass band edge as a fraction of the lower rate's Nyquist-limited band (0.45 · lower rate). */
const CUTOFF_FRACTION = 0.45;

export interface ResamplerOptions {
  /** Largest input frame accepted, in samples (default: 120 ms at the input rate). */
  maxInputSamples?: number;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 50; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  /** Upsampling factor L and downsampling factor M (output/input = L/M). */
  readonly up: number;
  readonly down: number;
  /** Delay the filter adds, in output samples (for aligning tests and lip-sync bookkeeping). */
  readonly delaySamples: number;
  private readonly tapsPerPhase: number;
  /** phases[p][k] multiplies input x[i − k] for output phase p; gain L folded in. */
  private readonly phases: Float32Array[];
  /** History (K−1 samples) followed by room for the current frame. */
  private readonly buf: Float32Array;
  private readonly maxInput: number;

  constructor(inputRate: number, outputRate: number, options: ResamplerOptions = {}) {
    if (!Number.isInteger(inputRate) || !Number.isInteger(outputRate) || inputRate <= 0 || outputRate <= 0) {
      throw new RangeError(`resampler: rates must be positive integers (got ${inputRate} → ${outputRate})`);
    }
    const g = gcd(inputRate, outputRate);
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.up = outputRate / g;
    this.down = inputRate / g;
    if (this.up > MAX_RATIO_TERM || this.down > MAX_RATIO_TERM) {
      throw new RangeError(`resampler: ratio ${this.up}/${this.down} too fine for a polyphase filter`);
    }
    this.maxInput = options.maxInputSamples ?? Math.ceil((inputRate * 120) / 1000);

    const L = this.up;
    const upRate = inputRate * L;
    const cutoff = (CUTOFF_FRACTION * Math.min(inputRate, outputRate)) / upRate; // cycles per upsampled sample
    const identity = L === 1 && this.down === 1;
    const protoLength = identity ? 1 : Math.ceil(ZERO_CROSSINGS / cutoff / L) * L;
    this.tapsPerPhase = protoLength / L;
    const centre = (protoLength - 1) / 2;
    const proto = new Float64Array(protoLength);
    if (identity) proto[0] = 1;
    else {
      const i0Beta = besselI0(KAISER_BETA);
      for (let n = 0; n < protoLength; n++) {
        const x = n - centre;
        const sinc = x === 0 ? 1 : Math.sin(2 * Math.PI * cutoff * x) / (2 * Math.PI * cutoff * x);
        const r = x / (centre + 0.5);
        const window = besselI0(KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
        proto[n] = 2 * cutoff * sinc * window * L;
      }
    }
    this.phases = [];
    for (let p = 0; p < L; p++) {
      const phase = new Float32Array(this.tapsPerPhase);
      for (let k = 0; k < this.tapsPerPhase; k++) phase[k] = proto[p + k * L]!;
      this.phases.push(phase);
    }
    this.delaySamples = centre / this.down;
    this.buf = new Float32Array(this.tapsPerPhase - 1 + this.maxInput);
  }

  /** Output samples produced for `inputSamples` input samples. */
  outputLength(inputSamples: number): number {
    return (inputSamples * this.up) / this.down;
  }

  /**
   * Resample `count` samples of `input` (default all; a multiple of M, at most maxInputSamples)
   * into `out`; returns the number of output samples written.
   */
  process(input: Int16Array, out: Int16Array, count = input.length): number {
    const L = this.up;
    const M = this.down;
    if (count % M !== 0) throw new RangeError(`resampler: frame of ${count} samples is not a multiple of ${M}`);
    if (count > this.maxInput || count > input.length) throw new RangeError(`resampler: frame of ${count} samples exceeds ${this.maxInput}`);
    const outCount = (count * L) / M;
    if (outCount > out.length) throw new RangeError(`resampler: output needs ${outCount} samples, has ${out.length}`);

    const K = this.tapsPerPhase;
    const hist = K - 1;
    const buf = this.buf;
    for (let i = 0; i < count; i++) buf[hist + i] = input[i]!;
    const phases = this.phases;
    for (let n = 0; n < outCount; n++) {
      const t = n * M;
      const newest = hist + ((t / L) | 0);
      const h = phases[t % L]!;
      let acc = 0;
      for (let k = 0; k < K; k++) acc += h[k]! * buf[newest - k]!;
      const v = Math.round(acc);
      out[n] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    buf.copyWithin(0, count, count + hist);
    return outCount;
  }

  /** Forget the history (e.g. after a stream restarts), as if freshly constructed. */
  reset(): void {
    this.buf.fill(0);
  }
}
