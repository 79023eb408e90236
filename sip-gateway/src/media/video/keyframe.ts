/**
 * Does this RTP payload start a keyframe? H.264 (RFC 6184) and VP8 (RFC 7741 / RFC 6386). Used by
 * the switched stream to know where a newly selected source can be cut in. Reads untrusted bytes
 * without allocating; anything malformed or truncated is "not a keyframe start".
 */

export type VideoCodec = 'h264' | 'vp8';

/** NAL unit types (H.264 Table 7-1, RFC 6184 §5.2). */
const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_STAP_A = 24;
const NAL_FU_A = 28;
const NAL_FU_B = 29;

/** A NAL that may open a keyframe's access unit: an IDR slice, or the SPS that precedes one. */
function opensKeyframe(nalType: number): boolean {
  return nalType === NAL_IDR || nalType === NAL_SPS;
}

/**
 * H.264: a single NAL IDR or SPS; a STAP-A holding an SPS or IDR; an FU-A/FU-B with the start bit
 * whose fragmented NAL is an IDR (or SPS). `payload[offset, offset + length)` is the RTP payload.
 */
export function isH264KeyframeStart(payload: Uint8Array, offset: number, length: number): boolean {
  if (length < 1 || offset < 0 || offset + length > payload.length) return false;
  const header = payload[offset]!;
  if (header & 0x80) return false; // forbidden_zero_bit
  const type = header & 0x1f;
  if (opensKeyframe(type)) return true;
  if (type === NAL_STAP_A) {
    // RFC 6184 §5.7.1: after the STAP-A header, (16-bit size, NAL) pairs filling the payload.
    const end = offset + length;
    let at = offset + 1;
    while (at + 2 < end) {
      const size = (payload[at]! << 8) | payload[at + 1]!;
      if (size === 0 || at + 2 + size > end) return false;
      if (opensKeyframe(payload[at + 2]! & 0x1f)) return true;
      at += 2 + size;
    }
    return false;
  }
  if (type === NAL_FU_A || type === NAL_FU_B) {
    if (length < 2) return false;
    const fuHeader = payload[offset + 1]!;
    return (fuHeader & 0x80) !== 0 && opensKeyframe(fuHeader & 0x1f);
  }
  return false;
}

/**
 * VP8: the RFC 7741 §4.2 payload descriptor says this packet starts partition 0 of a frame (S = 1,
 * PID = 0), and the VP8 frame tag that follows (RFC 6386 §9.1) has P = 0 (key frame) and the key
 * frame start code 9d 01 2a.
 */
export function isVp8KeyframeStart(payload: Uint8Array, offset: number, length: number): boolean {
  if (length < 1 || offset < 0 || offset + length > payload.length) return false;
  const end = offset + length;
  const b0 = payload[offset]!;
  if ((b0 & 0x10) === 0 || (b0 & 0x07) !== 0) return false; // not S=1, PID=0
  let at = offset + 1;
  if (b0 & 0x80) {
    // X: extension byte I L T K
    if (at >= end) return false;
    const x = payload[at++]!;
    if (x & 0x80) {
      // I: PictureID, 7 or 15 bits (M bit)
      if (at >= end) return false;
      at += payload[at]! & 0x80 ? 2 : 1;
    }
    if (x & 0x40) at++; // L: TL0PICIDX
    if (x & 0x30) at++; // T or K: TID/Y/KEYIDX byte
  }
  // Frame tag (3 bytes) + start code (3 bytes).
  if (at + 6 > end) return false;
  if ((payload[at]! & 0x01) !== 0) return false; // P = 1: inter frame
  return payload[at + 3] === 0x9d && payload[at + 4] === 0x01 && payload[at + 5] === 0x2a;
}

export function isKeyframeStart(codec: VideoCodec, payload: Uint8Array, offset: number, length: number): boolean {
  return codec === 'h264' ? isH264KeyframeStart(payload, offset, length) : isVp8KeyframeStart(payload, offset, length);
}
