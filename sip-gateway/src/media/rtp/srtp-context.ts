/**
 * SRTP/SRTCP (RFC 3711) for the SDES crypto suites AES_CM_128_HMAC_SHA1_80/_32 (RFC 4568 §6.2):
 * AES-CM encryption, HMAC-SHA1 authentication, per-SSRC rollover-counter estimation (§3.3.1) and
 * 64-packet replay windows (§3.3.2). One context per direction: a sender's context only protects,
 * a receiver's only unprotects. Untrusted input never throws: it yields null and a counted failure.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { CodedError } from '../../../../common/src/coded-error.js';
import { rtpHeaderLength } from './rtp-packet.js';
import {
  SRTP_AUTH_KEY_BYTES,
  SRTP_MASTER_KEY_BYTES,
  SRTP_MASTER_SALT_BYTES,
  SrtpLabel,
  AesCm,
  deriveSessionKey,
  writeAesCmIv,
} from './srtp-keys.js';

export const SRTP_SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const;
export type SrtpSuite = (typeof SRTP_SUITES)[number];

export const SRTP_KEY_AND_SALT_BYTES = SRTP_MASTER_KEY_BYTES + SRTP_MASTER_SALT_BYTES;

/**
 * SRTP tag length per suite. SRTCP's tag is 80 bits for both: RFC 4568 §6.2, Table 1 lists
 * "SRTCP auth. tag: 80 bits" for AES_CM_128_HMAC_SHA1_32 (libsrtp-based phones agree; ffmpeg's
 * SDES-named _32 suite uses 32 bits for SRTCP, so its _32 SRTCP does not verify here).
 */
const RTP_TAG_BYTES: Record<SrtpSuite, number> = { AES_CM_128_HMAC_SHA1_80: 10, AES_CM_128_HMAC_SHA1_32: 4 };
const RTCP_TAG_BYTES = 10;
const SRTCP_INDEX_BYTES = 4;
const REPLAY_WINDOW = 64;
/** Streams tracked per context; a new SSRC beyond this evicts the oldest (callers have 1–2). */
const MAX_STREAMS = 32;

export type SrtpErrorCode = 'bad_key' | 'unsupported_suite' | 'malformed';
export class SrtpError extends CodedError<SrtpErrorCode> {
  override readonly name = 'SrtpError';
}

export interface SrtpFailures {
  /** Authentication tag did not verify (tampered, wrong key, or a packet from someone else). */
  auth: number;
  /** Packet index already seen, or older than the replay window. */
  replay: number;
  /** Too short or not RTP/RTCP v2. */
  malformed: number;
}

/** Per-SSRC state: the highest index seen (s_l and ROC of §3.3.1) and the replay window. */
interface StreamState {
  roc: number;
  highestSeq: number;
  highestIndex: number;
  /** Slot i % 64 holds the last accepted index i that mapped there: a cheap exact 64-bit window. */
  window: Float64Array | null;
}

interface RtcpStreamState {
  nextIndex: number;
  highestIndex: number;
  window: Float64Array | null;
}

function newWindow(): Float64Array {
  return new Float64Array(REPLAY_WINDOW).fill(-1);
}

function remember<T>(map: Map<number, T>, key: number, value: T): void {
  if (map.size >= MAX_STREAMS) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}

export class SrtpContext {
  readonly failures: SrtpFailures = { auth: 0, replay: 0, malformed: 0 };
  private readonly rtpTagBytes: number;
  private readonly rtpCipher: AesCm;
  private readonly rtpSalt: Uint8Array;
  private readonly rtpAuthKey: KeyObject;
  private readonly rtcpCipher: AesCm;
  private readonly rtcpSalt: Uint8Array;
  private readonly rtcpAuthKey: KeyObject;
  private readonly rtpStreams = new Map<number, StreamState>();
  private readonly rtcpStreams = new Map<number, RtcpStreamState>();
  private readonly iv = new Uint8Array(16);
  private readonly rocBytes = new Uint8Array(4);

