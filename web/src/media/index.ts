export { MediaSession, type IceSettings, type RemoteTrack, type RemoteStats, type SendStats, type LocalSource } from './session.js';
export { cameraEncodings, cameraConstraints, screenMaxBitrate } from './encodings.js';
