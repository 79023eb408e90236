export { MediaSession, type IceSettings, type RemoteTrack, type RemoteStats, type LocalSource } from './session.js';
export { cameraEncodings, cameraConstraints, screenMaxBitrate } from './encodings.js';
