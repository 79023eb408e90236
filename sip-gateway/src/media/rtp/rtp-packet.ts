/**
 * RTP packets (RFC 3550 §5.1) read in place and written into caller-owned buffers: header
 * extensions in both RFC 8285 forms, the RFC 6464 audio level, and RFC 5761 RTP/RTCP demux.
 * Every function here takes untrusted bytes and answers null instead of throwing.
 */
import { CodedError } from '../../../../common/src/coded-error.js';

export interface RtpPacketView {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcCount: number;
  /** Where the payload starts in the buffer (after CSRCs and the header extension). */
  readonly payloadOffset: number;
  /** Payload bytes, padding excluded. */
  readonly payloadLength: number;
  /** Where the extension's elements start (after its 4-byte profile/length word); -1 if none. */
  readonly extensionOffset: number;
  /** Length of the extension's elements in bytes; 0 if none. */
  readonly extensionLength: number;
  /** The 16-bit "defined by profile" word (0xBEDE one-byte form, 0x100x two-byte form); -1 if none. */
  readonly extensionProfile: number;
}

/** RFC 8285 §4.2: one-byte header form. */
export const ONE_BYTE_EXTENSION_PROFILE = 0xbede;
/** RFC 8285 §4.3: two-byte header form (low 4 bits are "appbits"). */
export const TWO_BYTE_EXTENSION_PROFILE = 0x1000;

export const RTP_HEADER_BYTES = 12;

/**
 * RFC 5761 §4: with RTP and RTCP on one port, a second byte of 192–223 (RTCP packet types
 * 192–223, i.e. RTP marker set with payload type 64–95, which RTP must not use) means RTCP.
 */
export function isRtcp(buf: Uint8Array): boolean {
  if (buf.length < 2) return false;
  const b1 = buf[1]!;
  return b1 >= 192 && b1 <= 223;
}

