/**
 * The engine's video against a real mediasoup 3.12 router with the meeting's codecs, as the call
 * layer wires it: the caller's video goes into a comedia PlainTransport producer (the SFU RTP leg),
 * and mediasoup's keyframe requests for it come back to the engine and on to the caller; the
 * meeting's cameras reach the engine through a PlainTransport consuming them (the VideoTap) and the
 * engine's PLIs reach those consumers. The cameras are H.264 sources built in code that answer a
 * PLI with a keyframe on their next frame, as browsers do.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type * as Mediasoup from 'mediasoup';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { meetingMediaCodecs } from '../../../../sfu/src/media/codecs.js';
import { loadMediasoup } from '../../../../sfu/src/mediasoup-loader.js';
import { WorkerPool } from '../../../../sfu/src/worker-pool.js';
import { keyframeRequestFor } from '../video/index.js';
import { createMediaEngine, type WorkerMediaEngine } from './engine.js';
import { H264Source, h264CallerSession, isSyntheticKeyframeStart, tagOf, VideoPeer } from './testing/video-peer.js';
import type { CallMedia, CallVideoSession } from './types.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const CALLER_PT = 109;
let worker: Mediasoup.types.Worker;
let router: Mediasoup.types.Router;
let engine: WorkerMediaEngine;
const peers: VideoPeer[] = [];
const sources: H264Source[] = [];
const calls: CallMedia[] = [];

async function peer(): Promise<VideoPeer> {
  const p = await VideoPeer.open();
  peers.push(p);
  return p;
}

function session(caller: VideoPeer): CallVideoSession {
  return h264CallerSession(caller, CALLER_PT);
}

function h264Codec(payloadType: number): Mediasoup.types.RtpCodecParameters {
  const h264 = router.rtpCapabilities.codecs!.find((c) => c.mimeType === 'video/H264')!;
  return { mimeType: 'video/H264', payloadType, clockRate: 90000, parameters: h264.parameters, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] };
}

/** A browser-like camera: an H.264 source producing into a comedia PlainTransport, keyframe on PLI. */
async function camera(tag: number, ssrc: number): Promise<{ producer: Mediasoup.types.Producer; source: H264Source }> {
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
  const producer = await transport.produce({ kind: 'video', rtpParameters: { codecs: [h264Codec(96)], encodings: [{ ssrc }] } });
  const source = new H264Source({ ssrc, payloadType: 96, tag, gop: 900, packetsPerFrame: 5, packetBytes: 1000 });
  sources.push(source);
  const cam = await peer();
  cam.onRtcp = (data) => {
    if (keyframeRequestFor(data, ssrc)) source.keyframeNext();
  };
  source.start((p) => cam.send(p, transport.tuple.localPort), 30 * 30);
  return { producer, source };
}

beforeAll(async () => {
  const mediasoup = await loadMediasoup(WorkerPool.resolveWorkerBin(null, root));
  worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 40_000, rtcMaxPort: 55_000 });
  router = await worker.createRouter({ mediaCodecs: meetingMediaCodecs });
  engine = await createMediaEngine({ workers: 1, rtpMinPort: 36800, rtpMaxPort: 36999, rtcpIntervalMs: 1000 }, { logger: pino({ level: 'silent' }), prompts: { get: () => new Int16Array(160) } });
});

afterAll(async () => {
  for (const s of sources) s.stop();
  for (const c of calls) await c.close();
  for (const p of peers) p.close();
  await engine?.close();
  worker?.close();
});

