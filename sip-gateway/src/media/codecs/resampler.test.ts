import { describe, expect, it } from 'vitest';
import { Resampler } from './resampler.js';
import { sineTone } from './reference-tools.test-support.js';

/** Resample a whole signal through one Resampler in 20 ms frames, as the mixer does. */
function resampleInFrames(resampler: Resampler, input: Int16Array): Int16Array {
  const frameIn = resampler.inputRate / 50;
  const frameOut = resampler.outputRate / 50;
  const out = new Int16Array((input.length / frameIn) * frameOut);
  for (let f = 0; f * frameIn < input.length; f++) {
    const written = resampler.process(input.subarray(f * frameIn, (f + 1) * frameIn), out.subarray(f * frameOut, (f + 1) * frameOut));
    expect(written).toBe(frameOut);
  }
  return out;
}

/** Goertzel power of `freq` in `x` (normalised by length). */
function goertzel(x: Int16Array, rate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / (x.length * x.length);
}

/**
 * SNR of `x` against the best-fitting sine of `freq` (least squares on sin, cos and DC), so the
 * filter's delay doesn't matter; everything not that sine — aliases, images, clicks at frame
 * boundaries — counts as noise.
 */
function sineSnrDb(x: Int16Array, rate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / rate;
  // Normal equations for [sin, cos, 1].
  const A = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const b = [0, 0, 0];
  for (let i = 0; i < x.length; i++) {
    const v = [Math.sin(w * i), Math.cos(w * i), 1];
    for (let r = 0; r < 3; r++) {
      b[r]! += v[r]! * x[i]!;
      for (let c = 0; c < 3; c++) A[r]![c]! += v[r]! * v[c]!;
    }
  }
  const coef = solve3(A, b);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < x.length; i++) {
    const fit = coef[0]! * Math.sin(w * i) + coef[1]! * Math.cos(w * i) + coef[2]!;
    signal += fit * fit;
    noise += (x[i]! - fit) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

function solve3(A: number[][], b: number[]): number[] {
  const m = A.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c < 4; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return [0, 1, 2].map((i) => m[i]![3]! / m[i]![i]!);
}

const pairs: Array<[number, number]> = [
  [8000, 16000],
  [8000, 48000],
  [16000, 48000],
  [16000, 8000],
  [48000, 8000],
  [48000, 16000],
];

describe('Resampler (polyphase windowed sinc)', () => {
  it.each(pairs)('%i Hz → %i Hz keeps a 1 kHz tone at 1 kHz, at full level, with SNR > 50 dB across 20 ms frames', (from, to) => {
    const resampler = new Resampler(from, to);
    const out = resampleInFrames(resampler, sineTone(from, 1000, 1, 12000));
    // Skip the filter's start-up (its delay plus a margin) before measuring.
    const steady = out.subarray(Math.ceil(resampler.delaySamples) + to / 100);
    const at1k = goertzel(steady, to, 1000);
    for (const other of [500, 900, 1100, 2000, 3000]) expect(at1k).toBeGreaterThan(1000 * goertzel(steady, to, other));
    // Amplitude 12000 → Goertzel power (A/2)^2.
    expect(Math.sqrt(at1k) * 2).toBeGreaterThan(12000 * 0.97);
    expect(Math.sqrt(at1k) * 2).toBeLessThan(12000 * 1.03);
    expect(sineSnrDb(steady, to, 1000)).toBeGreaterThan(50);
  });

  it.each(pairs)('%i Hz → %i Hz gives the same samples frame by frame as in one block (no seams at frame boundaries)', (from, to) => {
    const input = sineTone(from, 1000, 0.2, 12000);
    const framed = resampleInFrames(new Resampler(from, to), input);
    const whole = new Int16Array(framed.length);
    new Resampler(from, to, { maxInputSamples: input.length }).process(input, whole);
    expect(Array.from(framed)).toEqual(Array.from(whole));
  });

  it('removes what the lower rate cannot carry: a 6 kHz tone going 48 → 8 kHz comes out at least 60 dB down', () => {
    const out = resampleInFrames(new Resampler(48000, 8000), sineTone(48000, 6000, 0.5, 12000));
    const steady = out.subarray(200);
    // 6 kHz would alias to 2 kHz at 8 kHz.
    const residual = Math.sqrt(goertzel(steady, 8000, 2000)) * 2;
    expect(20 * Math.log10(residual / 12000)).toBeLessThan(-60);
  });

  it('reset() forgets the previous stream: the next frame is what a fresh resampler gives', () => {
    const used = new Resampler(16000, 48000);
    resampleInFrames(used, sineTone(16000, 700, 0.1, 12000));
    used.reset();
    const frame = sineTone(16000, 1000, 0.02, 12000);
    const afterReset = new Int16Array(960);
    const fresh = new Int16Array(960);
    used.process(frame, afterReset);
    new Resampler(16000, 48000).process(frame, fresh);
    expect(Array.from(afterReset)).toEqual(Array.from(fresh));
  });

  it('passes equal rates through unchanged', () => {
    const input = sineTone(16000, 1000, 0.02);
    const out = new Int16Array(320);
    new Resampler(16000, 16000).process(input, out);
    expect(Array.from(out)).toEqual(Array.from(input));
  });

  it('refuses frames it cannot resample exactly, and bad rates', () => {
    const r = new Resampler(48000, 8000);
    expect(() => r.process(new Int16Array(961), new Int16Array(200))).toThrow(RangeError);
    expect(() => r.process(new Int16Array(960), new Int16Array(100))).toThrow(RangeError);
    expect(() => new Resampler(0, 8000)).toThrow(RangeError);
    expect(() => new Resampler(44101, 8000)).toThrow(RangeError);
  });
});
