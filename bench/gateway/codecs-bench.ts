/**
 * Codec micro-bench: 20 ms frames per second on ONE core for each gateway audio codec and
 * resampler direction, so the mixer's per-leg CPU budget can be estimated (a leg at 50 frames/s
 * costs 50 / (frames/s) of a core per codec step). A bench, not a test: nothing here passes or fails.
 *
 *   npx tsx bench/gateway/codecs-bench.ts [seconds-per-case, default 1]
 */
import { G722Decoder, G722Encoder, Resampler, decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../sip-gateway/src/media/codecs/index.js';

const seconds = Number(process.argv[2] ?? 1);

function tone(rate: number, samples: number): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(10000 * Math.sin((2 * Math.PI * 1000 * i) / rate) + 3000 * Math.sin((2 * Math.PI * 3100 * i) / rate));
  return out;
}

/** Run `frame` repeatedly for about `seconds` (after a warm-up) and return frames per second. */
function measure(frame: () => void): number {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) frame();
  let frames = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) frame();
    frames += 100;
  }
  return frames / ((performance.now() - start) / 1000);
}

const pcm8 = tone(8000, 160);
const pcm16 = tone(16000, 320);
const pcm48 = tone(48000, 960);
const bytes160 = new Uint8Array(160);
const out8 = new Int16Array(160);
const out16 = new Int16Array(320);
const out48 = new Int16Array(960);
encodeUlaw(pcm8, bytes160);
const ulawFrame = bytes160.slice();
encodeAlaw(pcm8, bytes160);
const alawFrame = bytes160.slice();
const g722Frame = new Uint8Array(160);
new G722Encoder().encode(pcm16, g722Frame);

const g722Enc = new G722Encoder();
const g722Dec = new G722Decoder();
const resamplers = {
  '8→48': new Resampler(8000, 48000),
  '16→48': new Resampler(16000, 48000),
  '48→8': new Resampler(48000, 8000),
  '48→16': new Resampler(48000, 16000),
};

const cases: Array<[string, () => void]> = [
  ['PCMU encode (160 samples)', () => encodeUlaw(pcm8, bytes160)],
  ['PCMU decode', () => decodeUlaw(ulawFrame, out8)],
  ['PCMA encode', () => encodeAlaw(pcm8, bytes160)],
  ['PCMA decode', () => decodeAlaw(alawFrame, out8)],
  ['G.722 encode (320 samples)', () => g722Enc.encode(pcm16, bytes160)],
  ['G.722 decode', () => g722Dec.decode(g722Frame, out16)],
  ['resample 8→48 kHz', () => resamplers['8→48'].process(pcm8, out48)],
  ['resample 16→48 kHz', () => resamplers['16→48'].process(pcm16, out48)],
  ['resample 48→8 kHz', () => resamplers['48→8'].process(pcm48, out8)],
  ['resample 48→16 kHz', () => resamplers['48→16'].process(pcm48, out16)],
];

console.log(`node ${process.version}, ${seconds}s per case, one core (this thread)`);
console.log('| step (20 ms frame) | frames/s per core | legs per core at 50 frames/s |');
console.log('| --- | ---: | ---: |');
for (const [name, frame] of cases) {
  const fps = measure(frame);
  console.log(`| ${name} | ${Math.round(fps).toLocaleString('en-US')} | ${Math.floor(fps / 50).toLocaleString('en-US')} |`);
}
