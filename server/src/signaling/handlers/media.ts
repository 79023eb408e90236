import type { DtlsParameters, RtpCapabilities, RtpParameters } from '../../../../sfu/src/index.js';
import { DomainError } from '../../errors.js';
import type { Participant } from '../../meetings/index.js';
import { empty, requireJoined, type HandlerContext, type HandlerTable } from '../context.js';

function mediaOf(ctx: HandlerContext): { participant: Participant; port: NonNullable<Participant['media']> } {
  const { participant } = requireJoined(ctx);
  if (!participant.media) throw new DomainError('media_error', 'send media.setCapabilities first');
  return { participant, port: participant.media };
}

export const mediaHandlers: HandlerTable = {
  async 'media.setCapabilities'(ctx, data) {
    const { participant, meeting } = requireJoined(ctx);
    if (participant.media) throw new DomainError('media_error', 'capabilities were already set');
    const bps = participant.bandwidthKbps * 1000;
    participant.media = await meeting.media.addParticipant(participant.id, {
      mode: participant.mode,
      maxIncomingBitrateBps: bps,
      maxOutgoingBitrateBps: bps,
      // Validated by mediasoup when it builds consumers (bad capabilities → a media error).
      rtpCapabilities: data.rtpCapabilities as unknown as RtpCapabilities,
    });
    const port = participant.media;
    port.events.on('producerPaused', () => meeting.updated(participant));
    port.events.on('producerResumed', () => meeting.updated(participant));
    port.events.on('producerClosed', () => meeting.updated(participant));
    port.events.on('consumerAdded', (c) => participant.notify('consumer.added', { ...c, rtpParameters: c.rtpParameters as unknown as Record<string, unknown> }));
    port.events.on('consumerClosed', (consumerId) => participant.notify('consumer.closed', { consumerId }));
    port.events.on('consumerPaused', (consumerId) => participant.notify('consumer.paused', { consumerId }));
    port.events.on('consumerResumed', (consumerId) => participant.notify('consumer.resumed', { consumerId }));
    port.events.on('consumerLayersChanged', (consumerId, layers) =>
      participant.notify('consumer.layersChanged', {
        consumerId,
        spatialLayer: layers?.spatialLayer ?? null,
        temporalLayer: layers?.temporalLayer ?? null,
      }),
    );
    return empty;
  },

  async 'transport.create'(ctx, data) {
    const info = await mediaOf(ctx).port.createTransport(data.direction);
    return {
      id: info.id,
      iceParameters: info.iceParameters as unknown as Record<string, unknown>,
      iceCandidates: info.iceCandidates as unknown as Record<string, unknown>[],
      dtlsParameters: info.dtlsParameters as unknown as Record<string, unknown>,
    };
  },

  async 'transport.connect'(ctx, data) {
    await mediaOf(ctx).port.connectTransport(data.transportId, data.dtlsParameters as unknown as DtlsParameters);
    return empty;
  },

  async 'transport.restartIce'(ctx, data) {
    const iceParameters = await mediaOf(ctx).port.restartIce(data.transportId);
    return { iceParameters: iceParameters as unknown as Record<string, unknown> };
  },

  async 'producer.create'(ctx, data) {
    const { participant, port } = mediaOf(ctx);
    const meeting = ctx.session.meeting!;
    if ((data.source === 'screen' || data.source === 'screen-audio') && meeting.presenterId !== participant.id) {
      throw new DomainError('not_presenter', 'start a presentation before sharing your screen');
    }
    const producerId = await port.produce({ ...data, rtpParameters: data.rtpParameters as unknown as RtpParameters });
    meeting.updated(participant);
    return { producerId };
  },

  async 'producer.close'(ctx, data) {
    mediaOf(ctx).port.closeProducer(data.producerId);
    return empty;
  },
  async 'producer.pause'(ctx, data) {
    await mediaOf(ctx).port.pauseProducer(data.producerId);
    return empty;
  },
  async 'producer.resume'(ctx, data) {
    await mediaOf(ctx).port.resumeProducer(data.producerId);
    return empty;
  },
  async 'consumer.resume'(ctx, data) {
    await mediaOf(ctx).port.resumeConsumer(data.consumerId);
    return empty;
  },
  async 'consumer.setPreferredLayers'(ctx, data) {
    await mediaOf(ctx).port.setPreferredLayers(data.consumerId, {
      spatialLayer: data.spatialLayer,
      ...(data.temporalLayer !== undefined ? { temporalLayer: data.temporalLayer } : {}),
    });
    return empty;
  },
};
