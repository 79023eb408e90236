/**
 * Keyframe requests in RTCP: Picture Loss Indication (RFC 4585 §6.3.1, PT 206 FMT 1) and Full
 * Intra Request (RFC 5104 §4.3.1, PT 206 FMT 4). Parsing takes untrusted compound RTCP and never
 * throws or allocates; building writes into caller-owned buffers.
 */
import { CodedError } from '../../../../common/src/coded-error.js';

/** Payload-specific feedback (RFC 4585 §6.1). */
export const RTCP_PSFB = 206;
export const PSFB_FMT_PLI = 1;
export const PSFB_FMT_FIR = 4;

export const PLI_BYTES = 12;
export const FIR_BYTES = 20;

export type KeyframeRequestMethod = 'pli' | 'fir';

export type RtcpFeedbackErrorCode = 'buffer_too_small';
export class RtcpFeedbackError extends CodedError<RtcpFeedbackErrorCode> {
  override readonly name = 'RtcpFeedbackError';
}

function get32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = (v >>> 24) & 0xff;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/**
 * Does this (compound) RTCP datagram ask `mediaSsrc` for a keyframe? 'pli' for a PLI whose media
 * source is `mediaSsrc`, 'fir' for a FIR with an FCI entry for it, else null. The whole compound
 * must be well formed (version 2, lengths adding up exactly, RTCP packet types), as RFC 3550 A.2
 * validates; a malformed datagram is null. When both are present, FIR wins (it is the stronger
 * request).
 */
export function keyframeRequestFor(buf: Uint8Array, mediaSsrc: number, length = buf.length): KeyframeRequestMethod | null {
  if (length < 4 || length > buf.length || length % 4 !== 0) return null;
  const target = mediaSsrc >>> 0;
  let found: KeyframeRequestMethod | null = null;
  let at = 0;
  while (at < length) {
    if (at + 4 > length) return null;
    const b0 = buf[at]!;
    if (b0 >> 6 !== 2) return null;
    const packetType = buf[at + 1]!;
    if (packetType < 192 || packetType > 223) return null;
    const bytes = (((buf[at + 2]! << 8) | buf[at + 3]!) + 1) * 4;
    if (at + bytes > length) return null;
    if (b0 & 0x20 && at + bytes !== length) return null; // padding only on the last part
    if (packetType === RTCP_PSFB && bytes >= 12) {
      const fmt = b0 & 0x1f;
      if (fmt === PSFB_FMT_PLI && get32(buf, at + 8) === target) {
        if (found === null) found = 'pli';
      } else if (fmt === PSFB_FMT_FIR) {
        // FCI: (SSRC, seq nr, 3 reserved bytes) entries after the 12-byte common header.
        let padding = 0;
        if (b0 & 0x20) padding = buf[at + bytes - 1]!;
        const fciEnd = at + bytes - padding;
        for (let e = at + 12; e + 8 <= fciEnd; e += 8) {
          if (get32(buf, e) === target) {
            found = 'fir';
            break;
          }
        }
      }
    }
    at += bytes;
  }
  return found;
}

/** Write a PLI from `senderSsrc` about `mediaSsrc`; returns its length (12). */
export function buildPli(out: Uint8Array, senderSsrc: number, mediaSsrc: number): number {
  if (out.length < PLI_BYTES) throw new RtcpFeedbackError('buffer_too_small', `a PLI needs ${PLI_BYTES} bytes, buffer has ${out.length}`);
  out[0] = 0x80 | PSFB_FMT_PLI;
  out[1] = RTCP_PSFB;
  out[2] = 0;
  out[3] = 2; // length in 32-bit words minus one
  put32(out, 4, senderSsrc >>> 0);
  put32(out, 8, mediaSsrc >>> 0);
  return PLI_BYTES;
}

/**
 * Write a FIR from `senderSsrc` asking `mediaSsrc` for a decoder refresh; returns its length (20).
 * `sequenceNumber` (0–255, kept per target by the caller) must grow by one for each new request
 * and stay the same for a retransmission of one (RFC 5104 §4.3.1.1). The header's media source
 * SSRC is 0 (§4.3.1.2: the FCI names the target).
 */
export function buildFir(out: Uint8Array, senderSsrc: number, mediaSsrc: number, sequenceNumber: number): number {
  if (out.length < FIR_BYTES) throw new RtcpFeedbackError('buffer_too_small', `a FIR needs ${FIR_BYTES} bytes, buffer has ${out.length}`);
  out[0] = 0x80 | PSFB_FMT_FIR;
  out[1] = RTCP_PSFB;
  out[2] = 0;
  out[3] = 4;
  put32(out, 4, senderSsrc >>> 0);
  put32(out, 8, 0);
  put32(out, 12, mediaSsrc >>> 0);
  out[16] = sequenceNumber & 0xff;
  out[17] = 0;
  out[18] = 0;
  out[19] = 0;
  return FIR_BYTES;
}
