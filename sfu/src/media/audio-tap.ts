import type { Logger } from 'pino';
import type { Consumer, PlainTransport, Producer } from 'mediasoup/node/lib/types.js';
import { Emitter } from '../../../common/src/index.js';
import type { AudioTapApi } from './api.js';
import { MediaError, MediaErrorCode } from './errors.js';
import type { RoomContext, RoomProducer, RouterSlot } from './room-internals.js';
import { connectPlainTransport, describePlainTransport } from './rtp-leg.js';
import type { AudioTapEvents, MediaCloseReason, RtpCapabilities, RtpParameters, RtpRemote, RtpTransportInfo, TappedProducer } from './types.js';

/** What the tap needs of its room beyond the shared RoomContext. */
export interface TapContext extends RoomContext {
  /** Is `legId` an RTP leg of this room (the only kind a mix is published for)? */
  isRtpLeg(legId: string): boolean;
  tapClosed(tap: AudioTap): void;
}

interface Tap {
  consumer: Consumer;
  entry: RoomProducer;
}

/**
 * The room's audio tap, for the audio mixer: one PlainTransport on the room's first router that
 * consumes every audio producer of the room (mics and screen audio of every leg; never a mix) as
 * it appears — the mixer demultiplexes them by SSRC — and carries the mixes the mixer publishes
 * back, one producer per RTP leg, which only that leg receives (see consumption-policy.ts).
 *
 * Closure: tap.close() (or the room closing) closes the transport, so every tapped consumer and
 * every published mix with it; the legs' mix consumers close with `consumerClosed`.
 */
export class AudioTap implements AudioTapApi {
  readonly id: string;
  readonly events: Emitter<AudioTapEvents>;
  readonly transport: RtpTransportInfo;
  private readonly taps = new Map<string, Tap>();
  /** By leg id. */
  private readonly mixes = new Map<string, RoomProducer>();
  private readonly publishing = new Set<string>();
  private isClosed = false;

