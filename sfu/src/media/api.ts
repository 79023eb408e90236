/**
 * The SFU as the meeting core sees it: interfaces only, implemented once (MediaService, MediaRoom,
 * and one class per leg). Code outside sfu/ can depend on these types and never on mediasoup objects.
 *
 * A participant's media is a *leg*: the core port (`ParticipantMediaCore`: its producers, mute,
 * events, close) is the same for every kind of participant; how the media travels is the leg's own
 * business — WebRTC for browsers (`WebRtcLegApi`), plain (S)RTP for SIP, phones and interop
 * (`RtpLegApi`). The meeting core drives mute/remove/presenter through the core port only.
 */
import type { Emitter } from '../../../common/src/index.js';
import type {
  AudioTapEvents,
  AudioTapOptions,
  ConsumerInfo,
  ConsumerLayers,
  DtlsParameters,
  IceParameters,
  JoinMode,
  LegKind,
  MediaRoomEvents,
  MediaRoomStats,
  MediaServiceStats,
  ParticipantMediaEvents,
  ParticipantMediaOptions,
  ProduceRequest,
  ProducerInfo,
  RtpCapabilities,
  RtpConsumerInfo,
  RtpLegOptions,
  RtpParameters,
  RtpProduceRequest,
  RtpRemote,
  RtpTransportInfo,
  RtpTransportOptions,
  RtpTransportStats,
  TappedProducer,
  TransportDirection,
  TransportInfo,
  VideoTapEvents,
  VideoTapOptions,
  VideoTapSource,
  VideoTapStream,
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
  /** A browser participant: the WebRTC leg. */
  addParticipant(id: string, options: ParticipantMediaOptions): Promise<WebRtcLegApi>;
  /** A SIP / phone / interop participant: an RTP leg (no transports yet; add one per m-line). */
  addRtpLeg(id: string, options: RtpLegOptions): Promise<RtpLegApi>;
  /**
   * The room's audio tap (at most one open at a time): every audio producer of the room is delivered
   * to it, and it publishes one mix per RTP leg back. For the audio mixer.
   */
  openAudioTap(options: AudioTapOptions): Promise<AudioTapApi>;
  /**
   * The room's video tap (at most one open at a time, `media_tap_exists`): the SIP gateway's video
   * egress. Offers every camera and screen producer; delivers those it subscribes to. Not a participant.
   */
  openVideoTap(options: VideoTapOptions): Promise<VideoTapApi>;
  /** Any participant's core port, whatever its leg. */
  participant(id: string): ParticipantMediaCore | undefined;
  participants(): ParticipantMediaCore[];
  stats(): Promise<MediaRoomStats>;
  close(): void;
}

/** What the meeting core needs of any participant's media, whatever its leg. */
export interface ParticipantMediaCore {
  readonly id: string;
  readonly leg: LegKind;
  readonly mode: JoinMode;
  readonly events: Emitter<ParticipantMediaEvents>;
  readonly closed: boolean;
  readonly workerIndex: number;
  readonly consumerCount: number;
  producers(): ProducerInfo[];
  consumerInfos(): ConsumerInfo[];
  /** The participant's call bandwidth changed: re-cap its transports (0 = no cap). */
  setBandwidth(maxIncomingBitrateBps: number, maxOutgoingBitrateBps: number): Promise<void>;
  closeProducer(producerId: string, byServer?: boolean): void;
  pauseProducer(producerId: string, byServer?: boolean): Promise<void>;
  resumeProducer(producerId: string, byServer?: boolean): Promise<void>;
  close(): void;
}

/** A browser's media: two WebRTC transports, producers and server-created consumers it resumes. */
export interface WebRtcLegApi extends ParticipantMediaCore {
  readonly leg: 'webrtc';
  createTransport(direction: TransportDirection): Promise<TransportInfo>;
  connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void>;
  restartIce(transportId: string): Promise<IceParameters>;
  produce(request: ProduceRequest): Promise<string>;
  resumeConsumer(consumerId: string): Promise<void>;
  pauseConsumer(consumerId: string): Promise<void>;
  setPreferredLayers(consumerId: string, layers: ConsumerLayers): Promise<void>;
}

