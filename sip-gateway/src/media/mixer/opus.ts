/**
 * Opus through @discordjs/opus (libopus 1.3.1). Findings that shape the mixer:
 * - decoders may run at 8/12/16/24/48 kHz: we decode at the mix rate (16 kHz) directly, mono
 *   (libopus downmixes stereo packets), so no 48 kHz resampling ever happens;
 * - the binding has no PLC call (an empty buffer conceals 5760 samples, i.e. 360 ms at 16 kHz),
 *   but a packet that is only a TOC byte makes libopus conceal exactly one frame of the TOC's
 *   duration, so we conceal with a 20 ms TOC of the last packet's mode;
 * - encoders take 8 or 16 kHz input directly; the RTP clock stays 48 kHz (960 per 20 ms).
 * Every binding call copies its output into a fresh Buffer; inputs are views on our frames.
 */
import { createRequire } from 'node:module';
import type { OpusEncoder as OpusCodec } from '@discordjs/opus';

const require = createRequire(import.meta.url);
const { OpusEncoder } = require('@discordjs/opus') as typeof import('@discordjs/opus');

// libopus CTL request numbers (opus_defines.h).
const OPUS_SET_APPLICATION = 4000;
const OPUS_APPLICATION_VOIP = 2048;
const OPUS_SET_VBR = 4006;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const OPUS_SET_DTX = 4016;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;
const OPUS_RESET_STATE = 4028;

export interface OpusEncoderSettings {
  bitrate: number;
  complexity: number;
  /** In-band FEC with this expected loss (%); 0 turns FEC off. */
  fecLossPercent: number;
}

/** What room feeds and Opus legs use (measured in bench/gateway/mixer-bench.ts; see README). */
export const DEFAULT_OPUS_SETTINGS: OpusEncoderSettings = { bitrate: 24000, complexity: 1, fecLossPercent: 0 };

/** Samples per channel of an Opus packet at `rate`, from its TOC (RFC 6716 §3.1); 0 when malformed. */
export function opusPacketSamples(packet: Uint8Array, rate: number): number {
  if (packet.length < 1) return 0;
  const toc = packet[0]!;
  const config = toc >> 3;
  let frame: number; // in 1/400 s (2.5 ms) units
  if (config < 12) frame = [4, 8, 16, 24][config & 3]!;
  else if (config < 16) frame = config & 1 ? 8 : 4;
  else frame = [1, 2, 4, 8][config & 3]!;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 3) {
    if (packet.length < 2) return 0;
    frames = packet[1]! & 0x3f;
  } else frames = 2;
  return (frames * frame * rate) / 400;
}

/** A TOC byte for one 20 ms frame (code 0) in the same mode and bandwidth as `toc`. */
function twentyMsToc(toc: number): number {
  const config = toc >> 3;
  let c: number;
  if (config < 12) c = (config & ~3) | 1;
  else if (config < 16) c = config | 1;
  else c = config | 3;
  return (c << 3) | (toc & 0x04);
}

/** Mono decoder at `rate` with one-frame PLC. */
export class OpusDecoder {
  private readonly codec: OpusCodec;
  private readonly plcPacket = Buffer.alloc(1);
  private lastToc = -1;

  constructor(readonly rate: number) {
    this.codec = new OpusEncoder(rate, 1);
  }

  /** Decodes into `out` at `offset`; returns samples written, or -1 for a corrupt or oversized packet. */
  decode(payload: Uint8Array, out: Int16Array, offset: number): number {
    const samples = opusPacketSamples(payload, this.rate);
    if (samples <= 0 || offset + samples > out.length) return -1;
    let pcm: Buffer;
    try {
      pcm = this.codec.decode(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    } catch {
      return -1;
    }
    this.lastToc = payload[0]!;
    return copyPcm(pcm, out, offset);
  }

  /** Conceals 20 ms into `out` at `offset`; false when nothing was decoded yet (caller writes silence). */
  conceal(out: Int16Array, offset: number): boolean {
    if (this.lastToc < 0 || offset + this.rate / 50 > out.length) return false;
    this.plcPacket[0] = twentyMsToc(this.lastToc);
    try {
      copyPcm(this.codec.decode(this.plcPacket), out, offset);
      return true;
    } catch {
      return false;
    }
  }

  reset(): void {
    this.lastToc = -1;
    try {
      this.codec.applyDecoderCTL(OPUS_RESET_STATE, 0);
    } catch {
      // A decoder never used has nothing to reset.
    }
  }
}

function copyPcm(pcm: Buffer, out: Int16Array, offset: number): number {
  const n = Math.min(pcm.length >> 1, out.length - offset);
  if ((pcm.byteOffset & 1) === 0) out.set(new Int16Array(pcm.buffer, pcm.byteOffset, n), offset);
  else for (let i = 0; i < n; i++) out[offset + i] = pcm.readInt16LE(2 * i);
  return n;
}

/** Mono voice encoder taking `rate` input (8 or 16 kHz), 20 ms frames. */
export class OpusVoiceEncoder {
  private readonly codec: OpusCodec;

  constructor(
    readonly rate: number,
    settings: OpusEncoderSettings = DEFAULT_OPUS_SETTINGS,
  ) {
    this.codec = new OpusEncoder(rate, 1);
    // Application must be set before the first frame.
    this.codec.applyEncoderCTL(OPUS_SET_APPLICATION, OPUS_APPLICATION_VOIP);
    this.codec.applyEncoderCTL(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    this.codec.applyEncoderCTL(OPUS_SET_VBR, 1);
    this.codec.applyEncoderCTL(OPUS_SET_COMPLEXITY, settings.complexity);
    this.codec.applyEncoderCTL(OPUS_SET_INBAND_FEC, settings.fecLossPercent > 0 ? 1 : 0);
    this.codec.applyEncoderCTL(OPUS_SET_PACKET_LOSS_PERC, settings.fecLossPercent);
    this.codec.applyEncoderCTL(OPUS_SET_DTX, 0);
    this.codec.setBitrate(settings.bitrate);
  }

  /** Encodes one frame (a view is passed, nothing copied in); the packet is a fresh Buffer. */
  encode(pcm: Int16Array): Uint8Array {
    return this.codec.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }
}

const silenceFrames = new Map<number, Uint8Array>();

/**
 * The keep-alive room feed of callers nobody hears: an Opus DTX frame (RFC 6716 §3.1's TOC byte
 * with no frame data, what libopus emits in silence with DTX on), in the TOC our voice encoder
 * uses at `rate` input (8/16 kHz). Made once per rate and shared (read-only). Being a DTX frame,
 * the SFU does not forward it to browsers (their consumers drop DTX) while its RFC 6464 level
 * still reaches the room's speaker view; a decoder treats it as a pause.
 */
export function opusSilenceFrame(rate: number): Uint8Array {
  let frame = silenceFrames.get(rate);
  if (!frame) {
    const encoder = new OpusVoiceEncoder(rate);
    const toc = encoder.encode(new Int16Array(rate / 50))[0]!;
    frame = Uint8Array.of(toc);
    silenceFrames.set(rate, frame);
  }
  return frame;
}
