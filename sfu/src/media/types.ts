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
  SrtpCryptoSuite,
  SrtpParameters,
} from 'mediasoup/node/lib/types.js';

export type { ConsumerType, DtlsParameters, IceCandidate, IceParameters, MediaKind, RtpCapabilities, RtpParameters, SrtpCryptoSuite, SrtpParameters };

/** How a participant's media reaches the SFU: a browser over WebRTC, or plain (S)RTP (SIP, phone, interop). */
export type LegKind = 'webrtc' | 'rtp';

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
  /** RTP stream score 0–10 (10 = no loss), the best of its encodings; 0 until packets arrive. */
  score: number;
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
  /** The RTP stream score (0–10) of one of this participant's producers changed. */
  producerScore: [producerId: string, score: number];
  /** Loudness of this participant's mic (dBov, -127 = silence .. 0 = loudest), sampled by the room while it speaks. */
  audioLevel: [producerId: string, dBov: number];
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

// ── RTP legs (SIP room systems, phones, interop gateways) ───────────────────────────────────────

/**
 * What an RTP transport of a leg carries (one per SDP m-line): the leg's audio (it sends its mic,
 * receives its own mix), its main video (sends its camera, receives one switched video stream), or
 * the presentation (sends or receives the screen share).
 */
export type RtpStreamRole = 'audio' | 'video' | 'presentation';
export const RTP_STREAM_ROLES: readonly RtpStreamRole[] = ['audio', 'video', 'presentation'];

export interface RtpLegOptions {
  mode: JoinMode;
  /** The caller's call bandwidth upstream: caps what its transports accept (0 = no cap). */
  maxIncomingBitrateBps: number;
  /** The caller's call bandwidth downstream (0 = no cap). */
  maxOutgoingBitrateBps: number;
  /**
   * What the remote endpoint can decode (from its SDP): codecs with the payload types it uses.
   * Consumers are only created for producers it can decode, with these payload types.
   */
  rtpCapabilities: RtpCapabilities;
}

export interface RtpTransportOptions {
  role: RtpStreamRole;
  /**
   * Learn the remote address from the first packet received (callers behind NAT; symmetric RTP).
   * Without it, call connectRtpTransport with the address from the remote SDP.
   */
  comedia: boolean;
  /** RTP and RTCP on one port (RFC 5761); false = RTCP on its own port (rtcpPort). */
  rtcpMux: boolean;
  /** SDES-SRTP with this crypto suite (the SDP a=crypto line); absent = plain RTP. */
  srtpCryptoSuite?: SrtpCryptoSuite;
  /**
   * The remote's SDP announces no SSRC (no a=ssrc, the usual case for SIP): put a small relay in
   * front of the transport that learns it from the first packet, so produce() may omit
   * `encodings[].ssrc`. One Node hop per packet: for audio. Relay ports: sfu.media.rtpRelayMinPort–rtpRelayMaxPort.
   */
  learnSsrc?: boolean;
}

/** Where the remote endpoint should send (the SDP c= / m= port, a=rtcp, a=crypto). */
export interface RtpTransportInfo {
  id: string;
  role: RtpStreamRole;
  ip: string;
  port: number;
  /** Only without rtcpMux. */
  rtcpPort?: number;
  comedia: boolean;
  rtcpMux: boolean;
  /** Our SRTP key (put it in our a=crypto); only with srtpCryptoSuite. */
  srtpParameters?: SrtpParameters;
}

/** The remote endpoint's address and key, from its SDP. ip/port are omitted with comedia. */
export interface RtpRemote {
  ip?: string;
  port?: number;
  rtcpPort?: number;
  /** The remote's a=crypto key; required when the transport has SRTP. */
  srtpParameters?: SrtpParameters;
}

/** Counters of one RTP transport (for diagnostics and the gateway's call quality). */
export interface RtpTransportStats {
  id: string;
  role: RtpStreamRole;
  rtpBytesReceived: number;
  rtpBytesSent: number;
  /** Where media comes from / goes to: the connected or (comedia) learned remote address; undefined until known. */
  remoteIp?: string;
  remotePort?: number;
}

export interface RtpProduceRequest {
  transportId: string;
  kind: MediaKind;
  source: MediaSource;
  /**
   * Built from the remote SDP: codecs with the remote's payload types, and the SSRC it sends with in
   * `encodings[0].ssrc` — required: mediasoup routes incoming RTP by SSRC (or MID/RID, which SIP
   * endpoints rarely send). A remote that does not announce a=ssrc needs its SSRC learnt first.
   */
  rtpParameters: RtpParameters;
}

/** A consumer delivered over RTP: the remote endpoint receives `rtpParameters` (SSRC, payload type) on `transportId`. */
export interface RtpConsumerInfo extends ConsumerInfo {
  transportId: string;
  role: RtpStreamRole;
}

// ── the room audio tap (for the audio mixer) ───────────────────────────────────────────────────

export interface AudioTapOptions {
  /** Learn the mixer's address from the first packet it sends (it sends its mixes from the socket it receives on). */
  comedia: boolean;
  rtcpMux: boolean;
}

/** An audio producer of the room as the tap delivers it: packets on the tap transport with this SSRC / payload type. */
export interface TappedProducer {
  producerId: string;
  participantId: string;
  source: MediaSource;
  consumerId: string;
  /** The consumer's parameters: what arrives at the mixer (SSRC in encodings[0], payload type in codecs[0]). */
  rtpParameters: RtpParameters;
  paused: boolean;
}

export type AudioTapEvents = {
  /** A new audio producer in the room (a mic or screen audio of any leg); its packets now flow to the mixer. */
  producerTapped: [producer: TappedProducer];
  /** It went away (closed, or its participant left). */
  producerUntapped: [producerId: string, participantId: string];
  /** It was muted / unmuted: nothing / packets again arrive for it. */
  producerPaused: [producerId: string];
  producerResumed: [producerId: string];
  /** Emitted once; every tapped consumer and published mix closed with it. */
  closed: [reason: MediaCloseReason];
};

// ── the room video tap (for the SIP gateway's video fan-out) ────────────────────────────────────

export interface VideoTapOptions {
  /** The engine's address is given to connect(); the tap never learns it from packets. */
  comedia: false;
  rtcpMux: true;
}

/** A camera or screen producer of the room, as the tap offers it. */
export interface VideoTapSource {
  producerId: string;
  participantId: string;
  source: 'camera' | 'screen';
  /** 'video/H264' | 'video/VP8' */
  mimeType: string;
  /** 1 for a single stream, 3 for 3-layer simulcast. */
  spatialLayers: number;
  paused: boolean;
}

/** One subscription: a mediasoup consumer on the tap transport; its packets reach the engine with `ssrc`. */
export interface VideoTapStream {
  /** = the consumer id. */
  streamId: string;
  producerId: string;
  participantId: string;
  source: 'camera' | 'screen';
  ssrc: number;
  /** The router's payload type of the codec. */
  payloadType: number;
  mimeType: string;
  clockRate: number;
  /** Codec fmtp (packetization-mode, profile-level-id, ...). */
  parameters: Record<string, unknown>;
  /** The highest spatial layer forwarded (after clamping to what the producer has). */
  maxSpatialLayer: number;
}

export type VideoTapEvents = {
  sourceAdded: [source: VideoTapSource];
  sourceRemoved: [producerId: string];
  sourcePaused: [producerId: string];
  sourceResumed: [producerId: string];
  /** Its producer closed (or the tap is closing); not emitted for unsubscribe(). */
  streamClosed: [streamId: string];
  /** Emitted once, after streamClosed for every open stream. */
  closed: [reason: MediaCloseReason];
};
