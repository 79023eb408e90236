import type { Logger } from 'pino';
import type { Transport, WebRtcTransport } from 'mediasoup/node/lib/types.js';
import type { WebRtcLegApi } from './api.js';
import { MediaError, MediaErrorCode } from './errors.js';
import { planLayers } from './layer-allocation.js';
import { MediaLeg } from './media-leg.js';
import type { RoomContext, RouterSlot } from './room-internals.js';
import type {
  ConsumerLayers,
  DtlsParameters,
  IceParameters,
  JoinMode,
  ParticipantMediaOptions,
  ProduceRequest,
  TransportDirection,
  TransportInfo,
} from './types.js';

interface TransportEntry {
  transport: WebRtcTransport;
  direction: TransportDirection;
}

/**
 * A browser's leg: its two WebRTC transports (through its router's worker WebRtcServer), its
 * producers, and the consumers the room's policy gives it. Consumers are created server-side,
 * paused; the client resumes them after building its side. Producers, mute and closure are the
 * core port's (media-leg.ts).
 */
export class ParticipantMedia extends MediaLeg implements WebRtcLegApi {
  readonly leg = 'webrtc' as const;
  protected readonly consumersStartPaused = true;
  protected readonly dropsSilenceFrames = true;
  private readonly transports = new Map<string, TransportEntry>();

  /** @internal Created by MediaRoom.addParticipant. */
  constructor(id: string, mode: JoinMode, options: ParticipantMediaOptions, slot: RouterSlot, room: RoomContext, logger: Logger) {
    super(id, mode, options, slot, room, logger);
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
  protected async applyBandwidth(): Promise<void> {
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
    return this.addProducer(transport, kind, source, rtpParameters);
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

  protected readyToConsume(): boolean {
    return this.recvTransport() !== undefined;
  }

  protected consumerTransport(): Transport | undefined {
    return this.recvTransport();
  }

  protected override afterSync(): Promise<void> {
    return this.applyLayers();
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

  // ── helpers ───────────────────────────────────────────────────────────────────────────────

  protected allTransports(): Transport[] {
    return [...this.transports.values()].map((t) => t.transport);
  }

  protected forgetTransports(): void {
    this.transports.clear();
  }

  private recvTransport(): WebRtcTransport | undefined {
    for (const t of this.transports.values()) if (t.direction === 'recv' && !t.transport.closed) return t.transport;
    return undefined;
  }

  private transportEntry(id: string): TransportEntry {
    this.assertOpen();
    const t = this.transports.get(id);
    if (!t) throw new MediaError(MediaErrorCode.UnknownTransport, `no transport ${id}`);
    return t;
  }
}
