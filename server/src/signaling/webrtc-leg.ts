import type { Logger } from 'pino';
import type {
  ConsumerLayers,
  DtlsParameters,
  IceParameters,
  MediaRoomApi,
  ParticipantMediaOptions,
  ProduceRequest,
  TransportDirection,
  TransportInfo,
  WebRtcLegApi,
} from '../../../sfu/src/index.js';
import { SfuLegPort } from '../meetings/index.js';

/**
 * A browser's media leg: the SFU's WebRTC leg seen as the meeting core's port (producers and their
 * events), plus the WebRTC-only calls (transports, ICE, DTLS, simulcast layers) that only this
 * signalling layer makes. The core never sees the WebRTC side.
 */
export class WebRtcLeg extends SfuLegPort<WebRtcLegApi> {
  async produce(request: ProduceRequest): Promise<string> {
    const id = await this.sfu.produce(request);
    this.producerCreated(id);
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
}

export async function openWebRtcLeg(room: MediaRoomApi, participantId: string, options: ParticipantMediaOptions, logger: Logger): Promise<WebRtcLeg> {
  return new WebRtcLeg(await room.addParticipant(participantId, options), logger);
}
