import type { Logger } from 'pino';
import type { Consumer, Producer, Transport } from 'mediasoup/node/lib/types.js';
import { Emitter } from '../../../common/src/index.js';
import type { ParticipantMediaCore } from './api.js';
import { mayProduce } from './consumption-policy.js';
import { MediaError, MediaErrorCode } from './errors.js';
import { layerBitrates } from './layer-allocation.js';
import type { RoomContext, RoomProducer, RouterSlot } from './room-internals.js';
import {
  SOURCE_KIND,
  type ConsumerInfo,
  type ConsumerLayers,
  type JoinMode,
  type LegKind,
  type MediaCloseReason,
  type MediaKind,
  type MediaSource,
  type ParticipantMediaEvents,
  type ProducerInfo,
  type RtpCapabilities,
  type RtpParameters,
} from './types.js';

export interface ConsumerEntry {
  consumer: Consumer;
  entry: RoomProducer;
  transportId: string;
  /** What the client asked for (setPreferredLayers); the bandwidth choice never exceeds it. */
  clientLayers: ConsumerLayers | undefined;
  /** What we last told mediasoup, to skip redundant requests. */
  appliedLayers: string | undefined;
}

export interface LegOptions {
  maxIncomingBitrateBps: number;
  maxOutgoingBitrateBps: number;
  rtpCapabilities: RtpCapabilities;
}

/** Bounds one sync pass's re-runs; each re-run is caused by a room change during the pass. */
const MAX_SYNC_ROUNDS = 1000;

/** The best score of a producer's encodings (0 until packets arrive). */
export function producerScore(producer: Producer): number {
  return producer.score.reduce((best, s) => Math.max(best, s.score), 0);
}

/**
 * The core port, shared by every leg: the participant's producers (mute, close, score), the
 * consumers the room's policy gives it (kept in step by `scheduleSync`), and the closure order.
 * A leg subclass owns its transports and says how a consumer is built on them.
 */
export abstract class MediaLeg implements ParticipantMediaCore {
  abstract readonly leg: LegKind;
  readonly events: Emitter<ParticipantMediaEvents>;
  protected readonly ownProducers = new Map<string, RoomProducer>();
  private readonly sourcesInUse = new Set<string>();
  /** By producer id. */
  protected readonly consumers = new Map<string, ConsumerEntry>();
  protected readonly consumersById = new Map<string, ConsumerEntry>();
  /** Producers this participant cannot decode (no common codec); not retried. */
  private readonly unconsumable = new Set<string>();
  protected rtpCaps: RtpCapabilities;
  protected maxIncomingBitrateBps: number;
  protected maxOutgoingBitrateBps: number;
  private syncing = false;
  private syncRequested = false;
  protected isClosed = false;

