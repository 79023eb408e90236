import { randomInt } from 'node:crypto';
import type { Consumer, RtpCodecCapability, RtpParameters } from 'mediasoup/node/lib/types.js';
import { describe, expect, it } from 'vitest';
import { loadMediasoup } from '../mediasoup-loader.js';
import { WorkerPool } from '../worker-pool.js';
import type { VideoTapApi } from './api.js';
import type { MediaRoom } from './media-room.js';
import type { RtpLeg } from './rtp-leg.js';
import { clientCapabilities, vp8Payload } from './testing/rtp-fixtures.js';
import { until, useMediaRooms } from './testing/media-rooms.js';
import { buildRtp, type ReceivedRtp, type RtpPeer } from './testing/rtp-peer.js';
import type { VideoTapEvents, VideoTapStream } from './types.js';

/** Every consumer mediasoup creates (through mediasoup's own observer), to count the tap's. */
const mediasoupConsumers = new Map<string, Consumer>();
const { openRoom, peer, stopAfterTest } = useMediaRooms({
  workers: 2,
  beforeStart: async () => {
    const mediasoup = await loadMediasoup(WorkerPool.resolveWorkerBin(null, process.cwd()));
    mediasoup.observer.on('newworker', (w) =>
      w.observer.on('newrouter', (r) => r.observer.on('newtransport', (t) => t.observer.on('newconsumer', (c) => mediasoupConsumers.set(c.id, c)))),
    );
  },
});

const VP8_PT = 96;
const opusCap: RtpCodecCapability = { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 111, parameters: {}, rtcpFeedback: [] };
const vp8Cap: RtpCodecCapability = {
  kind: 'video',
  mimeType: 'video/VP8',
  clockRate: 90000,
  preferredPayloadType: VP8_PT,
  parameters: {},
  rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
};
/** Payload bytes per packet of simulcast layers 0, 1, 2 (one packet per frame, 30 fps). */
const LAYER_SIZES = [200, 500, 1000];

/** A camera publishing 3-layer VP8 simulcast (one SSRC per layer, as a browser sends it without RID) over plain RTP. */
async function simulcastCamera(room: MediaRoom, id: string): Promise<{ leg: RtpLeg; producerId: string; ssrcs: number[]; publisher: RtpPeer; plis: number[] }> {
  const leg = await room.addRtpLeg(id, { mode: 'video', maxIncomingBitrateBps: 0, maxOutgoingBitrateBps: 0, rtpCapabilities: { codecs: [opusCap, vp8Cap], headerExtensions: [] } });
  const t = await leg.createRtpTransport({ role: 'video', comedia: true, rtcpMux: true });
  const ssrcs = LAYER_SIZES.map(() => randomInt(1, 2 ** 31));
  const rtpParameters: RtpParameters = {
    codecs: [{ mimeType: 'video/VP8', payloadType: VP8_PT, clockRate: 90000, parameters: {}, rtcpFeedback: vp8Cap.rtcpFeedback }],
    headerExtensions: [],
    encodings: ssrcs.map((ssrc) => ({ ssrc })),
    rtcp: { cname: `cam-${id}`, reducedSize: false },
  };
  const producerId = await leg.produce({ transportId: t.id, kind: 'video', source: 'camera', rtpParameters });
  const publisher = await peer();
  const plis: number[] = [];
  publisher.socket.on('message', (msg) => {
    // RTCP compound: walk it for PSFB (206) FMT 1 (PLI); record the media SSRC asked for.
    for (let off = 0; off + 4 <= msg.length; ) {
      const pt = msg[off + 1]!;
      const len = (msg.readUInt16BE(off + 2) + 1) * 4;
      if (pt === 206 && (msg[off]! & 0x1f) === 1 && off + 12 <= msg.length) plis.push(msg.readUInt32BE(off + 8));
      if (pt < 192 || pt > 223) break;
      off += len;
    }
  });
  // Like a browser: one frame per layer every 33 ms, a key frame every 15, and an RTCP sender report
  // per layer every 15 frames (mediasoup switches simulcast layers only between streams with SRs).
  const seq0 = ssrcs.map(() => randomInt(0, 30000));
  const ts0 = ssrcs.map(() => randomInt(0, 2 ** 30));
  let frame = 0;
  const timer = setInterval(() => {
    if (frame >= 900) return clearInterval(timer);
    LAYER_SIZES.forEach((size, layer) => {
      const ts = (ts0[layer]! + frame * 3000) >>> 0;
      publisher.send(buildRtp({ payloadType: VP8_PT, ssrc: ssrcs[layer]!, sequenceNumber: seq0[layer]! + frame, timestamp: ts, marker: true }, vp8Payload(frame, frame % 15 === 0, size)), t.port);
      if (frame % 15 === 0) publisher.send(senderReport(ssrcs[layer]!, ts, frame + 1, (frame + 1) * size), t.port);
    });
    frame++;
  }, 33);
  stopAfterTest(timer);
  return { leg, producerId, ssrcs, publisher, plis };
}

