import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { InbandDtmfDetector } from './inband-detector.js';
import { DTMF_DIGITS, type DtmfDigit, type DtmfKey } from './digits.js';

// Tones come from Debian's sox (in the tests apt list of scripts/setup.mjs), not from our own maths.
const ROW: Record<DtmfDigit, number> = { '1': 697, '2': 697, '3': 697, A: 697, '4': 770, '5': 770, '6': 770, B: 770, '7': 852, '8': 852, '9': 852, C: 852, '*': 941, '0': 941, '#': 941, D: 941 };
const COL: Record<DtmfDigit, number> = { '1': 1209, '4': 1209, '7': 1209, '*': 1209, '2': 1336, '5': 1336, '8': 1336, '0': 1336, '3': 1477, '6': 1477, '9': 1477, '#': 1477, A: 1633, B: 1633, C: 1633, D: 1633 };

type Rate = 8000 | 16000;

/** Run sox with a null input and the given synth effects; raw signed 16-bit mono PCM. */
function sox(rate: Rate, effects: string[]): Int16Array {
  const out = execFileSync('sox', ['-n', '-r', String(rate), '-c', '1', '-b', '16', '-e', 'signed', '-t', 'raw', '-', ...effects], { maxBuffer: 64 << 20 });
  return new Int16Array(out.buffer, out.byteOffset, out.length / 2);
}

/**
 * A DTMF digit: both sines `mix`ed (each lands at ~-15 dBFS, equal levels), scaled by `gain` (vol).
 * (`sine 697 sine mix 1209` would not do: sox then gives the first tone twice the second's level.)
 */
function tone(rate: Rate, digit: DtmfDigit, seconds: number, gain = 1): Int16Array {
  return sox(rate, ['synth', String(seconds), 'sine', 'mix', String(ROW[digit]), 'sine', 'mix', String(COL[digit]), 'vol', String(gain)]);
}

function silence(rate: Rate, seconds: number): Int16Array {
  return new Int16Array(Math.round(rate * seconds));
}

function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Add `noise` (same length or longer) sample by sample, clipping like a codec would. */
function addNoise(signal: Int16Array, noise: Int16Array): Int16Array {
  return signal.map((s, i) => Math.max(-32768, Math.min(32767, s + (noise[i] ?? 0))));
}

/** Feed the detector in 20 ms frames, as the media path does. */
function detect(rate: Rate, pcm: Int16Array): DtmfKey[] {
  const keys: DtmfKey[] = [];
  const detector = new InbandDtmfDetector({ sampleRate: rate, onDigit: (e) => keys.push(e.key) });
  const frame = rate / 50;
  for (let o = 0; o < pcm.length; o += frame) detector.process(pcm.subarray(o, Math.min(o + frame, pcm.length)));
  return keys;
}

it('refuses a sample rate it has no filters for', () => {
  expect(() => new InbandDtmfDetector({ sampleRate: 44100 as 8000, onDigit: () => {} })).toThrow(expect.objectContaining({ code: 'dtmf_detector_config_invalid' }));
});

describe.each([8000, 16000] as const)('InbandDtmfDetector at %i Hz', (rate) => {
  it('detects every digit once, in order, from tones of 100 ms with 60 ms pauses', () => {
    const pcm = concat(DTMF_DIGITS.flatMap((d) => [tone(rate, d, 0.1), silence(rate, 0.06)]));
    expect(detect(rate, pcm)).toEqual([...DTMF_DIGITS]);
  });

  it('detects 40 ms tones with 40 ms pauses (the ITU minimums), at any frame alignment', () => {
    for (const offsetMs of [0, 3, 7, 11]) {
      const pin: DtmfDigit[] = ['1', '9', '9', '0', '#'];
      const pcm = concat([silence(rate, offsetMs / 1000), ...pin.flatMap((d) => [tone(rate, d, 0.04), silence(rate, 0.04)])]);
      expect(detect(rate, pcm), `offset ${offsetMs} ms`).toEqual(pin);
    }
  });

  it('a long press is one digit; quiet tones (~-31 dBFS each) still count', () => {
    expect(detect(rate, concat([tone(rate, '5', 2), silence(rate, 0.1)]))).toEqual(['5']);
    expect(detect(rate, concat([tone(rate, '8', 0.1, 0.15), silence(rate, 0.1)]))).toEqual(['8']);
  });

  it('detects digits through white noise at ~15 dB SNR', () => {
    const pin: DtmfDigit[] = ['4', '7', '*', '2', 'D', '#'];
    const clean = concat(pin.flatMap((d) => [tone(rate, d, 0.08), silence(rate, 0.08)]));
    const noise = sox(rate, ['synth', String(clean.length / rate + 0.01), 'whitenoise', 'vol', '0.05']);
    expect(detect(rate, addNoise(clean, noise))).toEqual(pin);
  });

  it('accepts 6 dB normal twist (column louder), rejects 10 dB reverse twist (row louder)', () => {
    const pair = (rowGain: number, colGain: number): Int16Array =>
      concat([
        addNoise(sox(rate, ['synth', '0.1', 'sine', '852', 'vol', String(rowGain)]), sox(rate, ['synth', '0.1', 'sine', '1477', 'vol', String(colGain)])),
        silence(rate, 0.1),
      ]);
    expect(detect(rate, pair(0.1, 0.2))).toEqual(['9']);
    expect(detect(rate, pair(0.3, 0.095))).toEqual([]);
  });

  it('rejects tones that are too short (20 ms)', () => {
    const pcm = concat(['1', '5', '9', '#'].flatMap((d) => [tone(rate, d as DtmfDigit, 0.02), silence(rate, 0.1)]));
    expect(detect(rate, pcm)).toEqual([]);
  });

  it('gives no digits for non-DTMF audio: a 1 kHz tone, single DTMF frequencies, a voice-like buzz, a sweep, noise', () => {
    const audio = [
      sox(rate, ['synth', '1', 'sine', '1000', 'vol', '0.5']),
      sox(rate, ['synth', '0.5', 'sine', '697', 'vol', '0.5']),
      sox(rate, ['synth', '0.5', 'sine', '1336', 'vol', '0.5']),
      // Voiced speech is a harmonic series with a moving pitch: a sawtooth gliding 100→180 Hz.
      sox(rate, ['synth', '2', 'sawtooth', '100-180', 'vol', '0.5']),
      sox(rate, ['synth', '2', 'sine', '300-3400', 'vol', '0.5']),
      sox(rate, ['synth', '1', 'pinknoise', 'vol', '0.5']),
    ];
    for (const [i, pcm] of audio.entries()) expect(detect(rate, pcm), `clip ${i}`).toEqual([]);
  });
});
