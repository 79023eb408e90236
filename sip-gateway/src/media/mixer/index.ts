/**
 * Public face of the room audio mixer: `RoomMixer` (implements `RoomMixerApi`), pure and
 * tick-driven — the media engine feeds it RTP payloads and calls `mixOnce()` every 20 ms.
 */
export { RoomMixer, type RoomMixerOptions } from './room-mixer.js';
export { MixerError, type MixerErrorCode } from './errors.js';
export { DEFAULT_OPUS_SETTINGS, type OpusEncoderSettings } from './opus.js';
export { levelDbov, rfc6464Level } from './level.js';
export type {
  AudioCodecName,
  AudioCodecSpec,
  JitterStats,
  LegFrame,
  MixFrame,
  MixerLegOptions,
  MixerSourceOptions,
  RoomFeedFrame,
  RoomMixerApi,
} from './types.js';
