/**
 * Test support for the mixer: tone generators, packetisers for each codec and decoders for what
 * the mixer sends, plus a Goertzel amplitude probe. Used by the tests and the bench.
 */
import { createRequire } from 'node:module';
import { G722Decoder, G722Encoder, decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../codecs/index.js';
import type { AudioCodecName } from '../types.js';

const require = createRequire(import.meta.url);
const { OpusEncoder } = require('@discordjs/opus') as typeof import('@discordjs/opus');

/** Amplitude of `freq` in `pcm` (a sine of amplitude A reads ≈ A), by the Goertzel algorithm. */
export function toneAmplitude(pcm: Int16Array, rate: number, freq: number): number {
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s0 = pcm[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / pcm.length;
}

/** Concatenate frames. */
export function concat(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/**
 * Endless 20 ms packets of a tone in one codec, as a sender would make them: `next()` gives the
 * payload and the RTP timestamp increment. Opus is encoded like a browser's (48 kHz stereo).
 */
export class TonePacketizer {
  private phase = 0;
  private readonly g722 = new G722Encoder();
  private readonly opus: InstanceType<typeof OpusEncoder> | null;
  readonly rate: number;
  readonly tsPerPacket: number;

  constructor(
    readonly codec: AudioCodecName,
    readonly freq: number,
    public amplitude: number,
  ) {
    this.rate = codec === 'opus' ? 48000 : codec === 'G722' ? 16000 : 8000;
    this.tsPerPacket = codec === 'opus' ? 960 : 160;
    this.opus = codec === 'opus' ? new OpusEncoder(48000, 2) : null;
    if (this.opus) this.opus.setBitrate(32000);
  }

  next(): Uint8Array {
    const n = this.rate / 50;
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) pcm[i] = Math.round(this.amplitude * Math.sin(2 * Math.PI * this.freq * ((this.phase + i) / this.rate)));
    this.phase += n;
    switch (this.codec) {
      case 'PCMU': {
        const out = new Uint8Array(n);
        encodeUlaw(pcm, out);
        return out;
      }
      case 'PCMA': {
        const out = new Uint8Array(n);
        encodeAlaw(pcm, out);
        return out;
      }
      case 'G722': {
        const out = new Uint8Array(n / 2);
        this.g722.encode(pcm, out);
        return out;
      }
      case 'opus': {
        const stereo = new Int16Array(2 * n);
        for (let i = 0; i < n; i++) stereo[2 * i] = stereo[2 * i + 1] = pcm[i]!;
        return new Uint8Array(this.opus!.encode(Buffer.from(stereo.buffer)));
      }
    }
  }
}

/** Decodes what a leg receives, statefully, to PCM at the codec's audio rate (Opus at 16 kHz). */
export class LegDecoder {
  private readonly g722 = new G722Decoder();
  private readonly opus: InstanceType<typeof OpusEncoder> | null;
  readonly rate: number;

  constructor(readonly codec: AudioCodecName) {
    this.rate = codec === 'PCMU' || codec === 'PCMA' ? 8000 : 16000;
    this.opus = codec === 'opus' ? new OpusEncoder(16000, 1) : null;
  }

  decode(payload: Uint8Array): Int16Array {
    switch (this.codec) {
      case 'PCMU': {
        const out = new Int16Array(payload.length);
        decodeUlaw(payload, out);
        return out;
      }
      case 'PCMA': {
        const out = new Int16Array(payload.length);
        decodeAlaw(payload, out);
        return out;
      }
      case 'G722': {
        const out = new Int16Array(payload.length * 2);
        this.g722.decode(payload, out);
        return out;
      }
      case 'opus': {
        const buf = this.opus!.decode(Buffer.from(payload));
        const out = new Int16Array(buf.length / 2);
        for (let i = 0; i < out.length; i++) out[i] = buf.readInt16LE(2 * i);
        return out;
      }
    }
  }
}