  constructor(
    readonly suite: SrtpSuite,
    masterKeyAndSalt: Uint8Array,
  ) {
    if (!SRTP_SUITES.includes(suite)) throw new SrtpError('unsupported_suite', `SRTP suite ${String(suite)} is not supported`);
    if (masterKeyAndSalt.length !== SRTP_KEY_AND_SALT_BYTES) {
      throw new SrtpError('bad_key', `SRTP master key||salt must be ${SRTP_KEY_AND_SALT_BYTES} bytes, got ${masterKeyAndSalt.length}`);
    }
    this.rtpTagBytes = RTP_TAG_BYTES[suite];
    const key = masterKeyAndSalt.subarray(0, SRTP_MASTER_KEY_BYTES);
    const salt = masterKeyAndSalt.subarray(SRTP_MASTER_KEY_BYTES);
    const derive = (label: number, length: number) => deriveSessionKey(key, salt, label, length);
    this.rtpCipher = new AesCm(derive(SrtpLabel.rtpEncryption, SRTP_MASTER_KEY_BYTES));
    this.rtpAuthKey = createSecretKey(derive(SrtpLabel.rtpAuthentication, SRTP_AUTH_KEY_BYTES));
    this.rtpSalt = derive(SrtpLabel.rtpSalt, SRTP_MASTER_SALT_BYTES);
    this.rtcpCipher = new AesCm(derive(SrtpLabel.rtcpEncryption, SRTP_MASTER_KEY_BYTES));
    this.rtcpAuthKey = createSecretKey(derive(SrtpLabel.rtcpAuthentication, SRTP_AUTH_KEY_BYTES));
    this.rtcpSalt = derive(SrtpLabel.rtcpSalt, SRTP_MASTER_SALT_BYTES);
  }

  /**
   * RTP → SRTP (a new buffer, tag appended). Our own packets go in here, so a buffer that is not
   * RTP v2 is a programming error: SrtpError('malformed').
   */
  protectRtp(packet: Uint8Array): Uint8Array {
    const headerBytes = rtpHeaderLength(packet);
    if (headerBytes < 0) throw new SrtpError('malformed', 'not an RTP v2 packet');
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = readU32(packet, 8);
    let state = this.rtpStreams.get(ssrc);
    const roc = state ? estimateRoc(state, seq) : 0;
    const rocU32 = roc >>> 0;
    const index = roc * 0x10000 + seq;
    if (!state) {
      state = { roc: rocU32, highestSeq: seq, highestIndex: index, window: null };
      remember(this.rtpStreams, ssrc, state);
    } else if (index > state.highestIndex) {
      state.roc = rocU32;
      state.highestSeq = seq;
      state.highestIndex = index;
    }
    const out = new Uint8Array(packet.length + this.rtpTagBytes);
    out.set(packet.subarray(0, headerBytes), 0);
    writeAesCmIv(this.iv, this.rtpSalt, ssrc, rocU32, seq);
    this.rtpCipher.xor(this.iv, packet.subarray(headerBytes), out, headerBytes);
    this.writeRtpTag(out, packet.length, rocU32);
    return out;
  }

  /** SRTP → RTP, or null (counted in `failures`) if malformed, forged or replayed. */
  unprotectRtp(packet: Uint8Array): Uint8Array | null {
    const bodyBytes = packet.length - this.rtpTagBytes;
    const body = bodyBytes > 0 ? packet.subarray(0, bodyBytes) : packet;
    const headerBytes = bodyBytes >= 12 ? rtpHeaderLength(body) : -1;
    if (headerBytes < 0) {
      this.failures.malformed++;
      return null;
    }
    const seq = (packet[2]! << 8) | packet[3]!;
    const ssrc = readU32(packet, 8);
    const state = this.rtpStreams.get(ssrc);
    const roc = state ? estimateRoc(state, seq) : 0;
    const index = roc * 0x10000 + seq;
    // A packet from before our first one, or one the window has already seen: a replay.
    if (roc < 0 || (state && isReplay(state.window, state.highestIndex, index))) {
      this.failures.replay++;
      return null;
    }
    const rocU32 = roc >>> 0;
    if (!this.verifyRtpTag(packet, bodyBytes, rocU32)) {
      this.failures.auth++;
      return null;
    }
    const out = new Uint8Array(bodyBytes);
    out.set(packet.subarray(0, headerBytes), 0);
    writeAesCmIv(this.iv, this.rtpSalt, ssrc, rocU32, seq);
    this.rtpCipher.xor(this.iv, body.subarray(headerBytes), out, headerBytes);
    if (!state) {
      const window = newWindow();
      window[index % REPLAY_WINDOW] = index;
      remember(this.rtpStreams, ssrc, { roc: rocU32, highestSeq: seq, highestIndex: index, window });
    } else {
      state.window ??= newWindow();
      state.window[index % REPLAY_WINDOW] = index;
      if (index > state.highestIndex) {
        state.roc = rocU32;
        state.highestSeq = seq;
        state.highestIndex = index;
      }
    }
    return out;
  }

