export { signalingConfigSchema, type SignalingConfig } from './config.js';
export { SignalingServer } from './server.js';
export type { SessionObserver } from './session.js';
