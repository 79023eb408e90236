/**
 * The SFU as the meeting core sees it: interfaces only, implemented once (MediaService, MediaRoom,
 * ParticipantMedia). Code outside sfu/ can depend on these types and never on mediasoup objects.
 */
import type { Emitter } from '../../../common/src/index.js';
import type {
  ConsumerInfo,
  ConsumerLayers,
  DtlsParameters,
  IceParameters,
  JoinMode,
  MediaRoomEvents,
  MediaRoomStats,
  MediaServiceStats,
  ParticipantMediaEvents,
  ParticipantMediaOptions,
  ProduceRequest,
  ProducerInfo,
  RtpCapabilities,
  TransportDirection,
  TransportInfo,
} from './types.js';

export interface MediaServiceApi {
  /** The open room for this meeting id, created on demand (shared by concurrent callers). */
  openRoom(roomId: string): Promise<MediaRoomApi>;
  room(roomId: string): Promise<MediaRoomApi | undefined>;
  openRooms(): Promise<MediaRoomApi[]>;
  stats(): Promise<MediaServiceStats>;
  close(): void;
}

export interface MediaRoomApi {
  readonly id: string;
  readonly events: Emitter<MediaRoomEvents>;
  readonly closed: boolean;
  readonly rtpCapabilities: RtpCapabilities;
  readonly activeSpeaker: string | null;
  readonly workerIndexes: number[];
  addParticipant(id: string, options: ParticipantMediaOptions): Promise<ParticipantMediaApi>;
  participant(id: string): ParticipantMediaApi | undefined;
  participants(): ParticipantMediaApi[];
  stats(): Promise<MediaRoomStats>;
  close(): void;
}

export interface ParticipantMediaApi {
  readonly id: string;
  readonly mode: JoinMode;
  readonly events: Emitter<ParticipantMediaEvents>;
  readonly closed: boolean;
  readonly workerIndex: number;
  readonly consumerCount: number;
  producers(): ProducerInfo[];
  consumerInfos(): ConsumerInfo[];
  createTransport(direction: TransportDirection): Promise<TransportInfo>;
  connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void>;
  restartIce(transportId: string): Promise<IceParameters>;
  setBandwidth(maxIncomingBitrateBps: number, maxOutgoingBitrateBps: number): Promise<void>;
  produce(request: ProduceRequest): Promise<string>;
  closeProducer(producerId: string, byServer?: boolean): void;
  pauseProducer(producerId: string, byServer?: boolean): Promise<void>;
  resumeProducer(producerId: string, byServer?: boolean): Promise<void>;
  resumeConsumer(consumerId: string): Promise<void>;
  pauseConsumer(consumerId: string): Promise<void>;
  setPreferredLayers(consumerId: string, layers: ConsumerLayers): Promise<void>;
  close(): void;
}