/** RTCP SR (RFC 3550 6.4.1) with the wall clock as NTP time. */
function senderReport(ssrc: number, rtpTimestamp: number, packets: number, octets: number): Buffer {
  const b = Buffer.alloc(28);
  b[0] = 0x80;
  b[1] = 200;
  b.writeUInt16BE(6, 2);
  b.writeUInt32BE(ssrc, 4);
  const ms = Date.now() + 2_208_988_800_000; // NTP epoch 1900
  b.writeUInt32BE(Math.floor(ms / 1000) >>> 0, 8);
  b.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32) >>> 0, 12);
  b.writeUInt32BE(rtpTimestamp >>> 0, 16);
  b.writeUInt32BE(packets >>> 0, 20);
  b.writeUInt32BE(octets >>> 0, 24);
  return b;
}

function record(tap: VideoTapApi): { [K in keyof VideoTapEvents]: VideoTapEvents[K][] } {
  const log = { sourceAdded: [], sourceRemoved: [], sourcePaused: [], sourceResumed: [], streamClosed: [], closed: [] } as { [K in keyof VideoTapEvents]: VideoTapEvents[K][] };
  for (const k of Object.keys(log) as (keyof VideoTapEvents)[]) tap.events.on(k, ((...args: unknown[]) => (log[k] as unknown[]).push(args)) as never);
  return log;
}

const packetsOf = (engine: RtpPeer, s: VideoTapStream, since = 0): ReceivedRtp[] => engine.received.slice(since).filter((p) => p.ssrc === s.ssrc);

function pli(mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x81; // V=2, FMT=1
  b[1] = 206;
  b.writeUInt16BE(2, 2);
  b.writeUInt32BE(0x1234, 4);
  b.writeUInt32BE(mediaSsrc, 8);
  return b;
}

