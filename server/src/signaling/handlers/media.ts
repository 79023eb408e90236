import type { DtlsParameters, RtpCapabilities, RtpParameters } from '../../../../sfu/src/index.js';
import { MeetingError } from '../../meetings/index.js';
import { empty, requireJoined, requireLeg, requireLink, type HandlerTable } from '../context.js';
import { openWebRtcLeg } from '../webrtc-leg.js';

// WebRTC-only media requests. Roster state (muted, presenting) is not touched here: the meeting
// core hears it from the leg's producer events.
export const mediaHandlers: HandlerTable = {
  async 'media.setCapabilities'(ctx, data) {
    const handle = await requireJoined(ctx);
    const link = requireLink(ctx);
    if (link.leg) throw new MeetingError('media_error', 'capabilities were already set');
    const { mode } = await handle.view();
    const bps = link.bandwidthKbps * 1000;
    const leg = await handle.attachMedia((room) =>
      openWebRtcLeg(room, handle.participantId, {
        mode,
        maxIncomingBitrateBps: bps,
        maxOutgoingBitrateBps: bps,
        // Validated by mediasoup when it builds consumers (bad capabilities → a media error).
        rtpCapabilities: data.rtpCapabilities as unknown as RtpCapabilities,
      }, ctx.session.logger),
    );
    link.leg = leg;
    const ev = leg.sfu.events;
    ev.on('consumerAdded', (c) => link.notify('consumer.added', { ...c, rtpParameters: c.rtpParameters as unknown as Record<string, unknown> }));
    ev.on('consumerClosed', (consumerId) => link.notify('consumer.closed', { consumerId }));
    ev.on('consumerPaused', (consumerId) => link.notify('consumer.paused', { consumerId }));
    ev.on('consumerResumed', (consumerId) => link.notify('consumer.resumed', { consumerId }));
    ev.on('consumerLayersChanged', (consumerId, layers) =>
      link.notify('consumer.layersChanged', {
        consumerId,
        spatialLayer: layers?.spatialLayer ?? null,
        temporalLayer: layers?.temporalLayer ?? null,
      }),
    );
    return empty;
  },

  async 'transport.create'(ctx, data) {
    const info = await (await requireLeg(ctx)).leg.createTransport(data.direction);
    return {
      id: info.id,
      iceParameters: info.iceParameters as unknown as Record<string, unknown>,
      iceCandidates: info.iceCandidates as unknown as Record<string, unknown>[],
      dtlsParameters: info.dtlsParameters as unknown as Record<string, unknown>,
    };
  },

  async 'transport.connect'(ctx, data) {
    await (await requireLeg(ctx)).leg.connectTransport(data.transportId, data.dtlsParameters as unknown as DtlsParameters);
    return empty;
  },

  async 'transport.restartIce'(ctx, data) {
    const iceParameters = await (await requireLeg(ctx)).leg.restartIce(data.transportId);
    return { iceParameters: iceParameters as unknown as Record<string, unknown> };
  },

  async 'producer.create'(ctx, data) {
    const { handle, leg } = await requireLeg(ctx);
    if ((data.source === 'screen' || data.source === 'screen-audio') && !(await handle.isPresenter())) {
      throw new MeetingError('not_presenter', 'start a presentation before sharing your screen');
    }
    const producerId = await leg.produce({ ...data, rtpParameters: data.rtpParameters as unknown as RtpParameters });
    return { producerId };
  },

  async 'producer.close'(ctx, data) {
    (await requireLeg(ctx)).leg.closeProducer(data.producerId);
    return empty;
  },
  async 'producer.pause'(ctx, data) {
    await (await requireLeg(ctx)).leg.pauseProducer(data.producerId);
    return empty;
  },
  async 'producer.resume'(ctx, data) {
    await (await requireLeg(ctx)).leg.resumeProducer(data.producerId);
    return empty;
  },
  async 'consumer.resume'(ctx, data) {
    await (await requireLeg(ctx)).leg.resumeConsumer(data.consumerId);
    return empty;
  },
  async 'consumer.setPreferredLayers'(ctx, data) {
    await (await requireLeg(ctx)).leg.setPreferredLayers(data.consumerId, {
      spatialLayer: data.spatialLayer,
      ...(data.temporalLayer !== undefined ? { temporalLayer: data.temporalLayer } : {}),
    });
    return empty;
  },
};
