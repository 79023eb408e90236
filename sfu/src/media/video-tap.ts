import type { Logger } from 'pino';
import type { Consumer, PlainTransport, RtpCapabilities } from 'mediasoup/node/lib/types.js';
import { Emitter } from '../../../common/src/index.js';
import type { VideoTapApi } from './api.js';
import { MediaError, MediaErrorCode } from './errors.js';
import type { RoomContext, RoomProducer, RouterSlot } from './room-internals.js';
import { connectPlainTransport, describePlainTransport } from './rtp-leg.js';
import type { MediaCloseReason, RtpRemote, RtpTransportInfo, VideoTapEvents, VideoTapSource, VideoTapStream } from './types.js';

/** What the video tap needs of its room beyond the shared RoomContext. */
export interface VideoTapContext extends RoomContext {
  videoTapClosed(tap: VideoTap): void;
}

interface Source {
  entry: RoomProducer;
  source: 'camera' | 'screen';
  mimeType: string;
  spatialLayers: number;
  onPause: () => void;
  onResume: () => void;
}

interface Stream {
  consumer: Consumer;
  key: string;
  source: Source;
  maxSpatialLayer: number;
}

/**
 * The room's video tap, for the SIP gateway's video fan-out: one PlainTransport on the room's first
 * router (comedia off, rtcp-mux) towards the engine's RoomVideo socket. It lists every camera and
 * screen producer of the room (`sources()`, sourceAdded/Removed/Paused/Resumed) and consumes only
 * what the gateway subscribes to, one consumer per (producer, max spatial layer). It is no
 * participant: the room's members, last-N and layer allocation never see it.
 *
 * The tap's consumers are offered the router's codecs without RTX and without header extensions or
 * transport-wide feedback: retransmissions keep the stream's own SSRC (the engine demuxes by SSRC),
 * and no sender-side bandwidth estimate can drop a simulcast layer on a loopback hop that sends no
 * transport-cc feedback. NACK and PLI/FIR stay: the engine's RTCP for a stream's SSRC reaches the
 * consumer, and mediasoup turns PLI/FIR into a keyframe request to the publisher.
 *
 * Closure: tap.close() (or the room closing) emits streamClosed per open stream, closes the
 * transport with every consumer, then emits closed(reason).
 */
export class VideoTap implements VideoTapApi {
  readonly id: string;
  readonly events: Emitter<VideoTapEvents>;
  readonly transport: RtpTransportInfo;
  /** By producer id. */
  private readonly sourcesById = new Map<string, Source>();
  /** By consumer id (= stream id). */
  private readonly streams = new Map<string, Stream>();
  /** By `${producerId}/${layer}`: settled or in-flight subscriptions, so concurrent callers share one. */
  private readonly subscriptions = new Map<string, Promise<VideoTapStream>>();
  private readonly consumeCaps: RtpCapabilities;
  private isClosed = false;

