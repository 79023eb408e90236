import type { Logger } from 'pino';
import { Emitter } from '../../../common/src/index.js';
import type {
  ConsumerLayers,
  DtlsParameters,
  IceParameters,
  MediaRoomApi,
  ParticipantMediaApi,
  ParticipantMediaOptions,
  ProduceRequest,
  TransportDirection,
  TransportInfo,
} from '../../../sfu/src/index.js';
import type { CoreMediaEvents, CoreMediaPort, CoreProducer } from '../meetings/index.js';

/**
 * A browser's media leg: the SFU's WebRTC participant media seen as the meeting core's port
 * (producers and their events), plus the WebRTC-only calls (transports, ICE, DTLS, simulcast
 * layers) that only this signalling layer makes. The core never sees the WebRTC side.
 */
export class WebRtcLeg implements CoreMediaPort {
  readonly events: Emitter<CoreMediaEvents>;

  constructor(
    readonly sfu: ParticipantMediaApi,
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

  async produce(request: ProduceRequest): Promise<string> {
    const id = await this.sfu.produce(request);
    const info = this.sfu.producers().find((p) => p.id === id);
    if (info) this.events.emit('producerAdded', info);
    return id;
  }

  createTransport(direction: TransportDirection): Promise<TransportInfo> {
    return this.sfu.createTransport(direction);
  }

  connectTransport(transportId: string, dtlsParameters: DtlsParameters): Promise<void> {
    return this.sfu.connectTransport(transportId, dtlsParameters);
  }

  restartIce(transportId: string): Promise<IceParameters> {
    return this.sfu.restartIce(transportId);
  }

  resumeConsumer(consumerId: string): Promise<void> {
    return this.sfu.resumeConsumer(consumerId);
  }

  setPreferredLayers(consumerId: string, layers: ConsumerLayers): Promise<void> {
    return this.sfu.setPreferredLayers(consumerId, layers);
  }

  close(): void {
    this.sfu.close();
  }
}

export async function openWebRtcLeg(room: MediaRoomApi, participantId: string, options: ParticipantMediaOptions, logger: Logger): Promise<WebRtcLeg> {
  return new WebRtcLeg(await room.addParticipant(participantId, options), logger);
}
