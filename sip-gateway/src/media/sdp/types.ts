import type { AudioCodecName, CallAudioSession, MediaDirection } from '../engine/types.js';

/** The signalling transport the offer arrived on; 'tls' makes SRTP mandatory. */
export type SipTransport = 'udp' | 'tcp' | 'tls';

/** Our caller-facing RTP/RTCP address (the engine's CallMedia.local). */
export interface LocalMediaAddress {
  ip: string;
  rtpPort: number;
  rtcpPort: number;
}

/** The o= line we keep per call: same session id for the whole call, version bumped on every change (RFC 3264 §8). */
export interface SdpOrigin {
  readonly sessionId: string;
  readonly version: number;
}

/** Why an offer (or a late-offer answer) was refused; stable codes for logs and metrics. */
export const SDP_REFUSAL_REASONS = [
  'malformed',
  'too_large',
  'no_audio',
  'no_common_codec',
  'srtp_required',
  'no_usable_crypto',
  'unsupported_profile',
  'unsupported_address',
  'audio_rejected',
  'answer_mismatch',
] as const;
export type SdpRefusalReason = (typeof SDP_REFUSAL_REASONS)[number];

export interface SdpRefusal {
  ok: false;
  /** 400 for SDP we cannot read, 488 (Not Acceptable Here) for SDP we read but cannot accept. */
  status: 400 | 488;
  /** A Warning header value (RFC 3261 §20.43): `305 convene "Incompatible media format"`. */
  warning: string;
  reason: SdpRefusalReason;
}

/** One m-line of the offer as the answer must echo it (RFC 3264 §6: same count, same order). */
export type AnswerMediaLine =
  | { kind: 'rejected'; type: string; protocol: string; formats: string }
  | { kind: 'audio'; protocol: string };

/** What buildAnswer needs beyond the session: the offer's m-line layout and the echo-back details. */
export interface AnswerPlan {
  media: AnswerMediaLine[];
  /** The a=crypto tag we answer with (theirs), when SRTP. */
  cryptoTag: number | null;
  /** Echo a=ptime only when the offer carried one. */
  ptimeAsked: boolean;
}

export interface NegotiatedOffer {
  ok: true;
  session: CallAudioSession;
  answer: AnswerPlan;
}

export interface NegotiateContext {
  transport: SipTransport;
  /**
   * The codecs we accept, in OUR order of preference (used for our own offers). Default
   * opus, G722, PCMU, PCMA. In an answer the caller's order wins (see negotiate.ts).
   */
  codecs?: readonly AudioCodecName[];
  /** The call's current session on a re-offer: keeps its codec if still offered and our SRTP key if the suite is unchanged. */
  previous?: CallAudioSession | null;
  /** Latch to the caller's real source address (NAT). Default true. */
  symmetricRtp?: boolean;
  /** Our media socket's address family: an offer whose c= is of the other family is refused (301). Unset: any. */
  addressFamily?: 4 | 6;
}

/** Our late offer (INVITE without SDP → our offer in the 200, their answer in the ACK), kept until the answer. */
export interface PendingOffer {
  transport: SipTransport;
  protocol: 'RTP/AVP' | 'RTP/SAVP';
  /** Payload types as we offered them. */
  codecs: { name: AudioCodecName; payloadType: number; clockRate: number; channels: number }[];
  telephoneEventPayloadType: number;
  /** Our a=crypto lines (one key per line; never the same key under two suites). */
  crypto: { tag: number; suite: 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32'; keyBase64: string }[];
  direction: MediaDirection;
  symmetricRtp: boolean;
  addressFamily: 4 | 6;
}
