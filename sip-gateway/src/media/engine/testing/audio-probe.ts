/**
 * Test audio: sine tones made in code, and a Goertzel probe that says how much of a signal's
 * energy sits at a given frequency — enough to tell which callers' tones a mix contains.
 */
export function tone(freqHz: number, rate: number, samples: number, amplitude = 8000, phaseSamples = 0): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * (i + phaseSamples)) / rate));
  return out;
}

/** Share (0–1) of the signal's energy at `freqHz` (Goertzel over the whole buffer, ±½ bin). */
export function toneShare(pcm: Int16Array, freqHz: number, rate: number): number {
  const n = pcm.length;
  if (n === 0) return 0;
  const coeff = 2 * Math.cos((2 * Math.PI * freqHz) / rate);
  let q1 = 0;
  let q2 = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const x = pcm[i]!;
    energy += x * x;
    const q0 = coeff * q1 - q2 + x;
    q2 = q1;
    q1 = q0;
  }
  if (energy === 0) return 0;
  const power = q1 * q1 + q2 * q2 - coeff * q1 * q2;
  // A pure sine of amplitude A: power ≈ (A·n/2)², energy ≈ A²·n/2 → ratio 2·power/(n·energy) ≈ 1.
  return (2 * power) / (n * energy);
}

/** RMS of a PCM buffer. */
export function rms(pcm: Int16Array): number {
  let e = 0;
  for (let i = 0; i < pcm.length; i++) e += pcm[i]! * pcm[i]!;
  return pcm.length ? Math.sqrt(e / pcm.length) : 0;
}

export function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}