  constructor(
    readonly id: string,
    readonly mode: JoinMode,
    options: LegOptions,
    /** @internal */ readonly slot: RouterSlot,
    protected readonly room: RoomContext,
    protected readonly logger: Logger,
  ) {
    this.rtpCaps = options.rtpCapabilities;
    this.maxIncomingBitrateBps = options.maxIncomingBitrateBps;
    this.maxOutgoingBitrateBps = options.maxOutgoingBitrateBps;
    this.events = new Emitter<ParticipantMediaEvents>((event, err) => this.logger.error({ err, event }, 'participant media listener failed'));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The worker this participant's media runs on (for metrics and logs). */
  get workerIndex(): number {
    return this.slot.workerIndex;
  }

  get consumerCount(): number {
    return this.consumers.size;
  }

  /** @internal */
  get rtpCapabilities(): RtpCapabilities {
    return this.rtpCaps;
  }

  producers(): ProducerInfo[] {
    return [...this.ownProducers.values()].map((e) => ({
      id: e.id,
      participantId: this.id,
      kind: e.kind,
      source: e.source,
      paused: e.producer.paused,
      score: producerScore(e.producer),
    }));
  }

  consumerInfos(): ConsumerInfo[] {
    return [...this.consumers.values()].map((c) => this.describe(c));
  }

  // ── bandwidth ─────────────────────────────────────────────────────────────────────────────

  async setBandwidth(maxIncomingBitrateBps: number, maxOutgoingBitrateBps: number): Promise<void> {
    this.assertOpen();
    this.maxIncomingBitrateBps = maxIncomingBitrateBps;
    this.maxOutgoingBitrateBps = maxOutgoingBitrateBps;
    await this.applyBandwidth();
  }

  protected abstract applyBandwidth(): Promise<void>;

  // ── producers ─────────────────────────────────────────────────────────────────────────────

  /** Checks and creates a producer on one of this leg's transports, then tells the room. */
  protected async addProducer(transport: Transport, kind: MediaKind, source: MediaSource, rtpParameters: RtpParameters): Promise<string> {
    if (SOURCE_KIND[source] !== kind) throw new MediaError(MediaErrorCode.KindMismatch, `source ${source} carries ${SOURCE_KIND[source]}, not ${kind}`);
    if (!mayProduce(this.mode, source)) throw new MediaError(MediaErrorCode.SourceNotAllowed, `a participant in ${this.mode} mode cannot send ${source}`);
    if (this.sourcesInUse.has(source)) throw new MediaError(MediaErrorCode.SourceBusy, `already sending ${source}`);
    this.sourcesInUse.add(source);
    let producer: Producer;
    try {
      producer = await transport.produce({ kind, rtpParameters, appData: { participantId: this.id, source } });
    } catch (err) {
      this.sourcesInUse.delete(source);
      throw this.asInvalid(err, `cannot produce ${source}`);
    }
    if (this.isClosed) {
      producer.close();
      throw new MediaError(MediaErrorCode.ParticipantClosed, 'participant left while producing');
    }
    const entry: RoomProducer = {
      id: producer.id,
      participantId: this.id,
      kind,
      source,
      producer,
      slot: this.slot,
      pipes: new Map(),
      layerBitratesBps: kind === 'video' ? layerBitrates(producer.rtpParameters.encodings ?? [], source === 'screen' ? 'screen' : 'camera') : [],
    };
    this.ownProducers.set(producer.id, entry);
    let lastScore = 0;
    producer.on('score', () => {
      const score = producerScore(producer);
      if (score === lastScore || this.isClosed || !this.ownProducers.has(producer.id)) return;
      lastScore = score;
      this.events.emit('producerScore', producer.id, score);
    });
    this.room.producerAdded(entry);
    return producer.id;
  }

  /** Stops a producer. byServer = a host (or the meeting core) did it, not the participant. */
  closeProducer(producerId: string, byServer = false): void {
    const entry = this.ownProducer(producerId);
    this.ownProducers.delete(producerId);
    this.sourcesInUse.delete(entry.source);
    entry.producer.close();
    this.room.producerRemoved(entry);
    this.events.emit('producerClosed', producerId, byServer);
  }

  /** Mutes a producer (no-op when already paused). byServer = a host muted this participant. */
  async pauseProducer(producerId: string, byServer = false): Promise<void> {
    const { producer } = this.ownProducer(producerId);
    if (producer.paused) return;
    await producer.pause();
    this.events.emit('producerPaused', producerId, byServer);
  }

  async resumeProducer(producerId: string, byServer = false): Promise<void> {
    const { producer } = this.ownProducer(producerId);
    if (!producer.paused) return;
    await producer.resume();
    this.events.emit('producerResumed', producerId, byServer);
  }

  /** @internal The room's audio-level observer heard this participant's mic. */
  reportAudioLevel(producerId: string, dBov: number): void {
    if (!this.isClosed && this.ownProducers.has(producerId)) this.events.emit('audioLevel', producerId, dBov);
  }

  // ── consumers ─────────────────────────────────────────────────────────────────────────────

  /** @internal The room changed (producers, last-N, speaker): bring consumers in line, soon. */
  scheduleSync(): void {
    if (this.isClosed) return;
    this.syncRequested = true;
    if (this.syncing) return;
    this.syncing = true;
    this.runSync()
      .catch((err: unknown) => this.logger.error({ err }, 'consumer sync failed'))
      .finally(() => {
        this.syncing = false;
      });
  }

  /** @internal Resolves when no consumer sync is running (tests and orderly shutdown). */
  async settled(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while ((this.syncing || this.syncRequested) && !this.isClosed && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Whether consumers can be built now (e.g. the browser's recv transport exists). */
  protected abstract readyToConsume(): boolean;
  /** The transport a consumer of `entry` goes on, or undefined to skip it for now. */
  protected abstract consumerTransport(entry: RoomProducer): Transport | undefined;
  /** WebRTC consumers start paused (the browser resumes them); RTP ones flow at once. */
  protected abstract readonly consumersStartPaused: boolean;
  /**
   * Whether this leg's audio consumers drop Opus DTX packets (the TOC-only frames a silent WebRTC
   * sender emits every 400 ms): the worker filters them per packet and keeps the sequence numbers
   * contiguous, so a silent participant costs its listeners nothing and the receiver's jitter
   * buffer treats the pause like DTX. Levels still reach the room's observer from the producer.
   */
  protected abstract readonly dropsSilenceFrames: boolean;
  /** After each sync round (the WebRTC leg re-chooses simulcast layers). */
  protected async afterSync(): Promise<void> {}

  private async runSync(): Promise<void> {
    for (let round = 0; this.syncRequested && !this.isClosed; round++) {
      if (round >= MAX_SYNC_ROUNDS) {
        this.logger.warn({ rounds: round }, 'consumer sync kept being re-triggered; deferring');
        setImmediate(() => this.scheduleSync());
        return;
      }
      this.syncRequested = false;
      if (!this.readyToConsume()) return;
      const wanted = this.room.wantedFor(this);
      const wantedIds = new Set(wanted.map((e) => e.id));
      for (const c of [...this.consumers.values()]) {
        if (!wantedIds.has(c.entry.id)) this.dropConsumer(c, true);
      }
      for (const entry of wanted) {
        if (this.isClosed || this.syncRequested) break; // the room changed: start over with fresh wishes
        if (this.consumers.has(entry.id) || this.unconsumable.has(entry.id)) continue;
        const transport = this.consumerTransport(entry);
        if (transport) await this.consume(transport, entry);
      }
      await this.afterSync();
    }
  }

  private async consume(transport: Transport, entry: RoomProducer): Promise<void> {
    try {
      await this.room.ensureOn(entry, this.slot);
    } catch (err) {
      this.logger.debug({ err, producerId: entry.id }, 'producer not available on this router');
      return;
    }
    if (this.isClosed || entry.producer.closed || transport.closed) return;
    if (!this.slot.router.canConsume({ producerId: entry.id, rtpCapabilities: this.rtpCaps })) {
      this.unconsumable.add(entry.id);
      this.logger.info({ producerId: entry.id, source: entry.source }, 'participant cannot decode this producer; not consuming it');
      return;
    }
    let consumer: Consumer;
    try {
      consumer = await transport.consume({
        producerId: entry.id,
        rtpCapabilities: this.rtpCaps,
        paused: this.consumersStartPaused,
        ignoreDtx: entry.kind === 'audio' && this.dropsSilenceFrames,
        appData: { participantId: this.id, producerParticipantId: entry.participantId, source: entry.source },
      });
    } catch (err) {
      // The producer closed in the meantime, typically.
      this.logger.debug({ err, producerId: entry.id }, 'consume failed');
      return;
    }
    if (this.isClosed) {
      consumer.close();
      return;
    }
    const c: ConsumerEntry = { consumer, entry, transportId: transport.id, clientLayers: undefined, appliedLayers: undefined };
    this.consumers.set(entry.id, c);
    this.consumersById.set(consumer.id, c);
    consumer.on('producerclose', () => this.dropConsumer(c, false));
    consumer.on('transportclose', () => this.forgetConsumer(c));
    consumer.on('producerpause', () => this.emitUnlessClosed('consumerPaused', consumer.id));
    consumer.on('producerresume', () => this.emitUnlessClosed('consumerResumed', consumer.id));
    consumer.on('layerschange', (layers) => {
      if (!this.isClosed) this.events.emit('consumerLayersChanged', consumer.id, layers ? { ...layers } : null);
    });
    this.events.emit('consumerAdded', this.describe(c));
  }

  private emitUnlessClosed(event: 'consumerPaused' | 'consumerResumed', consumerId: string): void {
    if (!this.isClosed && this.consumersById.has(consumerId)) this.events.emit(event, consumerId);
  }

  /** Closes a consumer (policy dropped it, or its producer went) and tells the client. Idempotent. */
  protected dropConsumer(c: ConsumerEntry, closeIt: boolean): void {
    if (!this.forgetConsumer(c)) return;
    if (closeIt) c.consumer.close();
    if (!this.isClosed) {
      this.events.emit('consumerClosed', c.consumer.id);
      this.scheduleSync(); // freed bandwidth: re-choose layers
    }
  }

  private forgetConsumer(c: ConsumerEntry): boolean {
    if (this.consumersById.get(c.consumer.id) !== c) return false;
    this.consumersById.delete(c.consumer.id);
    this.consumers.delete(c.entry.id);
    return true;
  }

  protected describe(c: ConsumerEntry): ConsumerInfo {
    return {
      id: c.consumer.id,
      producerId: c.entry.id,
      participantId: c.entry.participantId,
      kind: c.consumer.kind,
      source: c.entry.source,
      rtpParameters: c.consumer.rtpParameters,
      type: c.consumer.type,
      producerPaused: c.consumer.producerPaused,
    };
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  /**
   * Leaves the room. Closure order:
   * 1. marked closed: from here on this object emits nothing but `closed`;
   * 2. the room forgets its producers (last-N and active speaker move on; others re-sync; the audio
   *    tap is told) and any mix published for it;
   * 3. its transports close, which closes its producers and consumers inside mediasoup — the
   *    other participants' consumers of those producers close and they get `consumerClosed`;
   * 4. `closed` is emitted.
   * Safe to call twice.
   */
  close(): void {
    this.closeWith('closed');
  }

  /** @internal reason 'room_closed' / 'worker_died' when the room cascades. */
  closeWith(reason: MediaCloseReason): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const producers = [...this.ownProducers.values()];
    this.ownProducers.clear();
    this.consumers.clear();
    this.consumersById.clear();
    if (reason === 'closed') {
      for (const p of producers) this.room.producerRemoved(p);
      this.room.participantClosed(this);
    }
    for (const transport of this.allTransports()) transport.close();
    this.forgetTransports();
    this.events.emit('closed', reason);
  }

  protected abstract allTransports(): Transport[];
  protected abstract forgetTransports(): void;

  /** @internal For stats: bitrates of this participant's transports. */
  async transportBitrates(): Promise<{ inBps: number; outBps: number }> {
    let inBps = 0;
    let outBps = 0;
    for (const transport of this.allTransports()) {
      if (transport.closed) continue;
      try {
        for (const s of await transport.getStats()) {
          inBps += s.recvBitrate;
          outBps += s.sendBitrate;
        }
      } catch {
        // closed while asking: counts as zero
      }
    }
    return { inBps, outBps };
  }

  /** @internal Counts for stats. */
  counts(): { producers: { audio: number; video: number }; consumers: { audio: number; video: number } } {
    const producers = { audio: 0, video: 0 };
    const consumers = { audio: 0, video: 0 };
    for (const p of this.ownProducers.values()) producers[p.kind]++;
    for (const c of this.consumers.values()) consumers[c.entry.kind]++;
    return { producers, consumers };
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────

  protected assertOpen(): void {
    if (this.isClosed) throw new MediaError(MediaErrorCode.ParticipantClosed, `participant ${this.id} has left the media room`);
  }

  protected ownProducer(id: string): RoomProducer {
    this.assertOpen();
    const p = this.ownProducers.get(id);
    if (!p) throw new MediaError(MediaErrorCode.UnknownProducer, `no producer ${id}`);
    return p;
  }

  protected consumerEntry(id: string): ConsumerEntry {
    this.assertOpen();
    const c = this.consumersById.get(id);
    if (!c) throw new MediaError(MediaErrorCode.UnknownConsumer, `no consumer ${id}`);
    return c;
  }

  protected asInvalid(err: unknown, what: string): MediaError {
    if (err instanceof MediaError) return err;
    return new MediaError(MediaErrorCode.InvalidParameters, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
