/**
 * G.711 µ-law (PCMU) and A-law (PCMA): 16-bit linear PCM ↔ 8-bit companded samples.
 *
 * The arithmetic is the classic ITU-T G.711 segment search (as in Sun's reference g711.c, which
 * sox also uses); at module load it fills a 64 Ki-entry encode table and a 256-entry decode table
 * per law, so the per-sample work is one table lookup. All functions write into caller-provided
 * buffers and allocate nothing per frame.
 */

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 8159;
const ULAW_SEG_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff] as const;
const ALAW_SEG_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;

function segment(value: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (value <= ends[i]!) return i;
  return ends.length;
}

/**
 * Reference µ-law encoder for one 16-bit sample (used to build the table). The 16 → 14-bit step
 * rounds to nearest (saturating at the top) instead of truncating, as sox does: it halves the
 * worst-case error at segment boundaries and makes our bytes identical to sox's.
 */
function ulawFromLinear(sample: number): number {
  let pcm = Math.min((sample + 2) >> 2, 8191);
  let mask: number;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  } else {
    mask = 0xff;
  }
  if (pcm > ULAW_CLIP) pcm = ULAW_CLIP;
  pcm += ULAW_BIAS >> 2;
  const seg = segment(pcm, ULAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

function linearFromUlaw(code: number): number {
  const u = ~code & 0xff;
  let t = ((u & 0x0f) << 3) + ULAW_BIAS;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? ULAW_BIAS - t : t - ULAW_BIAS;
}

/** Reference A-law encoder for one 16-bit sample; 16 → 13-bit rounds to nearest like µ-law above. */
function alawFromLinear(sample: number): number {
  let pcm = Math.min((sample + 4) >> 3, 4095);
  let mask: number;
  if (pcm >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, ALAW_SEG_END);
  if (seg >= 8) return 0x7f ^ mask;
  let a = seg << 4;
  a |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return a ^ mask;
}

function linearFromAlaw(code: number): number {
  const a = (code ^ 0x55) & 0xff;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

// Encode tables are indexed by the sample's 16-bit two's-complement pattern (sample & 0xffff).
const ULAW_ENCODE = new Uint8Array(65536);
const ALAW_ENCODE = new Uint8Array(65536);
for (let i = 0; i < 65536; i++) {
  const sample = (i << 16) >> 16;
  ULAW_ENCODE[i] = ulawFromLinear(sample);
  ALAW_ENCODE[i] = alawFromLinear(sample);
}
/** 256-entry decode tables (exported so the mixer can decode inline). */
export const ULAW_DECODE_TABLE = new Int16Array(256);
export const ALAW_DECODE_TABLE = new Int16Array(256);
for (let i = 0; i < 256; i++) {
  ULAW_DECODE_TABLE[i] = linearFromUlaw(i);
  ALAW_DECODE_TABLE[i] = linearFromAlaw(i);
}

function checkSizes(input: ArrayLike<number>, output: ArrayLike<number>, count: number): void {
  if (count > input.length || count > output.length) {
    throw new RangeError(`g711: ${count} samples do not fit (input ${input.length}, output ${output.length})`);
  }
}

/** µ-law encode `count` samples (default: all of `pcm`) into `out`; returns the count. */
export function encodeUlaw(pcm: Int16Array, out: Uint8Array, count = pcm.length): number {
  checkSizes(pcm, out, count);
  for (let i = 0; i < count; i++) out[i] = ULAW_ENCODE[pcm[i]! & 0xffff]!;
  return count;
}

/** µ-law decode `count` bytes (default: all of `payload`) into `out`; returns the count. */
export function decodeUlaw(payload: Uint8Array, out: Int16Array, count = payload.length): number {
  checkSizes(payload, out, count);
  for (let i = 0; i < count; i++) out[i] = ULAW_DECODE_TABLE[payload[i]!]!;
  return count;
}

/** A-law encode `count` samples (default: all of `pcm`) into `out`; returns the count. */
export function encodeAlaw(pcm: Int16Array, out: Uint8Array, count = pcm.length): number {
  checkSizes(pcm, out, count);
  for (let i = 0; i < count; i++) out[i] = ALAW_ENCODE[pcm[i]! & 0xffff]!;
  return count;
}

/** A-law decode `count` bytes (default: all of `payload`) into `out`; returns the count. */
export function decodeAlaw(payload: Uint8Array, out: Int16Array, count = payload.length): number {
  checkSizes(payload, out, count);
  for (let i = 0; i < count; i++) out[i] = ALAW_DECODE_TABLE[payload[i]!]!;
  return count;
}
