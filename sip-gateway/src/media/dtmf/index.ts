/**
 * DTMF: key presses end here, in the gateway (never forwarded through mediasoup). Three ways in,
 * one event shape out (`DtmfKeyEvent`, with `method` for metrics): RFC 4733 telephone-events,
 * SIP INFO bodies, and in-band tones for callers that send neither.
 */
export { DTMF_DIGITS, DTMF_METHODS, isPinKey, type DtmfDigit, type DtmfKey, type DtmfKeyEvent, type DtmfMethod, type PinKey } from './digits.js';
export { Rfc4733Receiver, type Rfc4733ReceiverOptions, type RtpPacketFields } from './rfc4733-receiver.js';
export {
  parseSipInfoDtmf,
  parseDtmfRelayBody,
  parseDtmfBody,
  DtmfBodyError,
  DTMF_BODY_ERROR_CODES,
  MAX_DTMF_BODY_BYTES,
  type DtmfBodyErrorCode,
} from './sip-info.js';
export { InbandDtmfDetector, DtmfDetectorConfigError, type InbandDtmfDetectorOptions } from './inband-detector.js';
