/** Machine-readable reasons a media request is refused; stable wire names. */
export const MediaErrorCode = {
  RoomClosed: 'media_room_closed',
  ParticipantClosed: 'media_participant_closed',
  ParticipantExists: 'media_participant_exists',
  UnknownTransport: 'media_unknown_transport',
  TransportExists: 'media_transport_exists',
  WrongTransportDirection: 'media_wrong_transport_direction',
  UnknownProducer: 'media_unknown_producer',
  UnknownConsumer: 'media_unknown_consumer',
  SourceNotAllowed: 'media_source_not_allowed',
  SourceBusy: 'media_source_busy',
  KindMismatch: 'media_kind_mismatch',
  InvalidParameters: 'media_invalid_parameters',
  NoWorker: 'no_media_worker',
  TapExists: 'media_tap_exists',
  MixExists: 'media_mix_exists',
  UnknownLeg: 'media_unknown_leg',
  NoRtp: 'media_no_rtp',
  NoPort: 'media_no_port',
} as const;
export type MediaErrorCode = (typeof MediaErrorCode)[keyof typeof MediaErrorCode];

export class MediaError extends Error {
  constructor(
    readonly code: MediaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}
