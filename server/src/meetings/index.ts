export { meetingsConfigSchema, type MeetingsConfig } from './config.js';
export { MeetingErrors, type MeetingErrorCode } from './errors.js';
export { SERVICE_MAX_PARTICIPANTS, type MeetingDirectory, type MeetingLimits, type MeetingRoomRecord } from './directory.js';
export type { MeetingMediaRoom, ParticipantMediaPort, OpenMediaRoom } from './media.js';
export { Meeting, type MeetingEvents } from './meeting.js';
export { Participant, type ParticipantChannel, type ParticipantState } from './participant.js';
export { MeetingService, newResumeToken, type JoinRequest, type JoinedParticipant, type MeetingServiceObserverEvents } from './service.js';
export { SeatLedger, type SeatRefusal } from './seats.js';
export { PinGuard, type PinGuardConfig } from './pin-guard.js';
