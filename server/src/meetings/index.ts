export { meetingsConfigSchema, type MeetingsConfig } from './config.js';
export {
  MeetingErrors,
  MeetingError,
  CORE_REFUSALS,
  refusalTable,
  sipResponseFor,
  type MeetingErrorCode,
  type RefusalCode,
  type RefusalRow,
  type SipResponse,
} from './errors.js';
export type { JoinRequest, MeetingsApi, ParticipantHandle, ParticipantEvents, HostAction, RoomInfo } from './api.js';
export type { ParticipantKind, ParticipantSummary, MeetingSummary, MeetingLifecycleEvents, RefusedCallSummary } from './events.js';
export { SERVICE_MAX_PARTICIPANTS, type MeetingDirectory, type MeetingLimits, type MeetingRoomRecord } from './directory.js';
export type { CoreMediaPort, CoreMediaEvents, CoreProducer, MeetingMediaRoom, MeetingMediaRoomEvents, OpenMediaRoom } from './media.js';
export { SfuLegPort, RtpLegPort } from './sfu-leg.js';
export { Meeting, type MeetingEvents } from './meeting.js';
export { Participant, type ParticipantState, type CallInfo } from './participant.js';
export { MeetingService, type MeetingServiceObserverEvents } from './service.js';
export { SeatLedger, type SeatRefusal } from './seats.js';
export { PinGuard, type PinGuardConfig, type PinAttempt } from './pin-guard.js';
export { HostLinks, type HostLinkClaims } from './host-link.js';
export { registeredEndpointVerifier, type CallerIdentity, type EndpointVerifier, type LiveBinding } from './host-evidence.js';
export { LookupThrottle, LookupErrors, type LookupThrottleConfig } from './lookup-throttle.js';
export { AdmissionErrors, assertAdmitted, type JoinAdmission } from './admission.js';
