/**
 * SDP offer/answer for the gateway's calls (RFC 3264), audio and — when the call opts in — video
 * (H.264/VP8 main video and an a=content:slides presentation line, see README): answers to offers in INVITE,
 * re-INVITE and UPDATE (negotiateOffer → buildAnswer), our own offer for INVITEs without SDP
 * (buildOffer → applyAnswer), and the o= line we keep per call (newOrigin, bump). The result is
 * the CallAudioSession the media engine is configured with. Nothing here throws on bad input:
 * refusals carry the SIP status (400/488), a Warning header value and a machine code.
 */
export { negotiateOffer, type NegotiateResult } from './negotiate.js';
export { buildAnswer, SdpBuildError, type BuildAnswerArgs, type SdpBuildErrorCode } from './answer.js';
export { type OfferVideoArgs } from './late-offer-video.js';
export { roomVideoCodecs, type RtpCapabilitiesLike } from './room-codecs.js';
export { AUDIO_RESERVE_BPS, MIN_VIDEO_BPS } from './bandwidth.js';
export { RESOLUTION_LIMITS, type MaxResolution, type VideoCodecName } from './video-codecs.js';
export { buildOffer, applyAnswer, type BuildOfferArgs } from './late-offer.js';
export { sessionChanges, videoChanges, type SessionChanges, type VideoChanges } from './changes.js';
export { newOrigin, bump, sameExceptOrigin } from './origin.js';
export { DEFAULT_CODECS } from './codecs.js';
export { MAX_SDP_BYTES } from './parse.js';
export {
  SDP_REFUSAL_REASONS,
  type SdpRefusal,
  type SdpRefusalReason,
  type SdpOrigin,
  type SipTransport,
  type LocalMediaAddress,
  type NegotiateContext,
  type NegotiatedOffer,
  type AnswerPlan,
  type AnswerMediaLine,
  type PendingOffer,
  type PendingVideo,
  VIDEO_REJECTION_REASONS,
  type VideoRejectionReason,
  type VideoRejection,
  type VideoNegotiation,
  type VideoRole,
  type RoomVideoCodec,
  type NegotiatedVideo,
  type NegotiatedVideoCodec,
  type VideoFeedback,
  type KeyframeRequestMethod,
  type CallBandwidth,
} from './types.js';