/** A valid RTP v2 packet read in place, or null (too short, bad version, lengths past the end, RTCP). */
export function parseRtp(buf: Uint8Array): RtpPacketView | null {
  const len = buf.length;
  if (len < RTP_HEADER_BYTES) return null;
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return null;
  if (isRtcp(buf)) return null;
  const csrcCount = b0 & 0x0f;
  let offset = RTP_HEADER_BYTES + csrcCount * 4;
  if (offset > len) return null;
  let extensionOffset = -1;
  let extensionLength = 0;
  let extensionProfile = -1;
  if (b0 & 0x10) {
    if (offset + 4 > len) return null;
    extensionProfile = (buf[offset]! << 8) | buf[offset + 1]!;
    extensionLength = ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
    extensionOffset = offset + 4;
    offset = extensionOffset + extensionLength;
    if (offset > len) return null;
  }
  let padding = 0;
  if (b0 & 0x20) {
    padding = buf[len - 1]!;
    // RFC 3550 §5.1: the last octet counts itself, so 0 is invalid.
    if (padding === 0 || offset + padding > len) return null;
  }
  return {
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: buf[1]! & 0x7f,
    sequenceNumber: (buf[2]! << 8) | buf[3]!,
    timestamp: ((buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!) >>> 0,
    ssrc: ((buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!) >>> 0,
    csrcCount,
    payloadOffset: offset,
    payloadLength: len - offset - padding,
    extensionOffset,
    extensionLength,
    extensionProfile,
  };
}

/**
 * Offset of the payload (end of the fixed header, CSRCs and extension) without looking at
 * padding — what SRTP needs, since padding is inside the encrypted part. -1 if malformed.
 */
export function rtpHeaderLength(buf: Uint8Array): number {
  const len = buf.length;
  if (len < RTP_HEADER_BYTES || buf[0]! >> 6 !== 2) return -1;
  let offset = RTP_HEADER_BYTES + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (offset + 4 > len) return -1;
    offset += 4 + ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
  }
  return offset > len ? -1 : offset;
}

/**
 * Find extension element `id` in the packet's RFC 8285 block; returns the offset of its data and
 * stores its length in `found.length`. -1 if absent or the block is malformed.
 */
function findExtension(buf: Uint8Array, view: RtpPacketView, id: number, found: { length: number }): number {
  if (view.extensionOffset < 0) return -1;
  const end = view.extensionOffset + view.extensionLength;
  let at = view.extensionOffset;
  if (view.extensionProfile === ONE_BYTE_EXTENSION_PROFILE) {
    while (at < end) {
      const b = buf[at]!;
      if (b === 0) {
        at++; // padding byte
        continue;
      }
      const elementId = b >> 4;
      if (elementId === 15) return -1; // RFC 8285 §4.2: stop processing
      const length = (b & 0x0f) + 1;
      if (at + 1 + length > end) return -1;
      if (elementId === id) {
        found.length = length;
        return at + 1;
      }
      at += 1 + length;
    }
    return -1;
  }
  if ((view.extensionProfile & 0xfff0) === TWO_BYTE_EXTENSION_PROFILE) {
    while (at < end) {
      const elementId = buf[at]!;
      if (elementId === 0) {
        at++;
        continue;
      }
      if (at + 2 > end) return -1;
      const length = buf[at + 1]!;
      if (at + 2 + length > end) return -1;
      if (elementId === id) {
        found.length = length;
        return at + 2;
      }
      at += 2 + length;
    }
  }
  return -1;
}

const scratchFound = { length: 0 };

/** RFC 6464 client-to-mixer audio level: `level` is -dBov (0 loudest … 127 silence), `voice` the V bit. */
export function readAudioLevel(buf: Uint8Array, view: RtpPacketView, extensionId: number): { level: number; voice: boolean } | null {
  if (extensionId < 1 || extensionId > 255) return null;
  const at = findExtension(buf, view, extensionId, scratchFound);
  if (at < 0 || scratchFound.length < 1) return null;
  const b = buf[at]!;
  return { level: b & 0x7f, voice: (b & 0x80) !== 0 };
}

export type RtpWriteErrorCode = 'buffer_too_small' | 'bad_extension_id' | 'bad_field';
export class RtpWriteError extends CodedError<RtpWriteErrorCode> {
  override readonly name = 'RtpWriteError';
}

export interface RtpHeaderFields {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** RFC 6464 audio level in the one-byte RFC 8285 form; `extensionId` 1–14. */
  audioLevel?: { extensionId: number; level: number; voice: boolean };
}

/**
 * Write header (+ the audio-level extension when given) and payload into `out`; returns the
 * packet's length. Throws RtpWriteError only for caller mistakes (small buffer, bad id/type).
 */
export function writeRtpPacket(out: Uint8Array, h: RtpHeaderFields, payload: Uint8Array): number {
  const headerBytes = h.audioLevel ? RTP_HEADER_BYTES + 8 : RTP_HEADER_BYTES;
  const total = headerBytes + payload.length;
  if (out.length < total) throw new RtpWriteError('buffer_too_small', `RTP packet needs ${total} bytes, buffer has ${out.length}`);
  if (!Number.isInteger(h.payloadType) || h.payloadType < 0 || h.payloadType > 127) {
    throw new RtpWriteError('bad_field', `payload type ${h.payloadType} is not 0–127`);
  }
  out[0] = h.audioLevel ? 0x90 : 0x80;
  out[1] = (h.marker ? 0x80 : 0) | h.payloadType;
  out[2] = (h.sequenceNumber >>> 8) & 0xff;
  out[3] = h.sequenceNumber & 0xff;
  const ts = h.timestamp >>> 0;
  out[4] = ts >>> 24;
  out[5] = (ts >>> 16) & 0xff;
  out[6] = (ts >>> 8) & 0xff;
  out[7] = ts & 0xff;
  const ssrc = h.ssrc >>> 0;
  out[8] = ssrc >>> 24;
  out[9] = (ssrc >>> 16) & 0xff;
  out[10] = (ssrc >>> 8) & 0xff;
  out[11] = ssrc & 0xff;
  if (h.audioLevel) {
    const { extensionId, level, voice } = h.audioLevel;
    if (!Number.isInteger(extensionId) || extensionId < 1 || extensionId > 14) {
      throw new RtpWriteError('bad_extension_id', `one-byte extension id ${extensionId} is not 1–14`);
    }
    out[12] = 0xbe;
    out[13] = 0xde;
    out[14] = 0;
    out[15] = 1; // one 32-bit word of elements
    out[16] = extensionId << 4; // length field 0 = one data byte
    out[17] = (voice ? 0x80 : 0) | (Math.min(127, Math.max(0, Math.round(level))) & 0x7f);
    out[18] = 0;
    out[19] = 0;
  }
  out.set(payload, headerBytes);
  return total;
}
