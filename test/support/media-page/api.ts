/**
 * The contract between test/support/browser.ts (Node) and page.mts (in the browser). DOM-free, so
 * both sides' type checks can read it. RTP shapes are mediasoup's (the same JSON on both sides).
 */
import type { DtlsParameters, IceCandidate, IceParameters, MediaKind, RtpCapabilities, RtpParameters } from 'mediasoup/node/lib/types.js';

export type Source = 'mic' | 'camera' | 'screen' | 'screen-audio';

export interface TransportOptions {
  id: string;
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

export interface ConsumeOptions {
  id: string;
  producerId: string;
  participantId: string;
  kind: MediaKind;
  source: Source;
  rtpParameters: RtpParameters;
}

/** Requests the page makes of the server; the Node side answers them. */
export type SignalRequest =
  | { method: 'connectTransport'; data: { transportId: string; dtlsParameters: DtlsParameters } }
  | { method: 'produce'; data: { transportId: string; kind: MediaKind; rtpParameters: RtpParameters; source: Source } }
  | { method: 'resumeConsumer'; data: { consumerId: string } };

export interface InboundStats {
  consumerId: string;
  participantId: string;
  source: Source;
  kind: MediaKind;
  bytesReceived: number;
  packetsReceived: number;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
  /** e.g. 'video/H264' (from the inbound-rtp's codec). */
  mimeType: string;
}

/** One outbound-rtp of a video producer (one simulcast layer), cumulative figures. */
export interface OutboundVideoLayer {
  rid: string;
  mimeType: string;
  bytesSent: number;
  framesEncoded: number;
  frameWidth: number;
  frameHeight: number;
  /** Seconds spent encoding, summed over frames. */
  totalEncodeTime: number;
  encoderImplementation: string;
  scalabilityMode: string;
  qualityLimitationReason: string;
  active: boolean;
}

export interface ProduceOptions {
  source: Source;
  /** Three-layer VP8 simulcast for camera video (the client's choice; the SFU forwards it). */
  simulcast?: boolean;
  /** e.g. 'video/H264' to force a codec; default: the first the router offers (VP8). */
  codecMimeType?: string;
  /** Simulcast encodings to use instead of the built-in three (implies simulcast). */
  encodings?: { rid: string; maxBitrate: number; scaleResolutionDownBy: number; scalabilityMode: string }[];
  /** Camera capture size (default 1280x720 at 15 fps). */
  capture?: { width: number; height: number; frameRate: number };
}

/** What the page exposes as `window.mediaPage`. */
export interface MediaPageApi {
  load(routerRtpCapabilities: RtpCapabilities): Promise<RtpCapabilities>;
  createSendTransport(options: TransportOptions): void;
  createRecvTransport(options: TransportOptions): void;
  produce(options: ProduceOptions): Promise<string>;
  consume(info: ConsumeOptions): Promise<void>;
  closeConsumer(consumerId: string): void;
  consumerIds(): string[];
  inboundStats(): Promise<InboundStats[]>;
  outboundLayers(source: Source): Promise<{ rid: string; bytesSent: number }[]>;
  outboundVideo(source: Source): Promise<OutboundVideoLayer[]>;
  pauseProducer(source: Source): void;
  readonly transportStates: Record<string, string>;
  readonly errors: string[];
}

export type PageGlobal = {
  mediaPage: MediaPageApi;
  __convene_signal(method: SignalRequest['method'], data: unknown): Promise<unknown>;
};
