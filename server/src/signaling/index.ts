export { signalingConfigSchema, type SignalingConfig } from './config.js';
export { SignalingServer, type SignalingObserver } from './server.js';
export { UpgradeRefusals, type UpgradeRefusalCode } from './connection-guard.js';
export type { SessionObserver } from './session.js';
export type { SignalingMeetings } from './context.js';
export { WebRtcLeg, openWebRtcLeg } from './webrtc-leg.js';
export { ParticipantLinks, newResumeToken } from './links.js';
