/**
 * Test support: what a recording contains, by frequency. Reads 16-bit PCM WAV files (baresip's
 * sndfile dumps, sox output) and measures the share of the signal's power near given frequencies
 * with the Goertzel algorithm, so a test can say "hears 500 Hz and 1,300 Hz, not its own 800 Hz".
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface Pcm {
  rate: number;
  samples: Float32Array;
}

export function readWav(file: string): Pcm {
  const buf = fs.readFileSync(file);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${file}: not a WAV file`);
  let offset = 12;
  let rate = 0;
  let channels = 1;
  let bits = 16;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    let size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(body + 2);
      rate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16) throw new Error(`${file}: ${bits}-bit WAV, expected 16`);
      // A WAV still being written may carry a size of 0 or past the end.
      if (size === 0 || body + size > buf.length) size = buf.length - body;
      const frames = Math.floor(size / 2 / channels);
      const samples = new Float32Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = buf.readInt16LE(body + i * 2 * channels) / 32768;
      return { rate, samples };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** Power at `freq` (Goertzel over the whole block), as a share of the block's total power (0..1, window-corrected). */
function shareAt(x: Float32Array, from: number, to: number, rate: number, freq: number): number {
  const n = to - from;
  const k = Math.round((n * freq) / rate);
  const w = (2 * Math.PI * k) / n;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = from; i < to; i++) {
    const v = x[i]!;
    energy += v * v;
    const s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  if (energy === 0) return 0;
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  // A pure tone of power P gives Goertzel power ≈ N²·A²/4 = N·energy/2.
  return Math.min(1, (2 * power) / (n * energy));
}

/**
 * For each frequency, the median (over 100 ms blocks with any signal) of its power share. A tone
 * that is really there scores well above 0.05 even in a mix of three; one that is absent scores
 * near 0.
 */
export function toneShares(pcm: Pcm, freqs: number[], opts: { skipSeconds?: number } = {}): Record<number, number> {
  const block = Math.round(pcm.rate / 10);
  const start = Math.round((opts.skipSeconds ?? 0) * pcm.rate);
  const result: Record<number, number> = {};
  for (const f of freqs) {
    const shares: number[] = [];
    for (let from = start; from + block <= pcm.samples.length; from += block) {
      let energy = 0;
      for (let i = from; i < from + block; i++) energy += pcm.samples[i]! ** 2;
      if (energy / block < 1e-6) continue; // silence
      shares.push(shareAt(pcm.samples, from, from + block, pcm.rate, f));
    }
    shares.sort((a, b) => a - b);
    result[f] = shares.length ? shares[Math.floor(shares.length / 2)]! : 0;
  }
  return result;
}

/** RMS level of the whole recording in dBFS (−∞ for digital silence). */
export function rmsDbfs(pcm: Pcm): number {
  let e = 0;
  for (const v of pcm.samples) e += v * v;
  return 10 * Math.log10(e / Math.max(1, pcm.samples.length));
}

/** A sine tone WAV made by sox (16-bit mono). */
export function writeToneWav(file: string, freq: number, seconds: number, rate = 8000, volume = 0.5): void {
  execFileSync('sox', ['-n', '-r', String(rate), '-c', '1', '-b', '16', file, 'synth', String(seconds), 'sine', String(freq), 'vol', String(volume)]);
}