  /** RTCP → SRTCP (encrypted, E bit set, 31-bit index per SSRC, 80-bit tag). */
  protectRtcp(packet: Uint8Array): Uint8Array {
    if (packet.length < 8 || packet[0]! >> 6 !== 2) throw new SrtpError('malformed', 'not an RTCP v2 packet');
    const ssrc = readU32(packet, 4);
    let state = this.rtcpStreams.get(ssrc);
    if (!state) {
      state = { nextIndex: 0, highestIndex: -1, window: null };
      remember(this.rtcpStreams, ssrc, state);
    }
    const index = state.nextIndex;
    state.nextIndex = (index + 1) & 0x7fffffff;
    const trailerAt = packet.length;
    const out = new Uint8Array(trailerAt + SRTCP_INDEX_BYTES + RTCP_TAG_BYTES);
    out.set(packet.subarray(0, 8), 0);
    writeAesCmIv(this.iv, this.rtcpSalt, ssrc, index >>> 16, index & 0xffff);
    this.rtcpCipher.xor(this.iv, packet.subarray(8), out, 8);
    writeU32(out, trailerAt, (0x80000000 | index) >>> 0);
    const tag = createHmac('sha1', this.rtcpAuthKey)
      .update(out.subarray(0, trailerAt + SRTCP_INDEX_BYTES))
      .digest();
    out.set(tag.subarray(0, RTCP_TAG_BYTES), trailerAt + SRTCP_INDEX_BYTES);
    return out;
  }

  /** SRTCP → RTCP, or null (counted in `failures`) if malformed, forged or replayed. */
  unprotectRtcp(packet: Uint8Array): Uint8Array | null {
    const authenticatedBytes = packet.length - RTCP_TAG_BYTES;
    const rtcpBytes = authenticatedBytes - SRTCP_INDEX_BYTES;
    if (rtcpBytes < 8 || packet[0]! >> 6 !== 2) {
      this.failures.malformed++;
      return null;
    }
    const ssrc = readU32(packet, 4);
    const eAndIndex = readU32(packet, rtcpBytes);
    const encrypted = (eAndIndex & 0x80000000) !== 0;
    const index = eAndIndex & 0x7fffffff;
    const state = this.rtcpStreams.get(ssrc);
    if (state && isReplay(state.window, state.highestIndex, index)) {
      this.failures.replay++;
      return null;
    }
    const expected = createHmac('sha1', this.rtcpAuthKey).update(packet.subarray(0, authenticatedBytes)).digest();
    if (!timingSafeEqual(expected.subarray(0, RTCP_TAG_BYTES), packet.subarray(authenticatedBytes))) {
      this.failures.auth++;
      return null;
    }
    const out = new Uint8Array(rtcpBytes);
    if (encrypted) {
      out.set(packet.subarray(0, 8), 0);
      writeAesCmIv(this.iv, this.rtcpSalt, ssrc, index >>> 16, index & 0xffff);
      this.rtcpCipher.xor(this.iv, packet.subarray(8, rtcpBytes), out, 8);
    } else {
      // E = 0: the sender chose not to encrypt this one (RFC 3711 §3.4); it is still authenticated.
      out.set(packet.subarray(0, rtcpBytes), 0);
    }
    const s = state ?? { nextIndex: 0, highestIndex: -1, window: null };
    if (!state) remember(this.rtcpStreams, ssrc, s);
    s.window ??= newWindow();
    s.window[index % REPLAY_WINDOW] = index;
    if (index > s.highestIndex) s.highestIndex = index;
    return out;
  }

  /** RFC 3711 §4.2: tag = HMAC-SHA1(k_a, authenticated portion || ROC), truncated. */
  private rtpTag(packet: Uint8Array, bodyBytes: number, roc: number): Buffer {
    writeU32(this.rocBytes, 0, roc);
    return createHmac('sha1', this.rtpAuthKey).update(packet.subarray(0, bodyBytes)).update(this.rocBytes).digest();
  }

  private writeRtpTag(out: Uint8Array, bodyBytes: number, roc: number): void {
    out.set(this.rtpTag(out, bodyBytes, roc).subarray(0, this.rtpTagBytes), bodyBytes);
  }

  private verifyRtpTag(packet: Uint8Array, bodyBytes: number, roc: number): boolean {
    const expected = this.rtpTag(packet, bodyBytes, roc).subarray(0, this.rtpTagBytes);
    return timingSafeEqual(expected, packet.subarray(bodyBytes));
  }
}

/**
 * RFC 3711 §3.3.1 / Appendix A: the ROC this sequence number most probably belongs to, given the
 * highest one seen (s_l, ROC). May be -1 (a late packet from before the stream's first ROC).
 */
function estimateRoc(state: StreamState, seq: number): number {
  const sl = state.highestSeq;
  const roc = state.roc;
  if (sl < 0x8000) return seq - sl > 0x8000 ? roc - 1 : roc;
  return sl - 0x8000 > seq ? roc + 1 : roc;
}

function isReplay(window: Float64Array | null, highestIndex: number, index: number): boolean {
  if (!window) return false;
  if (index + REPLAY_WINDOW <= highestIndex) return true; // older than the window
  return window[index % REPLAY_WINDOW] === index;
}

function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = (v >>> 24) & 0xff;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}