describe('engine video through a real mediasoup router', () => {
  it("the caller's video becomes a mediasoup producer; a consumer's keyframe request reaches the caller as PLI and its keyframe reaches the consumer", async () => {
    const call = await engine.openCall({ callId: `c-${randomBytes(3).toString('hex')}`, meetingId: 'm-ms-in' });
    calls.push(call);
    const caller = await peer();
    const local = await call.openVideo('main');
    await call.configureVideo('main', session(caller));
    // The SFU RTP leg: comedia + rtcp-mux on loopback, a camera producer with the SSRC/PT we relay with.
    const leg = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
    const sfuSsrc = 0x3c3c0001;
    const producer = await leg.produce({ kind: 'video', rtpParameters: { codecs: [h264Codec(125)], encodings: [{ ssrc: sfuSsrc }] } });
    await call.setVideoIngress('main', { ip: '127.0.0.1', port: leg.tuple.localPort, ssrc: sfuSsrc, payloadType: 125 });
    const callerSsrc = 0x0c0c0c0c;
    const source = new H264Source({ ssrc: callerSsrc, payloadType: CALLER_PT, tag: 0x5a, gop: 900 });
    sources.push(source);
    const plisAtCaller = (): number => caller.rtcp.filter((r) => keyframeRequestFor(r.data, callerSsrc) === 'pli').length;
    caller.onRtcp = (data) => {
      if (keyframeRequestFor(data, callerSsrc)) source.keyframeNext();
    };
    source.start((p) => caller.send(p, local.rtpPort), 30 * 10);
    // A browser-like viewer of the caller's camera.
    const browser = await peer();
    const out = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    await out.connect({ ip: '127.0.0.1', port: browser.port });
    await caller.waitUntil(() => producer.score.length > 0, 5000, 'producer receiving');
    const consumer = await out.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const consumerSsrc = consumer.rtpParameters.encodings![0]!.ssrc!;
    await browser.waitUntil(() => browser.rtp.some((p) => p.ssrc === consumerSsrc && tagOf(p.payload) === 0x5a), 5000, "caller's video at the viewer");
    // mediasoup starts a new consumer at a keyframe: the first packet the viewer gets is the caller's keyframe.
    const first = browser.rtp.find((p) => p.ssrc === consumerSsrc)!;
    expect(isSyntheticKeyframeStart(first.payload)).toBe(true);
    expect(plisAtCaller()).toBeGreaterThanOrEqual(1);
    // The viewer asks again (its decoder lost a picture): a PLI reaches the caller.
    const before = plisAtCaller();
    await consumer.requestKeyFrame();
    await caller.waitUntil(() => plisAtCaller() > before, 3000, 'PLI for the re-request');
    const stats = await call.videoStats('main');
    expect(stats.keyframeRequestsToCaller.pli).toBeGreaterThanOrEqual(2);
    source.stop();
  });

  it("a packet the caller's network lost: mediasoup's NACK for it reaches the caller for its SSRC", async () => {
    const call = await engine.openCall({ callId: `c-${randomBytes(3).toString('hex')}`, meetingId: 'm-ms-nack' });
    calls.push(call);
    const caller = await peer();
    const local = await call.openVideo('main');
    await call.configureVideo('main', { ...session(caller), feedback: { pli: true, fir: false, nack: true, remb: false, tmmbr: false } });
    const leg = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
    const codec = h264Codec(125);
    codec.rtcpFeedback = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }];
    await leg.produce({ kind: 'video', rtpParameters: { codecs: [codec], encodings: [{ ssrc: 0x3c3c0002 }] } });
    await call.setVideoIngress('main', { ip: '127.0.0.1', port: leg.tuple.localPort, ssrc: 0x3c3c0002, payloadType: 125 });
    const callerSsrc = 0x0d0d0d0d;
    const source = new H264Source({ ssrc: callerSsrc, payloadType: CALLER_PT, tag: 0x6b, gop: 30, startSequence: 2000 });
    sources.push(source);
    // Frames go out every 33 ms; one packet (sequence 2042) never leaves the caller.
    let dropped = false;
    source.start((p) => {
      const seq = (p[2]! << 8) | p[3]!;
      if (seq === 2042 && !dropped) return void (dropped = true);
      caller.send(p, local.rtpPort);
    }, 30 * 3);
    const nackedSeqs = (): number[] =>
      caller.rtcp.flatMap((r) => {
        const seqs: number[] = [];
        const d = Buffer.from(r.data);
        for (let at = 0; at + 4 <= d.length; at += d.readUInt16BE(at + 2) * 4 + 4) {
          if (d[at + 1] !== 205 || (d[at]! & 0x1f) !== 1 || d.readUInt32BE(at + 8) !== callerSsrc) continue;
          for (let f = at + 12; f + 4 <= at + d.readUInt16BE(at + 2) * 4 + 4; f += 4) {
            const pid = d.readUInt16BE(f);
            const blp = d.readUInt16BE(f + 2);
            seqs.push(pid);
            for (let b = 0; b < 16; b++) if (blp & (1 << b)) seqs.push((pid + b + 1) & 0xffff);
          }
        }
        return seqs;
      });
    await caller.waitUntil(() => nackedSeqs().includes(2042), 5000, 'NACK for 2042 at the caller');
    expect(new Set(nackedSeqs())).toEqual(new Set([2042]));
    source.stop();
  });

  it("the meeting's cameras through a tap PlainTransport: select A then B; B cuts in at the keyframe mediasoup got from B on the engine's PLI", async () => {
    const a = await camera(0xaa, 0xa1a1a1a1);
    const b = await camera(0xbb, 0xb2b2b2b2);
    const room = await engine.openRoomVideo('m-ms-out');
    const tap = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    await tap.connect({ ip: room.tapTarget.ip, port: room.tapTarget.port });
    await room.setTapRemote({ ip: tap.tuple.localIp, port: tap.tuple.localPort });
    const consumerPlis = new Map<string, number>();
    for (const [id, cam] of [['A', a], ['B', b]] as const) {
      const consumer = await tap.consume({ producerId: cam.producer.id, rtpCapabilities: router.rtpCapabilities });
      await consumer.enableTraceEvent(['pli']);
      consumer.on('trace', (t) => t.direction === 'in' && consumerPlis.set(id, (consumerPlis.get(id) ?? 0) + 1));
      const codec = consumer.rtpParameters.codecs[0]!;
      await room.addStream({ streamId: id, participantId: `p-${id}`, source: 'camera', ssrc: consumer.rtpParameters.encodings![0]!.ssrc!, payloadType: codec.payloadType, codec: 'H264' });
    }
    const call = await engine.openCall({ callId: `c-${randomBytes(3).toString('hex')}`, meetingId: 'm-ms-out' });
    calls.push(call);
    const viewer = await peer();
    await call.openVideo('main');
    await call.configureVideo('main', session(viewer));
    await call.joinRoomVideo(room);
    const switched: Array<{ streamId: string; waitedMs: number }> = [];
    call.events.on('videoSwitched', (_r, info) => switched.push(info));

    await room.select(call.callId, 'main', 'A');
    await viewer.waitUntil(() => viewer.rtp.filter((p) => tagOf(p.payload) === 0xaa).length > 30, 5000, 'A at the viewer');
    const plisB = consumerPlis.get('B') ?? 0;
    await room.select(call.callId, 'main', 'B');
    await viewer.waitUntil(() => viewer.rtp.filter((p) => tagOf(p.payload) === 0xbb).length > 30, 5000, 'B at the viewer');
    expect(consumerPlis.get('B') ?? 0).toBeGreaterThan(plisB);
    const rtp = viewer.rtp;
    expect(new Set(rtp.map((p) => p.ssrc)).size).toBe(1);
    for (let i = 1; i < rtp.length; i++) expect((rtp[i]!.sequenceNumber - rtp[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
    const firstB = rtp.findIndex((p) => tagOf(p.payload) === 0xbb);
    expect(isSyntheticKeyframeStart(rtp[firstB]!.payload)).toBe(true);
    expect(rtp.slice(firstB).every((p) => tagOf(p.payload) === 0xbb)).toBe(true);
    await viewer.waitUntil(() => switched.length >= 2, 2000, 'videoSwitched');
    expect(switched.map((s) => s.streamId)).toEqual(['A', 'B']);
    // B's keyframes are 30 s apart unless asked: the switch waited for the requested one, not the GOP.
    expect(switched[1]!.waitedMs).toBeLessThan(2000);
    console.log(`engine + mediasoup: switch-to-keyframe ms ${switched.map((s) => s.waitedMs).join(', ')}`);
    await call.leaveRoomVideo();
    await room.release();
  });
});
