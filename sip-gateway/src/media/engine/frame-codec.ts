/**
 * 20 ms frame encoders/decoders for a call's negotiated codec: what the engine needs to send
 * prompts and silence in the caller's codec, and to decode the caller's audio for the in-band DTMF
 * detector. (The room mix is encoded by the mixer itself.)
 */
import { createRequire } from 'node:module';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw, G722Decoder, G722Encoder, Resampler } from '../codecs/index.js';
import type { AudioCodecName, AudioCodecSpec } from './types.js';
import { MediaEngineError } from './port-allocator.js';

const require = createRequire(import.meta.url);
const { OpusEncoder } = require('@discordjs/opus') as typeof import('@discordjs/opus');
type Opus = InstanceType<typeof OpusEncoder>;

export const FRAME_MS = 20;

/** PCM rate the codec works at (G.722 samples at 16 kHz on an 8 kHz RTP clock). */
export function pcmRateOf(codec: AudioCodecName): 8000 | 16000 | 48000 {
  return codec === 'opus' ? 48000 : codec === 'G722' ? 16000 : 8000;
}

/** RTP timestamp increment per 20 ms frame. */
export function timestampStepOf(codec: AudioCodecSpec): number {
  return (codec.clockRate * FRAME_MS) / 1000;
}

export function newOpus(): Opus {
  const opus = new OpusEncoder(48000, 1);
  return opus;
}

/** Encodes 20 ms PCM frames (at pcmRateOf(codec)) into RTP payloads. */
export class FrameEncoder {
  readonly pcmRate: 8000 | 16000 | 48000;
  readonly samplesPerFrame: number;
  private readonly out: Uint8Array;
  private readonly g722: G722Encoder | null;
  private readonly opus: Opus | null;
  private readonly silence: Int16Array;

  constructor(readonly codec: AudioCodecName) {
    this.pcmRate = pcmRateOf(codec);
    this.samplesPerFrame = (this.pcmRate * FRAME_MS) / 1000;
    this.out = new Uint8Array(codec === 'G722' ? this.samplesPerFrame / 2 : this.samplesPerFrame);
    this.g722 = codec === 'G722' ? new G722Encoder() : null;
    this.opus = codec === 'opus' ? newOpus() : null;
    this.silence = new Int16Array(this.samplesPerFrame);
  }

  /** Encodes one frame; the returned bytes are valid until the next call (copy before queueing). */
  encode(pcm: Int16Array): Uint8Array {
    switch (this.codec) {
      case 'PCMU':
        encodeUlaw(pcm, this.out, this.samplesPerFrame);
        return this.out;
      case 'PCMA':
        encodeAlaw(pcm, this.out, this.samplesPerFrame);
        return this.out;
      case 'G722':
        this.g722!.encode(pcm, this.out, this.samplesPerFrame);
        return this.out;
      case 'opus': {
        const buf = Buffer.from(pcm.buffer, pcm.byteOffset, this.samplesPerFrame * 2);
        return this.opus!.encode(buf);
      }
    }
  }

  encodeSilence(): Uint8Array {
    return this.encode(this.silence);
  }
}

/**
 * Decodes a caller's payloads to PCM for the in-band DTMF detector: 8 kHz for G.711, 16 kHz for
 * G.722, and Opus decoded at 48 kHz then resampled to 16 kHz.
 */
export class FrameDecoder {
  readonly detectorRate: 8000 | 16000;
  private pcm = new Int16Array(960);
  private readonly g722: G722Decoder | null;
  private readonly opus: Opus | null;
  private readonly down: Resampler | null;
  private readonly downOut: Int16Array;

  constructor(readonly codec: AudioCodecName) {
    this.detectorRate = codec === 'G722' || codec === 'opus' ? 16000 : 8000;
    this.g722 = codec === 'G722' ? new G722Decoder() : null;
    this.opus = codec === 'opus' ? newOpus() : null;
    this.down = codec === 'opus' ? new Resampler(48000, 16000) : null;
    this.downOut = new Int16Array(codec === 'opus' ? 6 * 320 : 0);
  }

  /** PCM at detectorRate (a view into a reused buffer), or null for a payload that cannot be decoded. */
  decode(payload: Uint8Array): Int16Array | null {
    // Up to 120 ms per packet (Opus' maximum; G.711/G.722 at any sane ptime).
    switch (this.codec) {
      case 'PCMU':
      case 'PCMA': {
        const n = Math.min(payload.length, 960);
        (this.codec === 'PCMU' ? decodeUlaw : decodeAlaw)(payload, this.pcm, n);
        return this.pcm.subarray(0, n);
      }
      case 'G722': {
        const n = Math.min(payload.length, 480);
        if (this.pcm.length < n * 2) this.pcm = new Int16Array(n * 2);
        this.g722!.decode(payload, this.pcm, n);
        return this.pcm.subarray(0, n * 2);
      }
      case 'opus': {
        let decoded: Buffer;
        try {
          decoded = this.opus!.decode(Buffer.from(payload.buffer, payload.byteOffset, payload.length));
        } catch {
          return null; // corrupt Opus
        }
        let samples = Math.min(decoded.length >> 1, 5760);
        samples -= samples % 3; // the 48→16 kHz resampler takes whole input triples
        // Int16Array views need an even byte offset; native buffers have one, but never trust it.
        const bytes = decoded.byteOffset % 2 === 0 ? decoded : Buffer.from(decoded);
        const pcm48 = new Int16Array(bytes.buffer, bytes.byteOffset, samples);
        const n = this.down!.process(pcm48, this.downOut, samples);
        return this.downOut.subarray(0, n);
      }
    }
  }
}

export function assertCodecSupported(codec: AudioCodecSpec): void {
  if (!['PCMU', 'PCMA', 'G722', 'opus'].includes(codec.name)) {
    throw new MediaEngineError('codec_unsupported', `codec ${String(codec.name)} is not supported`);
  }
}
