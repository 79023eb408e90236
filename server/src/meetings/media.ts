/**
 * The media side of a meeting as the meeting core sees it: implemented by the SFU's MediaRoom /
 * ParticipantMedia (and later by the SIP gateway's bridge). Types only cross this boundary.
 */
import type { Emitter } from '../../../common/src/index.js';
import type {
  ConsumerLayers,
  DtlsParameters,
  IceParameters,
  MediaRoomEvents,
  ParticipantMediaEvents,
  ParticipantMediaOptions,
  ProduceRequest,
  ProducerInfo,
  RtpCapabilities,
  TransportDirection,
  TransportInfo,
} from '../../../sfu/src/index.js';

export interface ParticipantMediaPort {
  readonly events: Emitter<ParticipantMediaEvents>;
  createTransport(direction: TransportDirection): Promise<TransportInfo>;
  connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void>;
  restartIce(transportId: string): Promise<IceParameters>;
  /** Resolves with the new producer id. */
  produce(request: ProduceRequest): Promise<string>;
  closeProducer(producerId: string, byServer?: boolean): void;
  pauseProducer(producerId: string, byServer?: boolean): Promise<void>;
  resumeProducer(producerId: string): Promise<void>;
  resumeConsumer(consumerId: string): Promise<void>;
  setPreferredLayers(consumerId: string, layers: ConsumerLayers): Promise<void>;
  producers(): ProducerInfo[];
  close(): void;
}

export interface MeetingMediaRoom {
  readonly rtpCapabilities: RtpCapabilities;
  readonly events: Emitter<MediaRoomEvents>;
  addParticipant(participantId: string, options: ParticipantMediaOptions): Promise<ParticipantMediaPort>;
  close(): void;
}

export type OpenMediaRoom = (roomId: string) => Promise<MeetingMediaRoom>;
