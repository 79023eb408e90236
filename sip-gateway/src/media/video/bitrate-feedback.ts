/**
 * Bitrate limits sent to a video sender in RTCP: TMMBR (RFC 5104 §4.2.1, transport-layer feedback
 * PT 205 FMT 3) and REMB (draft-alvestrand-rmcat-remb, "goog-remb": payload-specific feedback PT
 * 206 FMT 15). Both carry the bitrate as mantissa · 2^exponent; the encoders pick the smallest
 * exponent whose mantissa fits and round the mantissa DOWN, so the sender is never allowed more
 * than asked. Builders write into caller-owned buffers; parsers take untrusted bytes and never throw.
 */
import { RtcpFeedbackError } from './rtcp-feedback.js';

export const RTCP_RTPFB = 205;
export const RTPFB_FMT_TMMBR = 3;
export const PSFB_FMT_AFB = 15;

export const TMMBR_BYTES = 20;
/** REMB with one SSRC in its feedback list. */
export const REMB_BYTES = 24;

const TMMBR_MANTISSA_BITS = 17;
const REMB_MANTISSA_BITS = 18;
/** Measured overhead is a 9-bit field (bytes per packet below the payload). */
const MAX_OVERHEAD = 511;
const REMB_ID = 0x52454d42; // 'REMB'

function get32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = (v >>> 24) & 0xff;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/** bps → [exponent (6 bits), mantissa (`bits` bits)] with mantissa · 2^exp ≤ bps, as close as the bits allow. */
export function splitBitrate(bps: number, mantissaBits: number): { exponent: number; mantissa: number } {
  let value = Math.max(0, Math.floor(bps));
  const limit = 2 ** mantissaBits;
  let exponent = 0;
  while (value >= limit && exponent < 63) {
    value = Math.floor(value / 2);
    exponent++;
  }
  return { exponent, mantissa: Math.min(value, limit - 1) };
}

/**
 * Write a TMMBR from `senderSsrc` asking `mediaSsrc` to send at most `bps` (RFC 5104 §4.2.1.1);
 * `overheadBytes` is the per-packet header overhead the limit includes (IP+UDP+RTP(+SRTP tag)).
 * The common header's media source SSRC is 0 (§4.2.1.2: the FCI names the target). Returns 20.
 */
export function buildTmmbr(out: Uint8Array, senderSsrc: number, mediaSsrc: number, bps: number, overheadBytes: number): number {
  if (out.length < TMMBR_BYTES) throw new RtcpFeedbackError('buffer_too_small', `a TMMBR needs ${TMMBR_BYTES} bytes, buffer has ${out.length}`);
  const { exponent, mantissa } = splitBitrate(bps, TMMBR_MANTISSA_BITS);
  const overhead = Math.min(MAX_OVERHEAD, Math.max(0, Math.floor(overheadBytes)));
  out[0] = 0x80 | RTPFB_FMT_TMMBR;
  out[1] = RTCP_RTPFB;
  out[2] = 0;
  out[3] = TMMBR_BYTES / 4 - 1;
  put32(out, 4, senderSsrc >>> 0);
  put32(out, 8, 0);
  put32(out, 12, mediaSsrc >>> 0);
  put32(out, 16, ((exponent << 26) | (mantissa << 9) | overhead) >>> 0);
  return TMMBR_BYTES;
}

/** Write a REMB from `senderSsrc` for `mediaSsrc` at `bps`. Returns 24. */
export function buildRemb(out: Uint8Array, senderSsrc: number, mediaSsrc: number, bps: number): number {
  if (out.length < REMB_BYTES) throw new RtcpFeedbackError('buffer_too_small', `a REMB needs ${REMB_BYTES} bytes, buffer has ${out.length}`);
  const { exponent, mantissa } = splitBitrate(bps, REMB_MANTISSA_BITS);
  out[0] = 0x80 | PSFB_FMT_AFB;
  out[1] = 206;
  out[2] = 0;
  out[3] = REMB_BYTES / 4 - 1;
  put32(out, 4, senderSsrc >>> 0);
  put32(out, 8, 0);
  put32(out, 12, REMB_ID);
  out[16] = 1; // one SSRC in the list
  out[17] = (exponent << 2) | (mantissa >>> 16);
  out[18] = (mantissa >>> 8) & 0xff;
  out[19] = mantissa & 0xff;
  put32(out, 20, mediaSsrc >>> 0);
  return REMB_BYTES;
}

export interface BitrateRequest {
  kind: 'tmmbr' | 'remb';
  senderSsrc: number;
  /** The SSRC the limit applies to (TMMBR FCI; REMB's first listed SSRC). */
  mediaSsrc: number;
  bps: number;
  /** TMMBR only (0 for REMB). */
  overheadBytes: number;
}

/**
 * The TMMBR and REMB messages in a compound RTCP datagram (validated as RFC 3550 A.2 does;
 * a malformed datagram gives []). A TMMBR yields one entry per FCI.
 */
export function parseBitrateRequests(buf: Uint8Array, length = buf.length): BitrateRequest[] {
  const found: BitrateRequest[] = [];
  if (length < 4 || length > buf.length || length % 4 !== 0) return found;
  let at = 0;
  while (at < length) {
    if (at + 4 > length) return [];
    const b0 = buf[at]!;
    if (b0 >> 6 !== 2) return [];
    const packetType = buf[at + 1]!;
    if (packetType < 192 || packetType > 223) return [];
    const bytes = (((buf[at + 2]! << 8) | buf[at + 3]!) + 1) * 4;
    if (at + bytes > length) return [];
    const fmt = b0 & 0x1f;
    if (packetType === RTCP_RTPFB && fmt === RTPFB_FMT_TMMBR && bytes >= 20) {
      const senderSsrc = get32(buf, at + 4);
      for (let e = at + 12; e + 8 <= at + bytes; e += 8) {
        const word = get32(buf, e + 4);
        const exponent = word >>> 26;
        const mantissa = (word >>> 9) & 0x1ffff;
        found.push({ kind: 'tmmbr', senderSsrc, mediaSsrc: get32(buf, e), bps: mantissa * 2 ** exponent, overheadBytes: word & 0x1ff });
      }
    } else if (packetType === 206 && fmt === PSFB_FMT_AFB && bytes >= 24 && get32(buf, at + 12) === REMB_ID) {
      const count = buf[at + 16]!;
      const exponent = buf[at + 17]! >>> 2;
      const mantissa = ((buf[at + 17]! & 0x03) << 16) | (buf[at + 18]! << 8) | buf[at + 19]!;
      if (count >= 1 && at + 20 + 4 * count <= at + bytes) {
        found.push({ kind: 'remb', senderSsrc: get32(buf, at + 4), mediaSsrc: get32(buf, at + 20), bps: mantissa * 2 ** exponent, overheadBytes: 0 });
      }
    }
    at += bytes;
  }
  return found;
}
