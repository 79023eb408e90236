import type { AudioCodecName, CallAudioSession, MediaDirection, SrtpSessionKeys } from '../engine/types.js';
import type { MaxResolution, VideoCodecName } from './video-codecs.js';

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
  | { kind: 'audio'; protocol: string }
  /** `video` indexes NegotiatedOffer.video; `content`: echo a=content (the offer had one). */
  | { kind: 'video'; video: number; content: boolean };

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
  /** Accepted video m-lines (at most one 'main' and one 'slides'); empty unless the call opted in (NegotiateContext.video). */
  video: NegotiatedVideo[];
  /** Offered video m-lines we answered with port 0, and why (for logs and metrics). */
  videoRejected: VideoRejection[];
  /** How the call's cap is split; null unless the call opted in to video. */
  bandwidth: CallBandwidth | null;
}

export type VideoRole = 'main' | 'slides';

/** A video codec of the meeting's router with the room's payload type (mediasoup does not renumber: we send with it). */
export interface RoomVideoCodec {
  name: VideoCodecName;
  payloadType: number;
}

/** Opting a call in to video. Without it (the default), every video m-line is answered with port 0 as before. */
export interface VideoNegotiation {
  /** The room's video codecs in our order of preference (H.264 first: it needs no transcoding either way). See roomVideoCodecs(). */
  codecs: readonly RoomVideoCodec[];
  /**
   * The call's cap in bits per second of RTP payload (what b=TIAS counts): the lowest of the endpoint's
   * tier, the company default and what the SDP asks. A b= in the offer lowers it further.
   */
  callBitrateBps: number;
  /** 1080p with the Connect FullHD add-on; otherwise (the default) 720p. */
  maxResolution?: MaxResolution;
  /** Accept a presentation m-line (a=content:slides). Default true. */
  slides?: boolean;
  /** The call's current video streams on a re-offer: each role keeps its codec while offered and our SRTP key while the suite holds. */
  previous?: readonly NegotiatedVideo[];
}

/** Reasons a video m-line was answered with port 0 (the call itself is not refused). */
export const VIDEO_REJECTION_REASONS = [
  'video_disabled',
  'slides_disabled',
  'disabled_by_offer',
  'extra_video_line',
  'no_common_codec',
  'h264_mode0_only',
  'h264_profile',
  'srtp_required',
  'no_usable_crypto',
  'unsupported_profile',
  'unsupported_address',
  'no_bandwidth',
] as const;
export type VideoRejectionReason = (typeof VIDEO_REJECTION_REASONS)[number];

export interface VideoRejection {
  /** The m-line's position in the offer (0-based). */
  index: number;
  reason: VideoRejectionReason;
}

/** How a keyframe is asked of the endpoint: RTCP PLI, RTCP FIR, or SIP INFO picture_fast_update (RFC 5168) when it negotiated neither. */
export type KeyframeRequestMethod = 'pli' | 'fir' | 'sip-info';

/** RTCP feedback both sides agreed on for a video stream (RFC 4585, RFC 5104, REMB). */
export interface VideoFeedback {
  nack: boolean;
  pli: boolean;
  fir: boolean;
  tmmbr: boolean;
  remb: boolean;
}

export interface NegotiatedVideoCodec {
  name: VideoCodecName;
  /** The room's payload type: what we send with, and what our SDP asks the endpoint to send with. */
  payloadType: number;
  /** The endpoint's payload type for this codec in its SDP (what it said it receives); differs when the media path must rewrite it. */
  remotePayloadType: number;
  clockRate: 90000;
  /** The a=fmtp parameters we wrote for this codec (empty string: none). */
  fmtp: string;
}

/** One accepted video m-line: what the call layer needs for a mediasoup PlainTransport, producer and consumer. */
export interface NegotiatedVideo {
  role: VideoRole;
  /** Position of the m-line in the offer. */
  index: number;
  /** a=label (RFC 4574) as offered, echoed in the answer. */
  label: string | null;
  protocol: string;
  codec: NegotiatedVideoCodec;
  /** Largest picture we may send them: their decoder's limits (level, max-fs, max-mbps / max-fr) clamped by the licence. */
  sendLimits: { maxFrameSizeMb: number; maxMbps: number | null; maxFramerate: number | null };
  feedback: VideoFeedback;
  keyframeRequest: KeyframeRequestMethod;
  remote: { ip: string; rtpPort: number; rtcpPort: number } | null;
  rtcpMux: boolean;
  srtp: SrtpSessionKeys | null;
  /** The a=crypto tag we answer with (theirs), when SRTP. */
  cryptoTag: number | null;
  /** From OUR side, as for audio. */
  direction: MediaDirection;
  /** Cap for this stream both ways, bps of RTP payload: the video budget, lowered by the m-line's own b=. Our answer's b=TIAS. */
  maxBitrateBps: number;
}

/** The call's cap and its split; all bps of RTP payload. */
export interface CallBandwidth {
  /** min(VideoNegotiation.callBitrateBps, the offer's session-level b=). Our answer's session b=TIAS. */
  callBps: number;
  /** Kept for audio (the negotiated codec's rate). */
  audioBps: number;
  /** What is left for video; each video stream is capped at it, and the media path keeps their sum under it. */
  videoBps: number;
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
  /** Accept video m-lines; absent or null: every video m-line gets port 0 (audio-only calls, as before). */
  video?: VideoNegotiation | null;
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
  /** Our video m-lines, after the audio one, in order (absent: an audio-only offer). */
  video?: PendingVideo[];
}

/** One video m-line of our late offer. */
export interface PendingVideo {
  role: VideoRole;
  /** As offered: the room's payload types, our fmtp. */
  codecs: (RoomVideoCodec & { fmtp: string })[];
  crypto: { tag: number; suite: 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32'; keyBase64: string }[];
  maxBitrateBps: number;
  maxResolution: MaxResolution;
}
