export { signalingConfigSchema, type SignalingConfig } from './config.js';
export { SignalingServer } from './server.js';
export type { SessionObserver } from './session.js';
export type { SignalingMeetings } from './context.js';
export { WebRtcLeg, openWebRtcLeg } from './webrtc-leg.js';
export { ParticipantLinks, newResumeToken } from './links.js';
