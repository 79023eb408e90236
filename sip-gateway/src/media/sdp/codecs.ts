import type { AudioCodecName, AudioCodecSpec } from '../engine/types.js';

export const DEFAULT_CODECS: readonly AudioCodecName[] = ['opus', 'G722', 'PCMU', 'PCMA'];
export const AUDIO_CODEC_NAMES: readonly AudioCodecName[] = DEFAULT_CODECS;

/** Encoding name, RTP clock rate and channel count as SDP spells them (RFC 3551, RFC 7587). */
const CODEC_SDP: Record<AudioCodecName, { encoding: string; clockRate: number; channels: number; staticPt: number | null }> = {
  opus: { encoding: 'opus', clockRate: 48000, channels: 2, staticPt: null },
  // G.722 samples at 16 kHz but its RTP clock is 8000 (RFC 3551 §4.5.2).
  G722: { encoding: 'G722', clockRate: 8000, channels: 1, staticPt: 9 },
  PCMU: { encoding: 'PCMU', clockRate: 8000, channels: 1, staticPt: 0 },
  PCMA: { encoding: 'PCMA', clockRate: 8000, channels: 1, staticPt: 8 },
};

/** Dynamic payload types we use in our own offers. */
export const OUR_OPUS_PT = 111;
export const OUR_TELEPHONE_EVENT_PT = 101;

export function codecSdp(name: AudioCodecName): { encoding: string; clockRate: number; channels: number; staticPt: number | null } {
  return CODEC_SDP[name];
}

/** One rtpmap as offered (or implied by a static payload type). */
export interface OfferedFormat {
  payloadType: number;
  encoding: string;
  clockRate: number;
  channels: number | null;
}

/** The codec an offered format is, or null when it is none of ours (wrong name, clock rate or channels). */
export function matchCodec(f: OfferedFormat, accepted: readonly AudioCodecName[]): AudioCodecSpec | null {
  const enc = f.encoding.toLowerCase();
  for (const name of accepted) {
    const c = CODEC_SDP[name];
    if (c.encoding.toLowerCase() !== enc || c.clockRate !== f.clockRate) continue;
    // RFC 7587: opus is always opus/48000/2; some UAs omit the /2, which we accept as the same codec.
    if (name === 'opus' ? f.channels !== null && f.channels !== 2 : f.channels !== null && f.channels !== 1) continue;
    return { name, payloadType: f.payloadType, clockRate: c.clockRate, channels: c.channels };
  }
  return null;
}

/** RFC 3551 static audio payload types we know, for formats offered without an rtpmap. */
export function staticFormat(payloadType: number): OfferedFormat | null {
  for (const name of AUDIO_CODEC_NAMES) {
    const c = CODEC_SDP[name];
    if (c.staticPt === payloadType) return { payloadType, encoding: c.encoding, clockRate: c.clockRate, channels: 1 };
  }
  return null;
}

export function isTelephoneEvent8k(f: OfferedFormat): boolean {
  return f.encoding.toLowerCase() === 'telephone-event' && f.clockRate === 8000 && (f.channels === null || f.channels === 1);
}
