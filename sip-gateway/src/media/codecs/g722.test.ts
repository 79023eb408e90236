import { describe, expect, it } from 'vitest';
import { G722Decoder, G722Encoder } from './g722.js';
import { bytesOf, int16FromBuffer, runTool, sineTone } from './reference-tools.test-support.js';

const ffmpegEncode = (pcm: Int16Array): Buffer =>
  runTool('ffmpeg', bytesOf(pcm), (i, o) => ['-y', '-loglevel', 'error', '-f', 's16le', '-ar', '16000', '-ac', '1', '-i', i, '-f', 'g722', o]);
const ffmpegDecode = (g722: Uint8Array): Int16Array =>
  int16FromBuffer(runTool('ffmpeg', g722, (i, o) => ['-y', '-loglevel', 'error', '-f', 'g722', '-i', i, '-f', 's16le', '-ar', '16000', '-ac', '1', o]));

/** Deterministic wide-band test signal: two tones (one in each sub-band), noise, a loud burst that clips. */
function testSignal(): Int16Array {
  const pcm = new Int16Array(32000);
  let seed = 12345;
  for (let i = 0; i < pcm.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const noise = ((seed >>> 16) / 65536 - 0.5) * 4000;
    const burst = i > 20000 && i < 22000 ? 3 : 1;
    const v = burst * (11000 * Math.sin((2 * Math.PI * 1000 * i) / 16000) + 5000 * Math.sin((2 * Math.PI * 5300 * i) / 16000)) + noise;
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return pcm;
}

/** Encode in 20 ms frames (320 samples → 160 bytes) through one encoder, as a call leg would. */
function encodeInFrames(pcm: Int16Array): Uint8Array {
  const encoder = new G722Encoder();
  const out = new Uint8Array(pcm.length / 2);
  for (let off = 0; off < pcm.length; off += 320) encoder.encode(pcm.subarray(off, off + 320), out.subarray(off / 2, off / 2 + 160));
  return out;
}

describe('G.722 (64 kbit/s) against FFmpeg', () => {
  it.each([
    ['a 1 kHz tone', () => sineTone(16000, 1000, 1)],
    ['a two-band signal with noise and a clipping burst', testSignal],
    ['silence', () => new Int16Array(3200)],
  ])('encodes %s byte-identically to ffmpeg, frame by frame', (_label, make) => {
    const pcm = make();
    const ours = encodeInFrames(pcm);
    const theirs = ffmpegEncode(pcm);
    expect(theirs.length).toBe(ours.length);
    expect(Buffer.from(ours).equals(theirs)).toBe(true);
  });

  it("decodes ffmpeg's G.722 sample-identically to ffmpeg's decoder, frame by frame", () => {
    const payload = ffmpegEncode(testSignal());
    const theirs = ffmpegDecode(payload);
    const decoder = new G722Decoder();
    const ours = new Int16Array(payload.length * 2);
    for (let off = 0; off < payload.length; off += 160) decoder.decode(payload.subarray(off, off + 160), ours.subarray(off * 2, off * 2 + 320));
    expect(theirs.length).toBe(ours.length);
    expect(Array.from(ours)).toEqual(Array.from(theirs));
  });

  it('round-trips a tone recognisably (the decoded tone correlates with the input after the codec delay)', () => {
    const tone = sineTone(16000, 1000, 0.5, 10000);
    const decoded = new Int16Array(tone.length);
    new G722Decoder().decode(encodeInFrames(tone), decoded);
    // G.722's QMF pair delays by 22 samples; compare after it, away from the start-up.
    const delay = 22;
    let signal = 0;
    let error = 0;
    for (let i = 1000; i < tone.length; i++) {
      signal += tone[i - delay]! ** 2;
      error += (tone[i - delay]! - decoded[i]!) ** 2;
    }
    expect(10 * Math.log10(signal / error)).toBeGreaterThan(20);
  });

  it('keeps streams independent: two encoders given the same input give the same bytes', () => {
    const a = encodeInFrames(testSignal());
    const b = encodeInFrames(testSignal());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('refuses an odd sample count or an output that is too small', () => {
    const encoder = new G722Encoder();
    expect(() => encoder.encode(new Int16Array(3), new Uint8Array(2))).toThrow(RangeError);
    expect(() => encoder.encode(new Int16Array(320), new Uint8Array(100))).toThrow(RangeError);
    expect(() => new G722Decoder().decode(new Uint8Array(160), new Int16Array(100))).toThrow(RangeError);
  });
});
