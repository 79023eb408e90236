/**
 * The public shapes of the media layer. Everything here is plain data that signalling can put on
 * the wire; no mediasoup object crosses this boundary.
 */
import type {
  ConsumerType,
  DtlsParameters,
  IceCandidate,
  IceParameters,
  MediaKind,
  RtpCapabilities,
  RtpParameters,
} from 'mediasoup/node/lib/types.js';

export type { ConsumerType, DtlsParameters, IceCandidate, IceParameters, MediaKind, RtpCapabilities, RtpParameters };

/** How a participant joined: what it receives (see consumption-policy.ts) and what it may send. */
export type JoinMode = 'video' | 'audio-only' | 'audio+presentation';
export const JOIN_MODES: readonly JoinMode[] = ['video', 'audio-only', 'audio+presentation'];

/** What a producer carries. `mic`/`screen-audio` are audio; `camera`/`screen` are video. */
export type MediaSource = 'mic' | 'camera' | 'screen' | 'screen-audio';
export const MEDIA_SOURCES: readonly MediaSource[] = ['mic', 'camera', 'screen', 'screen-audio'];
export const SOURCE_KIND: Readonly<Record<MediaSource, MediaKind>> = {
  mic: 'audio',
  camera: 'video',
  screen: 'video',
  'screen-audio': 'audio',
};

export type TransportDirection = 'send' | 'recv';

export interface ParticipantMediaOptions {
  mode: JoinMode;
  /** The participant's call bandwidth upstream: caps what its send transport accepts. */
  maxIncomingBitrateBps: number;
  /** The participant's call bandwidth downstream: caps what its recv transport sends; drives simulcast layer choice. */
  maxOutgoingBitrateBps: number;
  /** The client device's capabilities (mediasoup-client `device.rtpCapabilities`). */
  rtpCapabilities: RtpCapabilities;
}

/** What the client needs to build its side of a transport. */
export interface TransportInfo {
  id: string;
  direction: TransportDirection;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

export interface ProduceRequest {
  transportId: string;
  kind: MediaKind;
  rtpParameters: RtpParameters;
  source: MediaSource;
}

export interface ProducerInfo {
  id: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

export interface ConsumerLayers {
  spatialLayer: number;
  temporalLayer?: number;
}

/** Sent to the client so it can call `recvTransport.consume(...)` and then ask to resume. */
export interface ConsumerInfo {
  id: string;
  producerId: string;
  /** The participant whose producer this consumes. */
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  rtpParameters: RtpParameters;
  type: ConsumerType;
  producerPaused: boolean;
}

/** Why a room or participant's media ended; stable names for logs, notifications and metrics. */
export type MediaCloseReason = 'closed' | 'room_closed' | 'worker_died';

export type TransportConnectionState = 'new' | 'connecting' | 'connected' | 'failed' | 'closed';

export type ParticipantMediaEvents = {
  consumerAdded: [consumer: ConsumerInfo];
  consumerClosed: [consumerId: string];
  /** The consumed producer was paused (e.g. its sender muted); the consumer sends nothing. */
  consumerPaused: [consumerId: string];
  consumerResumed: [consumerId: string];
  /** Which simulcast layers this consumer now forwards; null = none (producer idle or paused). */
  consumerLayersChanged: [consumerId: string, layers: ConsumerLayers | null];
  /** One of this participant's producers; byServer = someone else (a host) did it, so tell the client. */
  producerPaused: [producerId: string, byServer: boolean];
  producerResumed: [producerId: string, byServer: boolean];
  producerClosed: [producerId: string, byServer: boolean];
  /** DTLS state of one of this participant's transports (watch for 'failed' → ICE restart or rejoin). */
  transportStateChanged: [transportId: string, direction: TransportDirection, state: TransportConnectionState];
  /** Emitted once. Own consumers and producers close silently with it (no per-consumer events). */
  closed: [reason: MediaCloseReason];
};

export type MediaRoomEvents = {
  /** The dominant speaker changed; null when the last one left or stopped sending audio. */
  activeSpeaker: [participantId: string | null];
  participantAdded: [participantId: string];
  participantRemoved: [participantId: string];
  /** Emitted once; every participant's media is closed. On 'worker_died' the meeting core re-homes. */
  closed: [reason: MediaCloseReason];
};

export interface KindCounts {
  audio: number;
  video: number;
}

export interface WorkerBitrate {
  workerIndex: number;
  /** Bits per second arriving from participants' transports on this worker. */
  bitrateInBps: number;
  /** Bits per second sent to participants from this worker. */
  bitrateOutBps: number;
}

export interface MediaRoomStats {
  roomId: string;
  participants: number;
  routers: { workerIndex: number; participants: number; consumers: number }[];
  producers: KindCounts;
  consumers: KindCounts;
  bitrateInBps: number;
  bitrateOutBps: number;
  byWorker: WorkerBitrate[];
}

export interface MediaServiceStats {
  rooms: number;
  participants: number;
  producers: KindCounts;
  consumers: KindCounts;
  byWorker: WorkerBitrate[];
}
