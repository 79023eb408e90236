export { signalingConfigSchema, type SignalingConfig } from './config.js';
export { SignalingServer, type SignalingObserver } from './server.js';
export { UpgradeRefusals, type UpgradeRefusalCode } from './connection-guard.js';
export type { SessionObserver } from './session.js';
