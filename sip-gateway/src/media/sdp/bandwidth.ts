/**
 * The call's bandwidth in SDP (RFC 4566 b=AS, RFC 3890 b=TIAS). Our caps count RTP payload bits,
 * which is what b=TIAS carries and what a tier (Basic 768 kbps …) means; b=AS adds the IP/UDP/RTP
 * headers, estimated from the packet rate (IPv4: 20 + 8 + 12 bytes a packet).
 */
import type { AudioCodecName } from '../engine/types.js';
import type { SdpBandwidth } from './parse.js';

const HEADER_BYTES = 40;
/** Typical video RTP payload (browsers and room systems packetise to ~1200 bytes). */
const VIDEO_PAYLOAD_BYTES = 1200;
const AUDIO_PACKETS_PER_SECOND = 50;

/** Below this a video stream is not worth sending: its m-line is rejected ('no_bandwidth'). */
export const MIN_VIDEO_BPS = 64_000;

/** What we keep for the call's audio, by codec (the caller's encoder decides; these are the usual ceilings). */
export const AUDIO_RESERVE_BPS: Record<AudioCodecName, number> = { opus: 48_000, G722: 64_000, PCMU: 64_000, PCMA: 64_000 };

/** b=AS (kbps) for a video stream of `tiasBps` payload. */
export function videoAsKbps(tiasBps: number): number {
  // Integer arithmetic: 1.5 Mbps must give exactly 1550, not 1551 from a float's last bit.
  return Math.ceil((Math.floor(tiasBps) * (VIDEO_PAYLOAD_BYTES + HEADER_BYTES)) / (VIDEO_PAYLOAD_BYTES * 1000));
}

/** b=AS (kbps) for an audio stream of `tiasBps` payload at 50 packets a second. */
export function audioAsKbps(tiasBps: number): number {
  return Math.ceil((tiasBps + AUDIO_PACKETS_PER_SECOND * HEADER_BYTES * 8) / 1000);
}

/** A video (or whole-call) b= as payload bps: TIAS when given, else AS minus its header share; null when absent. */
export function offeredVideoBps(b: SdpBandwidth): number | null {
  if (b.tiasBps !== null) return b.tiasBps;
  if (b.asKbps !== null) return Math.floor((b.asKbps * 1000 * VIDEO_PAYLOAD_BYTES) / (VIDEO_PAYLOAD_BYTES + HEADER_BYTES));
  return null;
}
