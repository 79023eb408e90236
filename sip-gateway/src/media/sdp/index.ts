/**
 * SDP offer/answer for the gateway's audio calls (RFC 3264): answers to offers in INVITE,
 * re-INVITE and UPDATE (negotiateOffer → buildAnswer), our own offer for INVITEs without SDP
 * (buildOffer → applyAnswer), and the o= line we keep per call (newOrigin, bump). The result is
 * the CallAudioSession the media engine is configured with. Nothing here throws on bad input:
 * refusals carry the SIP status (400/488), a Warning header value and a machine code.
 */
export { negotiateOffer, type NegotiateResult } from './negotiate.js';
export { buildAnswer, type BuildAnswerArgs } from './answer.js';
export { buildOffer, applyAnswer, type BuildOfferArgs } from './late-offer.js';
export { sessionChanges, type SessionChanges } from './changes.js';
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
} from './types.js';
