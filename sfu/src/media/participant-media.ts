import type { Logger } from 'pino';
import type { Consumer, WebRtcTransport } from 'mediasoup/node/lib/types.js';
import { Emitter } from '../../../common/src/index.js';
import type { ParticipantMediaApi } from './api.js';
import { mayProduce } from './consumption-policy.js';
import { MediaError, MediaErrorCode } from './errors.js';
import { layerBitrates, planLayers } from './layer-allocation.js';
import type { RoomContext, RoomProducer, RouterSlot } from './room-internals.js';
import {
  SOURCE_KIND,
  type ConsumerInfo,
  type ConsumerLayers,
  type DtlsParameters,
  type IceParameters,
  type JoinMode,
  type MediaCloseReason,
  type ParticipantMediaEvents,
  type ParticipantMediaOptions,
  type ProduceRequest,
  type ProducerInfo,
  type RtpCapabilities,
  type TransportDirection,
  type TransportInfo,
} from './types.js';

interface TransportEntry {
  transport: WebRtcTransport;
  direction: TransportDirection;
}

interface ConsumerEntry {
  consumer: Consumer;
  entry: RoomProducer;
  /** What the client asked for (setPreferredLayers); the bandwidth choice never exceeds it. */
  clientLayers: ConsumerLayers | undefined;
  /** What we last told mediasoup, to skip redundant requests. */
  appliedLayers: string | undefined;
}

/** Bounds one sync pass's re-runs; each re-run is caused by a room change during the pass. */
const MAX_SYNC_ROUNDS = 1000;

/**
 * One participant's media in a room: its two WebRTC transports (through its router's worker
 * WebRtcServer), its producers, and the consumers the room's policy gives it. Consumers are created
 * server-side, paused; the client resumes them after building its side.
 */
export class ParticipantMedia implements ParticipantMediaApi {
  readonly events: Emitter<ParticipantMediaEvents>;
  private readonly transports = new Map<string, TransportEntry>();
  private readonly ownProducers = new Map<string, RoomProducer>();
  private readonly sourcesInUse = new Set<string>();
  /** By producer id. */
  private readonly consumers = new Map<string, ConsumerEntry>();
  private readonly consumersById = new Map<string, ConsumerEntry>();
  /** Producers this client cannot decode (no common codec); not retried. */
  private readonly unconsumable = new Set<string>();
  private rtpCaps: RtpCapabilities;
  private maxIncomingBitrateBps: number;
  private maxOutgoingBitrateBps: number;
  private syncing = false;
  private syncRequested = false;
  private isClosed = false;