  /** @internal Created by MediaRoom.openAudioTap. */
  constructor(
    private readonly plain: PlainTransport,
    private readonly comedia: boolean,
    rtcpMux: boolean,
    private readonly tapRtpLegs: boolean,
    private readonly slot: RouterSlot,
    private readonly room: TapContext,
    private readonly logger: Logger,
  ) {
    this.id = plain.id;
    this.transport = describePlainTransport(plain, 'audio', { comedia, rtcpMux }, room.config.rtpAnnouncedAddress);
    this.events = new Emitter<AudioTapEvents>((event, err) => this.logger.error({ err, event }, 'audio tap listener failed'));
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get rtpCapabilities(): RtpCapabilities {
    return this.slot.router.rtpCapabilities;
  }

  /** The participant id mixes are published under (never a real participant's). */
  get participantId(): string {
    return `audio-tap:${this.id}`;
  }

  async connect(remote: RtpRemote): Promise<void> {
    this.assertOpen();
    await connectPlainTransport(this.plain, this.comedia, remote);
  }

  tapped(): TappedProducer[] {
    return [...this.taps.values()].map((t) => describeTap(t));
  }

  // ── tapping (called by the room) ──────────────────────────────────────────────────────────

  /** @internal A producer appeared in the room: tap it if it is audio and not a mix. */
  async producerAdded(entry: RoomProducer): Promise<void> {
    if (this.isClosed || entry.kind !== 'audio' || entry.mixFor !== undefined || this.taps.has(entry.id)) return;
    if (!this.tapRtpLegs && this.room.isRtpLeg(entry.participantId)) return;
    try {
      await this.room.ensureOn(entry, this.slot);
    } catch (err) {
      this.logger.debug({ err, producerId: entry.id }, 'producer not available on the tap router');
      return;
    }
    if (this.isClosed || entry.producer.closed || this.taps.has(entry.id)) return;
    let consumer: Consumer;
    try {
      consumer = await this.plain.consume({ producerId: entry.id, rtpCapabilities: this.slot.router.rtpCapabilities, appData: { tap: true } });
    } catch (err) {
      this.logger.debug({ err, producerId: entry.id }, 'tap consume failed');
      return;
    }
    if (this.isClosed || entry.producer.closed) {
      consumer.close();
      return;
    }
    const tap: Tap = { consumer, entry };
    this.taps.set(entry.id, tap);
    consumer.on('producerclose', () => this.untap(entry.id));
    consumer.on('producerpause', () => this.emitIfOpen('producerPaused', entry.id));
    consumer.on('producerresume', () => this.emitIfOpen('producerResumed', entry.id));
    this.events.emit('producerTapped', describeTap(tap));
  }

  /** @internal A producer left the room (closed, or its participant left). */
  producerRemoved(entry: RoomProducer): void {
    this.untap(entry.id);
  }

  private untap(producerId: string): void {
    const tap = this.taps.get(producerId);
    if (!tap) return;
    this.taps.delete(producerId);
    tap.consumer.close();
    if (!this.isClosed) this.events.emit('producerUntapped', producerId, tap.entry.participantId);
  }

  private emitIfOpen(event: 'producerPaused' | 'producerResumed', producerId: string): void {
    if (!this.isClosed && this.taps.has(producerId)) this.events.emit(event, producerId);
  }

  // ── mixes ─────────────────────────────────────────────────────────────────────────────────

  async publishMix(legId: string, rtpParameters: RtpParameters): Promise<string> {
    this.assertOpen();
    if (!this.room.isRtpLeg(legId)) throw new MediaError(MediaErrorCode.UnknownLeg, `no RTP leg ${legId} in this room`);
    if (this.mixes.has(legId) || this.publishing.has(legId)) throw new MediaError(MediaErrorCode.MixExists, `a mix for ${legId} is already published`);
    this.publishing.add(legId);
    let producer: Producer;
    try {
      producer = await this.plain.produce({ kind: 'audio', rtpParameters, appData: { mixFor: legId } });
    } catch (err) {
      throw new MediaError(MediaErrorCode.InvalidParameters, `cannot publish the mix: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.publishing.delete(legId);
    }
    if (this.isClosed || !this.room.isRtpLeg(legId)) {
      producer.close();
      throw new MediaError(this.isClosed ? MediaErrorCode.RoomClosed : MediaErrorCode.UnknownLeg, 'the tap or the leg closed while publishing');
    }
    const entry: RoomProducer = {
      id: producer.id,
      participantId: this.participantId,
      kind: 'audio',
      source: 'mic',
      producer,
      slot: this.slot,
      pipes: new Map(),
      layerBitratesBps: [],
      mixFor: legId,
    };
    this.mixes.set(legId, entry);
    this.room.producerAdded(entry);
    return producer.id;
  }

  /** Withdraws a leg's mix (also done by the room when the leg leaves). No-op if there is none. */
  unpublishMix(legId: string): void {
    const entry = this.mixes.get(legId);
    if (!entry) return;
    this.mixes.delete(legId);
    entry.producer.close();
    this.room.producerRemoved(entry);
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  close(): void {
    this.closeWith('closed');
  }

  /** @internal reason 'room_closed' / 'worker_died' when the room cascades. */
  closeWith(reason: MediaCloseReason): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const mixes = [...this.mixes.values()];
    this.mixes.clear();
    this.taps.clear();
    if (reason === 'closed') {
      for (const m of mixes) this.room.producerRemoved(m);
      this.room.tapClosed(this);
    }
    this.plain.close();
    this.events.emit('closed', reason);
  }

  private assertOpen(): void {
    if (this.isClosed) throw new MediaError(MediaErrorCode.RoomClosed, 'the audio tap is closed');
  }
}

function describeTap({ consumer, entry }: Tap): TappedProducer {
  return {
    producerId: entry.id,
    participantId: entry.participantId,
    source: entry.source,
    consumerId: consumer.id,
    rtpParameters: consumer.rtpParameters,
    paused: consumer.producerPaused,
  };
}