describe('VideoTap (real mediasoup worker, RTP over UDP on 127.0.0.1)', () => {
  it('delivers a simulcast camera at layer 0 and at layer 2 as two streams of different sizes, and relays the engine\'s PLI to the publisher', async () => {
    const room = await openRoom('tap-layers');
    const tap = await room.openVideoTap({ comedia: false, rtcpMux: true });
    expect(tap.transport).toMatchObject({ ip: '127.0.0.1', rtcpMux: true, comedia: false });
    await expect(room.openVideoTap({ comedia: false, rtcpMux: true })).rejects.toMatchObject({ code: 'media_tap_exists' });
    const log = record(tap);
    const engine = await peer();
    await tap.connect({ ip: '127.0.0.1', port: engine.port });

    const cam = await simulcastCamera(room, 'cam');
    expect(log.sourceAdded).toEqual([[{ producerId: cam.producerId, participantId: 'cam', source: 'camera', mimeType: 'video/VP8', spatialLayers: 3, paused: false }]]);
    expect(tap.sources()).toHaveLength(1);

    const low = await tap.subscribe(cam.producerId, { maxSpatialLayer: 0 });
    const high = await tap.subscribe(cam.producerId, { maxSpatialLayer: 9 }); // clamped to 2
    expect(high.maxSpatialLayer).toBe(2);
    expect(low).toMatchObject({ producerId: cam.producerId, participantId: 'cam', source: 'camera', mimeType: 'video/VP8', clockRate: 90000, maxSpatialLayer: 0 });
    expect(low.payloadType).toBe(room.rtpCapabilities.codecs!.find((c) => c.mimeType === 'video/VP8')!.preferredPayloadType);
    expect(low.ssrc).not.toBe(high.ssrc);
    expect(cam.ssrcs).not.toContain(low.ssrc);

    // Both flow; once the high one has switched up, sizes show which layer each carries.
    await until(() => packetsOf(engine, low).length > 20 && packetsOf(engine, high).some((p) => p.payload.length >= LAYER_SIZES[2]!), 'both streams, the high one at layer 2', 15_000);
    const mark = engine.received.length;
    await until(() => packetsOf(engine, low, mark).length > 20 && packetsOf(engine, high, mark).length > 20, '20 more packets of each');
    const sizes = (s: VideoTapStream) => new Set(packetsOf(engine, s, mark).map((p) => p.payload.length));
    expect([...sizes(low)].every((n) => Math.abs(n - LAYER_SIZES[0]!) < 16)).toBe(true);
    expect([...sizes(high)].every((n) => Math.abs(n - LAYER_SIZES[2]!) < 16)).toBe(true);
    expect(packetsOf(engine, low, mark).every((p) => p.payloadType === low.payloadType)).toBe(true);

    // The engine asks for a refresh of the high stream by RTCP: the publisher gets a PLI for its top layer.
    await new Promise((r) => setTimeout(r, 300));
    const before = cam.plis.filter((s) => s === cam.ssrcs[2]).length;
    engine.send(pli(high.ssrc), tap.transport.port);
    await until(() => cam.plis.filter((s) => s === cam.ssrcs[2]).length > before, 'a PLI at the publisher for layer 2');
    // And through the API, for the low stream.
    const beforeLow = cam.plis.filter((s) => s === cam.ssrcs[0]).length;
    await tap.requestKeyFrame(low.streamId);
    await until(() => cam.plis.filter((s) => s === cam.ssrcs[0]).length > beforeLow, 'a PLI at the publisher for layer 0');

    tap.unsubscribe(low.streamId);
    expect(log.streamClosed).toEqual([]);
    const afterUnsub = engine.received.length;
    await until(() => packetsOf(engine, high, afterUnsub).length > 10, 'the high stream still flowing');
    expect(packetsOf(engine, low, afterUnsub + 5)).toEqual([]);
  }, 40_000);

  it('follows producers: sources appear, pause, resume and disappear; streams close with their producer', async () => {
    const room = await openRoom('tap-sources');
    const early = await simulcastCamera(room, 'early');
    const tap = await room.openVideoTap({ comedia: false, rtcpMux: true });
    expect(tap.sources().map((s) => s.producerId)).toEqual([early.producerId]);
    const log = record(tap);
    const engine = await peer();
    await tap.connect({ ip: '127.0.0.1', port: engine.port });
    const late = await simulcastCamera(room, 'late');
    expect(log.sourceAdded.map(([s]) => s.producerId)).toEqual([late.producerId]);

    await late.leg.pauseProducer(late.producerId, true);
    expect(log.sourcePaused).toEqual([[late.producerId]]);
    expect(tap.sources().find((s) => s.producerId === late.producerId)?.paused).toBe(true);
    await late.leg.resumeProducer(late.producerId, true);
    expect(log.sourceResumed).toEqual([[late.producerId]]);

    const stream = await tap.subscribe(early.producerId, { maxSpatialLayer: 1 });
    await until(() => packetsOf(engine, stream).length > 5, 'the early camera at the engine');
    early.leg.closeProducer(early.producerId);
    expect(log.streamClosed).toEqual([[stream.streamId]]);
    expect(log.sourceRemoved).toEqual([[early.producerId]]);
    await expect(tap.subscribe(early.producerId, { maxSpatialLayer: 0 })).rejects.toMatchObject({ code: 'media_unknown_producer' });

    const s2 = await tap.subscribe(late.producerId, { maxSpatialLayer: 0 });
    late.leg.close(); // the participant leaves
    expect(log.streamClosed.at(-1)).toEqual([s2.streamId]);
    expect(log.sourceRemoved.at(-1)).toEqual([late.producerId]);
    expect(tap.sources()).toEqual([]);
  }, 30_000);

  it('is no participant: browsers keep their last-N and layers; 300 concurrent subscribes give one stream; closing the room closes the tap', async () => {
    const room = await openRoom('tap-policy', { lastN: 1 });
    const a = await simulcastCamera(room, 'a');
    const b = await simulcastCamera(room, 'b');
    const viewer = await room.addParticipant('viewer', { mode: 'video', maxIncomingBitrateBps: 500_000, maxOutgoingBitrateBps: 400_000, rtpCapabilities: clientCapabilities(room.rtpCapabilities) });
    await viewer.createTransport('recv');
    await until(() => viewer.consumerInfos().length === 1, 'the viewer consuming its one last-N camera');
    await viewer.settled();
    const seen = viewer.consumerInfos().map((c) => c.producerId);
    const viewerConsumer = mediasoupConsumers.get(viewer.consumerInfos()[0]!.id)!;
    const layersBefore = viewerConsumer.preferredLayers;
    const statsBefore = await room.stats();

    const tap = await room.openVideoTap({ comedia: false, rtcpMux: true });
    const log = record(tap);
    const engine = await peer();
    await tap.connect({ ip: '127.0.0.1', port: engine.port });
    const streams = await Promise.all(Array.from({ length: 300 }, () => tap.subscribe(b.producerId, { maxSpatialLayer: 2 })));
    expect(new Set(streams.map((s) => s.streamId)).size).toBe(1);
    const tapConsumers = [...mediasoupConsumers.values()].filter((c) => !c.closed && (c.appData as { videoTap?: boolean }).videoTap && c.producerId === b.producerId);
    expect(tapConsumers).toHaveLength(1);
    await tap.subscribe(a.producerId, { maxSpatialLayer: 2 });
    await until(() => packetsOf(engine, streams[0]!).length > 10, 'the tap stream flowing');
    await viewer.settled();

    expect(room.participants().map((p) => p.id).sort()).toEqual(['a', 'b', 'viewer']);
    expect(viewer.consumerInfos().map((c) => c.producerId)).toEqual(seen);
    expect(viewerConsumer.preferredLayers).toEqual(layersBefore);
    const statsAfter = await room.stats();
    expect(statsAfter.participants).toBe(statsBefore.participants);
    expect(statsAfter.routers[0]!.consumers).toBe(statsBefore.routers[0]!.consumers);

    room.close();
    expect(tap.closed).toBe(true);
    expect(log.streamClosed).toHaveLength(2);
    expect(log.closed).toEqual([['room_closed']]);
    expect(tapConsumers[0]!.closed).toBe(true);
    await expect(tap.subscribe(a.producerId, { maxSpatialLayer: 0 })).rejects.toMatchObject({ code: 'media_room_closed' });
  }, 40_000);

  it('delivers a camera homed on another worker (piped to the tap router), and the engine\'s PLI crosses the pipe', async () => {
    const room = await openRoom('tap-pipe', { maxParticipantsPerRouter: 1 });
    await simulcastCamera(room, 'near');
    const far = await simulcastCamera(room, 'far');
    expect(room.workerIndexes).toHaveLength(2);
    expect(far.leg.workerIndex).not.toBe(room.workerIndexes[0]);
    const tap = await room.openVideoTap({ comedia: false, rtcpMux: true });
    const engine = await peer();
    await tap.connect({ ip: '127.0.0.1', port: engine.port });
    const stream = await tap.subscribe(far.producerId, { maxSpatialLayer: 2 });
    await until(() => packetsOf(engine, stream).some((p) => p.payload.length >= LAYER_SIZES[2]!), 'the far camera at layer 2', 15_000);
    await new Promise((r) => setTimeout(r, 300));
    const before = far.plis.filter((s) => s === far.ssrcs[2]).length;
    engine.send(pli(stream.ssrc), tap.transport.port);
    await until(() => far.plis.filter((s) => s === far.ssrcs[2]).length > before, 'a PLI at the far publisher');
  }, 30_000);

  it('tap.close() frees the room for a new tap', async () => {
    const room = await openRoom('tap-reopen');
    const tap = await room.openVideoTap({ comedia: false, rtcpMux: true });
    const closed = tap.events.waitFor('closed');
    tap.close();
    expect(await closed).toEqual(['closed']);
    const again = await room.openVideoTap({ comedia: false, rtcpMux: true });
    expect(again.closed).toBe(false);
  });
});
