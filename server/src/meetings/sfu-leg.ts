import type { Logger } from 'pino';
import { Emitter } from '../../../common/src/index.js';
import type { ParticipantMediaCore, RtpLegApi, RtpProduceRequest } from '../../../sfu/src/index.js';
import { MeetingError } from './errors.js';
import type { CoreMediaEvents, CoreMediaPort, CoreProducer } from './media.js';

/**
 * Any SFU leg (sfu/src/media/api.ts `ParticipantMediaCore`: WebRTC or RTP) seen as the meeting
 * core's media port. The SFU reports pause/resume/close of producers; a new producer is announced
 * by whoever created it (`producerCreated`), so the roster hears of it whatever the leg.
 * The entry point that built the leg keeps its transport calls on `sfu`.
 */
export class SfuLegPort<L extends ParticipantMediaCore = ParticipantMediaCore> implements CoreMediaPort {
  readonly events: Emitter<CoreMediaEvents>;

  constructor(
    readonly sfu: L,
    logger: Logger,
  ) {
    this.events = new Emitter((event, err) => logger.error({ err, event, participant: sfu.id }, 'media leg listener failed'));
    sfu.events.on('producerPaused', (id, byServer) => this.events.emit('producerPaused', id, byServer));
    sfu.events.on('producerResumed', (id, byServer) => this.events.emit('producerResumed', id, byServer));
    sfu.events.on('producerClosed', (id, byServer) => this.events.emit('producerClosed', id, byServer));
    sfu.events.on('closed', (reason) => this.events.emit('closed', reason));
  }

  get participantId(): string {
    return this.sfu.id;
  }

  get closed(): boolean {
    return this.sfu.closed;
  }

  producers(): CoreProducer[] {
    return this.sfu.producers();
  }

  pauseProducer(producerId: string, byServer?: boolean): Promise<void> {
    return this.sfu.pauseProducer(producerId, byServer);
  }

  resumeProducer(producerId: string, byServer?: boolean): Promise<void> {
    return this.sfu.resumeProducer(producerId, byServer);
  }

  closeProducer(producerId: string, byServer?: boolean): void {
    this.sfu.closeProducer(producerId, byServer);
  }

  /** Tells the core about a producer just created on the leg. */
  protected producerCreated(producerId: string): void {
    const info = this.sfu.producers().find((p) => p.id === producerId);
    if (info) this.events.emit('producerAdded', info);
  }

  close(): void {
    this.sfu.close();
  }
}

/** Who holds the presentation floor (a ParticipantHandle fits). */
export interface PresentationFloor {
  isPresenter(): Promise<boolean>;
}

/**
 * A SIP / phone / interop participant's RTP leg as the core's port; the gateway drives `sfu` for
 * transports. With a `floor`, screen media follows the browsers' rule: only the presenter sends it
 * (`not_presenter` otherwise); the core also closes a screen that lost the floor while being created.
 */
export class RtpLegPort extends SfuLegPort<RtpLegApi> {
  constructor(
    sfu: RtpLegApi,
    logger: Logger,
    private readonly floor?: PresentationFloor,
  ) {
    super(sfu, logger);
  }

  async produce(request: RtpProduceRequest): Promise<string> {
    if (this.floor && (request.source === 'screen' || request.source === 'screen-audio') && !(await this.floor.isPresenter())) {
      throw new MeetingError('not_presenter', 'take the presentation floor before sending screen media');
    }
    const id = await this.sfu.produce(request);
    this.producerCreated(id);
    return id;
  }
}