/** The name the meeting core and signalling have used for the browser leg. */
export type ParticipantMediaApi = WebRtcLegApi;

/**
 * A non-browser participant's media: one PlainTransport per m-line (`RtpStreamRole`), producers
 * from RTP parameters, and consumers the room chooses for it (its own audio mix; in video mode one
 * switched camera stream and the presentation) delivered to the remote RTP address, unpaused.
 */
export interface RtpLegApi extends ParticipantMediaCore {
  readonly leg: 'rtp';
  createRtpTransport(options: RtpTransportOptions): Promise<RtpTransportInfo>;
  /** The remote address (and SRTP key) from the remote SDP; with comedia only the key is needed. */
  connectRtpTransport(transportId: string, remote: RtpRemote): Promise<void>;
  produce(request: RtpProduceRequest): Promise<string>;
  rtpConsumerInfos(): RtpConsumerInfo[];
  transportStats(): Promise<RtpTransportStats[]>;
  /** The remote asks for a picture refresh (RTCP PLI/FIR arrive on their own; this is for SIP INFO). */
  requestKeyFrame(consumerId: string): Promise<void>;
}

export interface AudioTapApi {
  readonly id: string;
  readonly events: Emitter<AudioTapEvents>;
  readonly closed: boolean;
  /** Where the tap's transport listens: the mixer sends its mixes here (and, with comedia, is learned from). */
  readonly transport: RtpTransportInfo;
  /** What a published mix may carry (the room's codecs): the mixer encodes one of these. */
  readonly rtpCapabilities: RtpCapabilities;
  /** The mixer's address (without comedia), where tapped producers' packets go. */
  connect(remote: RtpRemote): Promise<void>;
  /** Every audio producer tapped right now. */
  tapped(): TappedProducer[];
  /**
   * Publishes the mix for one RTP leg (e.g. everyone but that leg): a producer only that leg
   * receives. Its RTP must carry `rtpParameters.encodings[0].ssrc`. One per leg; closes with the leg.
   */
  publishMix(legId: string, rtpParameters: RtpParameters): Promise<string>;
  unpublishMix(legId: string): void;
  close(): void;
}

/**
 * The room's video for the SIP gateway's media engine: one PlainTransport (plain RTP, rtcp-mux, on
 * the room's first router) to the engine's RoomVideo socket. Each subscription is one mediasoup
 * consumer (one SSRC) at a chosen maximum simulcast layer; RTCP PLI/FIR the engine sends to
 * `transport` for a stream's SSRC reach the publisher as a keyframe request.
 */
export interface VideoTapApi {
  readonly id: string;
  readonly events: Emitter<VideoTapEvents>;
  readonly closed: boolean;
  /** Where the engine sends RTCP (PLI/FIR/RR) for tap streams. */
  readonly transport: RtpTransportInfo;
  /** The engine's RoomVideo address (plain RTP, rtcp-mux). Streams flow once connected. */
  connect(remote: RtpRemote): Promise<void>;
  /** Every camera / screen producer of the room right now. */
  sources(): VideoTapSource[];
  /**
   * Consumes a source at most at `maxSpatialLayer` (0 = lowest; clamped to what exists), highest
   * temporal layer. The same (producer, layer) twice, even concurrently, gives the same stream.
   */
  subscribe(producerId: string, opts: { maxSpatialLayer: number }): Promise<VideoTapStream>;
  /** Closes the stream (no streamClosed event). Unknown ids are ignored. */
  unsubscribe(streamId: string): void;
  /** Asks the publisher for a keyframe (RTCP PLI from the engine for the stream's SSRC works too). */
  requestKeyFrame(streamId: string): Promise<void>;
  close(): void;
}
