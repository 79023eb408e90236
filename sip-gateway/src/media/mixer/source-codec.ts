/**
 * A source's decoder at its native rate (G.711: 8 kHz, G.722: 16 kHz, Opus: decoded at 16 kHz),
 * with packet-loss concealment. Decoding at the native rate lets ranking and the room feed work
 * without resampling; only sources that are mixed get resampled to the mix rate.
 */
import { ALAW_DECODE_TABLE, G722Decoder, ULAW_DECODE_TABLE } from '../codecs/index.js';
import { OpusDecoder } from './opus.js';
import type { AudioCodecName } from './types.js';

/** Largest packet accepted (ms): RFC 3551 allows up to 120 ms frames per packet. */
const MAX_PACKET_MS = 120;
/** Concealment gain per consecutive concealed frame for the waveform codecs (then silence). */
const CONCEAL_GAINS = [0.8, 0.5, 0.25, 0.1];

export interface SourceCodec {
  /** Native (decoded) sample rate. */
  readonly rate: number;
  /** RTP clock units per decoded sample. */
  readonly clockPerSample: number;
  /** Decodes into `out` at `offset`; returns samples written, or -1 for a malformed packet. */
  decode(payload: Uint8Array, out: Int16Array, offset: number): number;
  /**
   * Writes `count` samples of concealment into `out` at `offset`; `index` counts consecutive
   * concealed frames (0 = first). `previous` is the last frame played (count samples).
   */
  conceal(out: Int16Array, offset: number, count: number, index: number, previous: Int16Array): void;
  reset(): void;
}

class G711Codec implements SourceCodec {
  readonly rate = 8000;
  readonly clockPerSample = 1;
  private readonly table: Int16Array;

  constructor(law: 'PCMU' | 'PCMA') {
    this.table = law === 'PCMU' ? ULAW_DECODE_TABLE : ALAW_DECODE_TABLE;
  }

  decode(payload: Uint8Array, out: Int16Array, offset: number): number {
    const n = payload.length;
    if (n === 0 || n > (this.rate * MAX_PACKET_MS) / 1000 || offset + n > out.length) return -1;
    const table = this.table;
    for (let i = 0; i < n; i++) out[offset + i] = table[payload[i]!]!;
    return n;
  }

  conceal(out: Int16Array, offset: number, count: number, index: number, previous: Int16Array): void {
    repeatAttenuated(out, offset, count, index, previous);
  }

  reset(): void {}
}

class G722Codec implements SourceCodec {
  readonly rate = 16000;
  /** G.722's RTP clock is 8 kHz although it samples at 16 kHz (RFC 3551). */
  readonly clockPerSample = 0.5;
  private decoder = new G722Decoder();
  private view: Int16Array | null = null;

  decode(payload: Uint8Array, out: Int16Array, offset: number): number {
    const n = payload.length;
    if (n === 0 || 2 * n > (this.rate * MAX_PACKET_MS) / 1000 || offset + 2 * n > out.length) return -1;
    if (this.view === null || this.view.buffer !== out.buffer || this.view.byteOffset !== out.byteOffset + 2 * offset) {
      this.view = out.subarray(offset);
    }
    return this.decoder.decode(payload, this.view, n);
  }

  conceal(out: Int16Array, offset: number, count: number, index: number, previous: Int16Array): void {
    repeatAttenuated(out, offset, count, index, previous);
  }

  reset(): void {
    this.decoder = new G722Decoder();
  }
}

class OpusSourceCodec implements SourceCodec {
  readonly rate = 16000;
  readonly clockPerSample = 3;
  private readonly decoder = new OpusDecoder(16000);

  decode(payload: Uint8Array, out: Int16Array, offset: number): number {
    if (payload.length === 0 || payload.length > 1275 * 3) return -1;
    return this.decoder.decode(payload, out, offset);
  }

  conceal(out: Int16Array, offset: number, count: number, index: number, previous: Int16Array): void {
    // libopus's own PLC (it extrapolates and fades) for the first frames, silence after.
    if (index < CONCEAL_GAINS.length && count === this.rate / 50 && this.decoder.conceal(out, offset)) return;
    repeatAttenuated(out, offset, count, index, previous);
  }

  reset(): void {
    this.decoder.reset();
  }
}

/** Repeat the last frame, quieter each time, ramping within the frame so no step is audible. */
function repeatAttenuated(out: Int16Array, offset: number, count: number, index: number, previous: Int16Array): void {
  const from = index === 0 ? 1 : (CONCEAL_GAINS[index - 1] ?? 0);
  const to = CONCEAL_GAINS[index] ?? 0;
  if (from === 0 && to === 0) {
    out.fill(0, offset, offset + count);
    return;
  }
  const n = Math.min(count, previous.length);
  const step = (to - from) / count;
  for (let i = 0; i < n; i++) out[offset + i] = Math.round(previous[i]! * (from + step * i));
  out.fill(0, offset + n, offset + count);
}

export function createSourceCodec(codec: AudioCodecName): SourceCodec {
  switch (codec) {
    case 'PCMU':
    case 'PCMA':
      return new G711Codec(codec);
    case 'G722':
      return new G722Codec();
    case 'opus':
      return new OpusSourceCodec();
  }
}