  /** @internal Created by MediaRoom.addParticipant. */
  constructor(
    readonly id: string,
    readonly mode: JoinMode,
    options: ParticipantMediaOptions,
    /** @internal */ readonly slot: RouterSlot,
    private readonly room: RoomContext,
    private readonly logger: Logger,
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
    }));
  }

  consumerInfos(): ConsumerInfo[] {
    return [...this.consumers.values()].map((c) => this.describe(c));
  }

  // ── transports ────────────────────────────────────────────────────────────────────────────

  async createTransport(direction: TransportDirection): Promise<TransportInfo> {
    this.assertOpen();
    for (const t of this.transports.values()) {
      if (t.direction === direction) throw new MediaError(MediaErrorCode.TransportExists, `a ${direction} transport already exists`);
    }
    const { config } = this.room;
    const transport = await this.slot.router.createWebRtcTransport({
      webRtcServer: this.slot.webRtcServer,
      enableUdp: config.enableUdp,
      enableTcp: config.enableTcp,
      preferUdp: true,
      initialAvailableOutgoingBitrate: config.initialAvailableOutgoingBitrateBps,
      appData: { participantId: this.id, direction },
    });
    if (this.isClosed) {
      transport.close();
      throw new MediaError(MediaErrorCode.ParticipantClosed, 'participant left while its transport was being created');
    }
    this.transports.set(transport.id, { transport, direction });
    transport.on('dtlsstatechange', (state) => {
      if (!this.isClosed) this.events.emit('transportStateChanged', transport.id, direction, state);
    });
    await this.applyTransportBitrate(transport, direction);
    if (direction === 'recv') this.scheduleSync();
    return {
      id: transport.id,
      direction,
      iceParameters: transport.iceParameters,
      iceCandidates: transport.iceCandidates,
      dtlsParameters: transport.dtlsParameters,
    };
  }

  async connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    const { transport } = this.transportEntry(transportId);
    try {
      await transport.connect({ dtlsParameters });
    } catch (err) {
      throw this.asInvalid(err, 'cannot connect transport');
    }
  }

  /** New ICE credentials, for a client whose network changed or that resumed its session. */
  async restartIce(transportId: string): Promise<IceParameters> {
    const { transport } = this.transportEntry(transportId);
    return transport.restartIce();
  }

  /** The participant's call bandwidth changed: re-cap both transports and re-choose layers. */
  async setBandwidth(maxIncomingBitrateBps: number, maxOutgoingBitrateBps: number): Promise<void> {
    this.assertOpen();
    this.maxIncomingBitrateBps = maxIncomingBitrateBps;
    this.maxOutgoingBitrateBps = maxOutgoingBitrateBps;
    for (const t of this.transports.values()) await this.applyTransportBitrate(t.transport, t.direction);
    await this.applyLayers();
  }

  private async applyTransportBitrate(transport: WebRtcTransport, direction: TransportDirection): Promise<void> {
    // 0 = no cap (mediasoup's own meaning for both calls).
    if (direction === 'send') await transport.setMaxIncomingBitrate(this.maxIncomingBitrateBps);
    else if (this.maxOutgoingBitrateBps > 0) await transport.setMaxOutgoingBitrate(this.maxOutgoingBitrateBps);
  }

  // ── producers ─────────────────────────────────────────────────────────────────────────────

  async produce({ transportId, kind, rtpParameters, source }: ProduceRequest): Promise<string> {
    const { transport, direction } = this.transportEntry(transportId);
    if (direction !== 'send') throw new MediaError(MediaErrorCode.WrongTransportDirection, 'produce needs the send transport');
    if (SOURCE_KIND[source] !== kind) throw new MediaError(MediaErrorCode.KindMismatch, `source ${source} carries ${SOURCE_KIND[source]}, not ${kind}`);
    if (!mayProduce(this.mode, source)) throw new MediaError(MediaErrorCode.SourceNotAllowed, `a participant in ${this.mode} mode cannot send ${source}`);
    if (this.sourcesInUse.has(source)) throw new MediaError(MediaErrorCode.SourceBusy, `already sending ${source}`);
    this.sourcesInUse.add(source);
    let producer;
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

  // ── consumers ─────────────────────────────────────────────────────────────────────────────

  async resumeConsumer(consumerId: string): Promise<void> {
    await this.consumerEntry(consumerId).consumer.resume();
  }

  /** The client hides a tile: stop forwarding without tearing the consumer down. */
  async pauseConsumer(consumerId: string): Promise<void> {
    await this.consumerEntry(consumerId).consumer.pause();
  }

  /** The client's wish (e.g. a small tile wants a low layer); the bandwidth choice may go lower. */
  async setPreferredLayers(consumerId: string, layers: ConsumerLayers): Promise<void> {
    const c = this.consumerEntry(consumerId);
    if (!Number.isInteger(layers.spatialLayer) || layers.spatialLayer < 0 || (layers.temporalLayer !== undefined && (!Number.isInteger(layers.temporalLayer) || layers.temporalLayer < 0))) {
      throw new MediaError(MediaErrorCode.InvalidParameters, 'layers must be non-negative integers');
    }
    c.clientLayers = { ...layers };
    await this.applyLayers();
  }

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

  private async runSync(): Promise<void> {
    for (let round = 0; this.syncRequested && !this.isClosed; round++) {
      if (round >= MAX_SYNC_ROUNDS) {
        this.logger.warn({ rounds: round }, 'consumer sync kept being re-triggered; deferring');
        setImmediate(() => this.scheduleSync());
        return;
      }
      this.syncRequested = false;
      const recv = this.recvTransport();
      if (!recv) return;
      const wanted = this.room.wantedFor(this);
      const wantedIds = new Set(wanted.map((e) => e.id));
      for (const c of [...this.consumers.values()]) {
        if (!wantedIds.has(c.entry.id)) this.dropConsumer(c, true);
      }
      for (const entry of wanted) {
        if (this.isClosed || this.syncRequested) break; // the room changed: start over with fresh wishes
        if (!this.consumers.has(entry.id) && !this.unconsumable.has(entry.id)) await this.consume(recv, entry);
      }
      await this.applyLayers();
    }
  }

  private async consume(recv: WebRtcTransport, entry: RoomProducer): Promise<void> {
    try {
      await this.room.ensureOn(entry, this.slot);
    } catch (err) {
      this.logger.debug({ err, producerId: entry.id }, 'producer not available on this router');
      return;
    }
    if (this.isClosed || entry.producer.closed) return;
    if (!this.slot.router.canConsume({ producerId: entry.id, rtpCapabilities: this.rtpCaps })) {
      this.unconsumable.add(entry.id);
      this.logger.info({ producerId: entry.id, source: entry.source }, 'client cannot decode this producer; not consuming it');
      return;
    }
    let consumer: Consumer;
    try {
      consumer = await recv.consume({
        producerId: entry.id,
        rtpCapabilities: this.rtpCaps,
        paused: true,
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
    const c: ConsumerEntry = { consumer, entry, clientLayers: undefined, appliedLayers: undefined };
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
  private dropConsumer(c: ConsumerEntry, closeIt: boolean): void {
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

  private describe(c: ConsumerEntry): ConsumerInfo {
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

  /**
   * Chooses a spatial layer for every layered video consumer so the whole fits the participant's
   * downstream bandwidth (see layer-allocation.ts), capped by the client's own preference.
   */
  private async applyLayers(): Promise<void> {
    const live = [...this.consumers.values()].filter((c) => !c.consumer.closed);
    if (!live.some((c) => c.entry.kind === 'video')) return;
    const plan = planLayers(
      this.maxOutgoingBitrateBps,
      this.room.config.audioBitrateBps,
      live.map((c) => ({
        consumerId: c.consumer.id,
        participantId: c.entry.participantId,
        kind: c.entry.kind,
        source: c.entry.source,
        layerBitratesBps: c.entry.layerBitratesBps,
        layered: c.consumer.type === 'simulcast' || c.consumer.type === 'svc',
        clientLayers: c.clientLayers,
      })),
      this.room.videoPriority(this),
    );
    for (const c of live) {
      const target = plan.get(c.consumer.id);
      if (!target) continue;
      const key = JSON.stringify(target);
      if (c.appliedLayers === key) continue;
      try {
        await c.consumer.setPreferredLayers(target);
        c.appliedLayers = key;
      } catch (err) {
        if (!c.consumer.closed) this.logger.warn({ err, consumerId: c.consumer.id }, 'cannot set preferred layers');
      }
    }
  }


  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  /**
   * Leaves the room. Closure order:
   * 1. marked closed: from here on this object emits nothing but `closed`;
   * 2. the room forgets its producers (last-N and active speaker move on; others re-sync);
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
    for (const { transport } of this.transports.values()) transport.close();
    this.transports.clear();
    this.events.emit('closed', reason);
  }

  /** @internal For stats: bitrates of this participant's transports. */
  async transportBitrates(): Promise<{ inBps: number; outBps: number }> {
    let inBps = 0;
    let outBps = 0;
    for (const { transport } of this.transports.values()) {
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

  private recvTransport(): WebRtcTransport | undefined {
    for (const t of this.transports.values()) if (t.direction === 'recv' && !t.transport.closed) return t.transport;
    return undefined;
  }

  private assertOpen(): void {
    if (this.isClosed) throw new MediaError(MediaErrorCode.ParticipantClosed, `participant ${this.id} has left the media room`);
  }

  private transportEntry(id: string): TransportEntry {
    this.assertOpen();
    const t = this.transports.get(id);
    if (!t) throw new MediaError(MediaErrorCode.UnknownTransport, `no transport ${id}`);
    return t;
  }

  private ownProducer(id: string): RoomProducer {
    this.assertOpen();
    const p = this.ownProducers.get(id);
    if (!p) throw new MediaError(MediaErrorCode.UnknownProducer, `no producer ${id}`);
    return p;
  }

  private consumerEntry(id: string): ConsumerEntry {
    this.assertOpen();
    const c = this.consumersById.get(id);
    if (!c) throw new MediaError(MediaErrorCode.UnknownConsumer, `no consumer ${id}`);
    return c;
  }

  private asInvalid(err: unknown, what: string): MediaError {
    if (err instanceof MediaError) return err;
    return new MediaError(MediaErrorCode.InvalidParameters, `${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
