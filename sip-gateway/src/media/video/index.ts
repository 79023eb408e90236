/**
 * Video for SIP room systems, meeting → room system: one outgoing stream that follows the active
 * speaker by forwarding (not transcoding) the SFU's camera streams. Pure code over byte arrays —
 * no sockets, no timers — so the media engine's workers run it on their 20 ms tick.
 */
export { isKeyframeStart, isH264KeyframeStart, isVp8KeyframeStart, type VideoCodec } from './keyframe.js';
export {
  keyframeRequestFor,
  buildPli,
  buildFir,
  RtcpFeedbackError,
  RTCP_PSFB,
  PSFB_FMT_PLI,
  PSFB_FMT_FIR,
  PLI_BYTES,
  FIR_BYTES,
  type KeyframeRequestMethod,
  type RtcpFeedbackErrorCode,
} from './rtcp-feedback.js';
export {
  SwitchedVideoStream,
  VideoSwitchError,
  type VideoSwitchErrorCode,
  type VideoSourceOptions,
  type VideoSourcePayloadType,
  type SwitchReport,
  type SwitchedVideoStreamSink,
  type SwitchedVideoStreamOptions,
  type SwitchedVideoStreamCounters,
  type PacketOutcome,
  type OutputSenderInfo,
} from './switched-stream.js';
export { SpeakerSwitchPolicy, type SpeakerSwitchPolicyOptions } from './speaker-switch-policy.js';
export {
  buildTmmbr,
  buildRemb,
  parseBitrateRequests,
  splitBitrate,
  TMMBR_BYTES,
  REMB_BYTES,
  RTCP_RTPFB,
  RTPFB_FMT_TMMBR,
  PSFB_FMT_AFB,
  type BitrateRequest,
} from './bitrate-feedback.js';