  /** @internal Created by MediaRoom.openVideoTap. */
  constructor(
    private readonly plain: PlainTransport,
    private readonly slot: RouterSlot,
    private readonly room: VideoTapContext,
    private readonly logger: Logger,
  ) {
    this.id = plain.id;
    this.transport = describePlainTransport(plain, 'video', { comedia: false, rtcpMux: true }, room.config.rtpAnnouncedAddress);
    this.events = new Emitter<VideoTapEvents>((event, err) => this.logger.error({ err, event }, 'video tap listener failed'));
    this.consumeCaps = tapCapabilities(slot.router.rtpCapabilities);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  async connect(remote: RtpRemote): Promise<void> {
    this.assertOpen();
    await connectPlainTransport(this.plain, false, remote);
  }

  sources(): VideoTapSource[] {
    return [...this.sourcesById.values()].map(describeSource);
  }

  subscribe(producerId: string, opts: { maxSpatialLayer: number }): Promise<VideoTapStream> {
    try {
      this.assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    const source = this.sourcesById.get(producerId);
    if (!source) return Promise.reject(new MediaError(MediaErrorCode.UnknownProducer, `no camera or screen producer ${producerId} in this room`));
    const wanted = Number.isSafeInteger(opts.maxSpatialLayer) ? opts.maxSpatialLayer : 0;
    const layer = Math.max(0, Math.min(source.spatialLayers - 1, wanted));
    const key = `${producerId}/${layer}`;
    let pending = this.subscriptions.get(key);
    if (!pending) {
      pending = this.consume(source, layer, key);
      this.subscriptions.set(key, pending);
      // A failed subscription may be retried.
      pending.catch(() => {
        if (this.subscriptions.get(key) === pending) this.subscriptions.delete(key);
      });
    }
    return pending;
  }

  private async consume(source: Source, layer: number, key: string): Promise<VideoTapStream> {
    const { entry } = source;
    try {
      await this.room.ensureOn(entry, this.slot);
    } catch (err) {
      throw new MediaError(MediaErrorCode.UnknownProducer, `producer ${entry.id} is not available to the tap: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.assertOpen();
    if (entry.producer.closed || !this.sourcesById.has(entry.id)) throw new MediaError(MediaErrorCode.UnknownProducer, `producer ${entry.id} closed`);
    let consumer: Consumer;
    try {
      consumer = await this.plain.consume({
        producerId: entry.id,
        rtpCapabilities: this.consumeCaps,
        preferredLayers: { spatialLayer: layer },
        appData: { videoTap: true },
      });
    } catch (err) {
      throw new MediaError(MediaErrorCode.UnknownProducer, `the tap cannot consume ${entry.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.isClosed || !this.sourcesById.has(entry.id) || consumer.closed) {
      consumer.close();
      throw new MediaError(this.isClosed ? MediaErrorCode.RoomClosed : MediaErrorCode.UnknownProducer, 'the tap or the producer closed while subscribing');
    }
    const stream: Stream = { consumer, key, source, maxSpatialLayer: layer };
    this.streams.set(consumer.id, stream);
    consumer.on('producerclose', () => this.dropStream(stream, true));
    consumer.on('transportclose', () => this.dropStream(stream, false));
    return describeStream(stream);
  }

  unsubscribe(streamId: string): void {
    const stream = this.streams.get(streamId);
    if (stream) this.dropStream(stream, false);
  }

  async requestKeyFrame(streamId: string): Promise<void> {
    this.assertOpen();
    const stream = this.streams.get(streamId);
    if (!stream) throw new MediaError(MediaErrorCode.UnknownConsumer, `no tap stream ${streamId}`);
    await stream.consumer.requestKeyFrame();
  }

  private dropStream(stream: Stream, announce: boolean): void {
    const id = stream.consumer.id;
    if (this.streams.get(id) !== stream) return;
    this.streams.delete(id);
    this.subscriptions.delete(stream.key);
    if (!stream.consumer.closed) stream.consumer.close();
    if (announce && !this.isClosed) this.events.emit('streamClosed', id);
  }

  // ── sources (called by the room) ─────────────────────────────────────────────────────────

  /** @internal A producer appeared in the room: offer it if it is a camera or a screen. */
  producerAdded(entry: RoomProducer): void {
    if (this.isClosed || entry.kind !== 'video' || (entry.source !== 'camera' && entry.source !== 'screen')) return;
    if (this.sourcesById.has(entry.id) || entry.producer.closed) return;
    const codec = entry.producer.rtpParameters.codecs.find((c) => !c.mimeType.toLowerCase().endsWith('/rtx'));
    const source: Source = {
      entry,
      source: entry.source,
      mimeType: codec?.mimeType ?? 'video/unknown',
      spatialLayers: spatialLayersOf(entry),
      onPause: () => this.emitIfOpen('sourcePaused', entry.id),
      onResume: () => this.emitIfOpen('sourceResumed', entry.id),
    };
    this.sourcesById.set(entry.id, source);
    entry.producer.observer.on('pause', source.onPause);
    entry.producer.observer.on('resume', source.onResume);
    this.events.emit('sourceAdded', describeSource(source));
  }

  /** @internal A producer left the room (closed, or its participant left): its streams close too. */
  producerRemoved(entry: RoomProducer): void {
    const source = this.sourcesById.get(entry.id);
    if (!source) return;
    this.forgetSource(source);
    for (const s of [...this.streams.values()]) if (s.source === source) this.dropStream(s, true);
    if (!this.isClosed) this.events.emit('sourceRemoved', entry.id);
  }

  private forgetSource(source: Source): void {
    this.sourcesById.delete(source.entry.id);
    source.entry.producer.observer.off('pause', source.onPause);
    source.entry.producer.observer.off('resume', source.onResume);
  }

  private emitIfOpen(event: 'sourcePaused' | 'sourceResumed', producerId: string): void {
    if (!this.isClosed && this.sourcesById.has(producerId)) this.events.emit(event, producerId);
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  close(): void {
    this.closeWith('closed');
  }

  /** @internal reason 'room_closed' / 'worker_died' when the room cascades. */
  closeWith(reason: MediaCloseReason): void {
    if (this.isClosed) return;
    const open = [...this.streams.keys()];
    for (const id of open) this.events.emit('streamClosed', id);
    this.isClosed = true;
    this.streams.clear();
    this.subscriptions.clear();
    for (const s of [...this.sourcesById.values()]) this.forgetSource(s);
    if (reason === 'closed') this.room.videoTapClosed(this);
    this.plain.close();
    this.events.emit('closed', reason);
  }

  private assertOpen(): void {
    if (this.isClosed) throw new MediaError(MediaErrorCode.RoomClosed, 'the video tap is closed');
  }
}

/** The router's video codecs without RTX, with NACK / PLI / FIR feedback only, and no header extensions. */
function tapCapabilities(router: RtpCapabilities): RtpCapabilities {
  const keep = new Set(['nack', 'ccm']);
  return {
    codecs: (router.codecs ?? [])
      .filter((c) => c.kind === 'video' && !c.mimeType.toLowerCase().endsWith('/rtx'))
      .map((c) => ({ ...c, rtcpFeedback: (c.rtcpFeedback ?? []).filter((fb) => keep.has(fb.type)) })),
    headerExtensions: [],
  };
}

/** Simulcast: one spatial layer per encoding; SVC / single stream: from the scalability mode (L3T3 → 3), else 1. */
function spatialLayersOf(entry: RoomProducer): number {
  const encodings = entry.producer.rtpParameters.encodings ?? [];
  if (encodings.length > 1) return encodings.length;
  const mode = encodings[0]?.scalabilityMode;
  const m = mode ? /^[LS](\d+)T\d+/.exec(mode) : null;
  return m ? Math.max(1, Number(m[1])) : 1;
}

function describeSource(s: Source): VideoTapSource {
  return {
    producerId: s.entry.id,
    participantId: s.entry.participantId,
    source: s.source,
    mimeType: s.mimeType,
    spatialLayers: s.spatialLayers,
    paused: s.entry.producer.paused,
  };
}

function describeStream(s: Stream): VideoTapStream {
  const { rtpParameters } = s.consumer;
  const codec = rtpParameters.codecs[0]!;
  return {
    streamId: s.consumer.id,
    producerId: s.source.entry.id,
    participantId: s.source.entry.participantId,
    source: s.source.source,
    ssrc: rtpParameters.encodings?.[0]?.ssrc ?? 0,
    payloadType: codec.payloadType,
    mimeType: codec.mimeType,
    clockRate: codec.clockRate,
    parameters: { ...(codec.parameters ?? {}) },
    maxSpatialLayer: s.maxSpatialLayer,
  };
}
