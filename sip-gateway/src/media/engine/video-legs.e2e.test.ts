/**
 * A SIP call's video through the real engine (worker threads, real UDP on loopback): a caller
 * peer sending H.264 RTP built in code, a peer playing the SFU's RTP leg (it receives the caller's
 * video and sends mediasoup-style PLI/FIR back), and a peer playing the meeting's VideoTap (two
 * camera streams that answer PLI with a keyframe, as browsers do).
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SrtpContext } from '../rtp/index.js';
import { buildPli, keyframeRequestFor, parseBitrateRequests } from '../video/index.js';
import { createMediaEngine, type WorkerMediaEngine } from './engine.js';
import { H264Source, h264CallerSession, isSyntheticKeyframeStart, sleep, tagOf, VideoPeer } from './testing/video-peer.js';
import type { CallMedia, CallVideoSession, RoomVideo, SrtpSessionKeys, VideoRole } from './types.js';

const logger = pino({ level: 'silent' });
const CALLER_PT = 109;
const SFU_PT = 125;
const TAP_PT = 102;
const MEETING = 'm-video';

let engine: WorkerMediaEngine;
const registry = new Registry();
const peers: VideoPeer[] = [];
const calls: CallMedia[] = [];
const stops: Array<() => void> = [];

async function peer(): Promise<VideoPeer> {
  const p = await VideoPeer.open();
  peers.push(p);
  return p;
}

function videoSession(caller: VideoPeer, over: Partial<CallVideoSession> = {}): CallVideoSession {
  return h264CallerSession(caller, CALLER_PT, over);
}

async function newCall(meetingId = MEETING): Promise<CallMedia> {
  const call = await engine.openCall({ callId: `c-${randomBytes(4).toString('hex')}`, meetingId });
  calls.push(call);
  return call;
}

/** A call whose caller sends H.264 (ssrc `ssrc`) and whose video goes to an "SFU" peer. */
async function callerWithIngress(feedback: CallVideoSession['feedback'], over: Partial<CallVideoSession> = {}) {
  const call = await newCall(`m-ingress-${randomBytes(2).toString('hex')}`);
  const caller = await peer();
  const sfu = await peer();
  const local = await call.openVideo('main');
  await call.configureVideo('main', videoSession(caller, { feedback, ...over }));
  const target = { ip: '127.0.0.1', port: sfu.port, ssrc: 0x5f5f0001 + peers.length, payloadType: SFU_PT };
  await call.setVideoIngress('main', target);
  return { call, caller, sfu, local, target };
}

beforeAll(async () => {
  engine = await createMediaEngine({ workers: 2, rtpMinPort: 36400, rtpMaxPort: 36799, rtcpIntervalMs: 1000 }, { logger, registry, prompts: { get: () => new Int16Array(160) } });
});

afterAll(async () => {
  for (const s of stops) s();
  for (const c of calls) await c.close();
  for (const p of peers) p.close();
  await engine?.close();
});

describe('caller video into the meeting (ingress)', () => {
  it('relays every caller packet to the SFU target with the target SSRC and PT, payload and sequence untouched', async () => {
    const { caller, sfu, local, target, call } = await callerWithIngress({ pli: true, fir: false, nack: false, remb: false, tmmbr: false });
    expect(local.rtpPort % 2).toBe(0);
    const src = new H264Source({ ssrc: 0x0a0b0c0d, payloadType: CALLER_PT, tag: 0x11 });
    const sent: Uint8Array[] = [];
    for (let f = 0; f < 10; f++) for (const p of src.nextFrame()) sent.push(p), caller.send(p, local.rtpPort);
    await sfu.waitUntil(() => sfu.rtp.length >= 40, 3000, 'relayed packets');
    expect(sfu.rtp.every((p) => p.ssrc === target.ssrc && p.payloadType === SFU_PT)).toBe(true);
    expect(sfu.rtp.map((p) => p.sequenceNumber)).toEqual(Array.from({ length: 40 }, (_, i) => (1000 + i) & 0xffff));
    expect(sfu.rtp.filter((p) => p.marker).length).toBe(10);
    expect(Buffer.from(sfu.rtp[5]!.payload).equals(Buffer.from(sent[5]!.subarray(12)))).toBe(true);
    const stats = await call.videoStats('main');
    expect(stats.packetsReceived).toBe(40);
    expect(stats.packetsRelayed).toBe(40);
    // A packet with another PT (RTX, say) is not relayed.
    const rtx = Uint8Array.from(sent[0]!);
    rtx[1] = 97;
    caller.send(rtx, local.rtpPort);
    await sleep(100);
    expect(sfu.rtp.length).toBe(40);
    // null stops the relay.
    await call.setVideoIngress('main', null);
    for (const p of src.nextFrame()) caller.send(p, local.rtpPort);
    await sleep(150);
    expect(sfu.rtp.length).toBe(40);
  });

  it("relays the SFU's PLI to a caller that negotiated PLI, with the caller's media SSRC", async () => {
    const { caller, sfu, local, target } = await callerWithIngress({ pli: true, fir: false, nack: false, remb: false, tmmbr: false });
    const src = new H264Source({ ssrc: 0x01020304, payloadType: CALLER_PT, tag: 0x22 });
    for (const p of src.nextFrame()) caller.send(p, local.rtpPort);
    await sfu.waitUntil(() => sfu.rtp.length >= 4, 3000, 'relayed');
    const pli = new Uint8Array(12);
    buildPli(pli, 0x77777777, target.ssrc);
    const from = sfu.rtp[0]!.from; // mediasoup sends RTCP back to where the RTP came from
    sfu.send(pli, from.port);
    await caller.waitUntil(() => caller.rtcp.some((r) => keyframeRequestFor(r.data, 0x01020304) === 'pli'), 3000, 'PLI at the caller');
  });

  it('turns a PLI into FIR for a caller that negotiated only FIR, and into keyframeNeeded (≤ 1/s) for one with neither', async () => {
    const fir = await callerWithIngress({ pli: false, fir: true, nack: false, remb: false, tmmbr: false });
    const none = await callerWithIngress({ pli: false, fir: false, nack: false, remb: false, tmmbr: false });
    const needed: VideoRole[] = [];
    none.call.events.on('keyframeNeeded', (role) => needed.push(role));
    for (const c of [fir, none]) {
      const src = new H264Source({ ssrc: 0x0badcafe, payloadType: CALLER_PT, tag: 0x33 });
      for (const p of src.nextFrame()) c.caller.send(p, c.local.rtpPort);
      await c.sfu.waitUntil(() => c.sfu.rtp.length >= 4, 3000, 'relayed');
      const pli = new Uint8Array(12);
      buildPli(pli, 0x77777777, c.target.ssrc);
      for (let i = 0; i < 3; i++) {
        c.sfu.send(pli, c.sfu.rtp[0]!.from.port);
        await sleep(120);
      }
    }
    await fir.caller.waitUntil(() => fir.caller.rtcp.some((r) => keyframeRequestFor(r.data, 0x0badcafe) === 'fir'), 3000, 'FIR at the caller');
    expect(fir.caller.rtcp.some((r) => keyframeRequestFor(r.data, 0x0badcafe) === 'pli')).toBe(false);
    await none.caller.waitUntil(() => needed.length > 0, 3000, 'keyframeNeeded');
    expect(needed).toEqual(['main']); // three PLIs within 1 s: one event
    expect(none.caller.rtcp.some((r) => keyframeRequestFor(r.data, 0x0badcafe) !== null)).toBe(false);
    expect((await none.call.videoStats('main')).keyframeRequestsToCaller).toEqual({ pli: 0, fir: 0, event: 1 });
  });

  it("relays the SFU's generic NACKs for the caller's stream to a caller that negotiated nack, FCIs untouched, for its SSRC", async () => {
    const { caller, sfu, local, target, call } = await callerWithIngress({ pli: true, fir: false, nack: true, remb: false, tmmbr: false });
    const src = new H264Source({ ssrc: 0x0a0a0b0b, payloadType: CALLER_PT, tag: 0x21 });
    for (const p of src.nextFrame()) caller.send(p, local.rtpPort);
    await sfu.waitUntil(() => sfu.rtp.length >= 4, 3000, 'relayed');
    // RR + NACK (PT 205 FMT 1) for target.ssrc: PID 1002, BLP 0x0005 (also 1003 and 1005 lost).
    const nack = Buffer.alloc(8 + 16);
    nack.set([0x80, 201, 0, 1]);
    nack.writeUInt32BE(0x77777777, 4);
    nack.set([0x81, 205, 0, 3], 8);
    nack.writeUInt32BE(0x77777777, 12);
    nack.writeUInt32BE(target.ssrc, 16);
    nack.writeUInt32BE((1002 << 16) | 0x0005, 20);
    sfu.send(nack, sfu.rtp[0]!.from.port);
    const nacksAtCaller = () =>
      caller.rtcp.flatMap((r) => {
        const found: Array<{ media: number; fci: number }> = [];
        for (let at = 0; at + 4 <= r.data.length; at += ((r.data[at + 2]! << 8) | r.data[at + 3]!) * 4 + 4) {
          if (r.data[at + 1] === 205 && (r.data[at]! & 0x1f) === 1) found.push({ media: Buffer.from(r.data).readUInt32BE(at + 8), fci: Buffer.from(r.data).readUInt32BE(at + 12) });
        }
        return found;
      });
    await caller.waitUntil(() => nacksAtCaller().length > 0, 3000, 'NACK at the caller');
    expect(nacksAtCaller()).toEqual([{ media: 0x0a0a0b0b, fci: ((1002 << 16) | 0x0005) >>> 0 }]);
    expect((await call.videoStats('main')).nacksToCaller).toBe(1);
  });

  it('sends the caller TMMBR with the cap (and REMB when negotiated) once its SSRC is known, and again later', async () => {
    const { caller, local } = await callerWithIngress({ pli: true, fir: false, nack: false, remb: true, tmmbr: true }, { capBps: 768_000 });
    const src = new H264Source({ ssrc: 0x12345678, payloadType: CALLER_PT, tag: 0x44 });
    for (const p of src.nextFrame()) caller.send(p, local.rtpPort);
    const caps = () => caller.rtcp.flatMap((r) => parseBitrateRequests(r.data));
    await caller.waitUntil(() => caps().some((c) => c.kind === 'tmmbr') && caps().some((c) => c.kind === 'remb'), 3000, 'TMMBR + REMB');
    for (const c of caps()) {
      expect(c.mediaSsrc).toBe(0x12345678);
      expect(c.bps).toBe(768_000); // 768,000 = 93,750 · 2^3: exact in both encodings
    }
    expect(caps().find((c) => c.kind === 'tmmbr')!.overheadBytes).toBe(40);
    await caller.waitUntil(() => caps().filter((c) => c.kind === 'tmmbr').length >= 2, 7000, 'TMMBR repeated');
  });

  it('SRTP both ways: the caller\'s SRTP reaches the SFU as plain RTP; the PLI and the cap reach the caller as SRTCP only it can read', async () => {
    const callerKey = randomBytes(30);
    const ourKey = randomBytes(30);
    const keys: SrtpSessionKeys = { suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: ourKey.toString('base64'), remoteKeyBase64: callerKey.toString('base64') };
    const { caller, sfu, local, target, call } = await callerWithIngress({ pli: true, fir: false, nack: false, remb: false, tmmbr: true }, { srtp: keys, capBps: 500_000 });
    const callerTx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', callerKey);
    const callerRx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', ourKey);
    caller.inboundRtcp = (raw) => callerRx.unprotectRtcp(raw);
    const src = new H264Source({ ssrc: 0x2468ace0, payloadType: CALLER_PT, tag: 0x55 });
    const plain: Uint8Array[] = [];
    const secured: Uint8Array[] = [];
    for (let f = 0; f < 3; f++) for (const p of src.nextFrame()) plain.push(p), secured.push(callerTx.protectRtp(p)), caller.send(secured.at(-1)!, local.rtpPort);
    // A forgery (plain RTP on an SRTP leg) must not pass.
    const forged = new H264Source({ ssrc: 0x2468ace0, payloadType: CALLER_PT, tag: 0x66, startSequence: 5000 });
    for (const p of forged.nextFrame()) caller.send(p, local.rtpPort);
    await sfu.waitUntil(() => sfu.rtp.length >= 12, 3000, 'relayed SRTP');
    await sleep(100);
    expect(sfu.rtp.length).toBe(12);
    expect(sfu.rtp.every((p) => p.ssrc === target.ssrc && tagOf(p.payload) === 0x55)).toBe(true);
    expect(Buffer.from(sfu.rtp[3]!.payload).equals(Buffer.from(plain[3]!.subarray(12)))).toBe(true);
    const pli = new Uint8Array(12);
    buildPli(pli, 0x77777777, target.ssrc);
    sfu.send(pli, sfu.rtp[0]!.from.port);
    await caller.waitUntil(() => caller.rtcp.some((r) => keyframeRequestFor(r.data, 0x2468ace0) === 'pli'), 3000, 'SRTCP PLI');
    await caller.waitUntil(() => caller.rtcp.some((r) => parseBitrateRequests(r.data).some((c) => c.kind === 'tmmbr' && c.bps <= 500_000 && c.overheadBytes === 50)), 3000, 'SRTCP TMMBR');
    // A re-offer with the same keys keeps the SRTP state: a replayed packet is still refused.
    await call.configureVideo('main', videoSession(caller, { srtp: keys, capBps: 500_000, feedback: { pli: true, fir: false, nack: false, remb: false, tmmbr: true } }));
    caller.send(secured[2]!, local.rtpPort);
    for (const p of src.nextFrame()) caller.send(callerTx.protectRtp(p), local.rtpPort);
    await sfu.waitUntil(() => sfu.rtp.length >= 16, 3000, 'relayed after the re-offer');
    await sleep(100);
    expect(sfu.rtp.length).toBe(16);
  });

  it('latches symmetric RTP to where the caller really sends from', async () => {
    const call = await newCall();
    const advertised = await peer();
    const real = await peer();
    const latched: Array<{ role: VideoRole; ip: string; port: number }> = [];
    call.events.on('videoLatched', (role, a) => latched.push({ role, ...a }));
    const local = await call.openVideo('slides');
    await call.configureVideo('slides', videoSession(advertised, { symmetric: true }));
    const src = new H264Source({ ssrc: 0x1000, payloadType: CALLER_PT, tag: 0x77 });
    for (const p of src.nextFrame()) real.send(p, local.rtpPort);
    await real.waitUntil(() => latched.length > 0, 3000, 'latched');
    expect(latched[0]).toEqual({ role: 'slides', ip: '127.0.0.1', port: real.port });
    // RTCP (RR with a report about the caller) now goes to the latched address.
    await real.waitUntil(() => real.rtcp.length > 0, 3000, 'RTCP to the latched address');
    await call.closeVideo('slides');
  });
});

describe('the meeting video fan-out (RoomVideo)', () => {
  let room: RoomVideo;
  let tap: VideoPeer;
  const a = new H264Source({ ssrc: 0xa0a0a0a0, payloadType: TAP_PT, tag: 0xaa, gop: 600 });
  const b = new H264Source({ ssrc: 0xb0b0b0b0, payloadType: TAP_PT, tag: 0xbb, gop: 600 });
  const plisFor = (ssrc: number) => tap.rtcp.filter((r) => keyframeRequestFor(r.data, ssrc) === 'pli').length;

  beforeAll(async () => {
    room = await engine.openRoomVideo(MEETING);
    tap = await peer();
    await room.setTapRemote({ ip: '127.0.0.1', port: tap.port });
    await room.addStream({ streamId: 'A', participantId: 'alice', source: 'camera', ssrc: a.o.ssrc, payloadType: TAP_PT, codec: 'H264' });
    await room.addStream({ streamId: 'B', participantId: 'bob', source: 'camera', ssrc: b.o.ssrc, payloadType: TAP_PT, codec: 'H264' });
    // The tap's publishers answer a PLI with a keyframe on their next frame, as browsers do.
    tap.onRtcp = (data) => {
      if (keyframeRequestFor(data, a.o.ssrc)) a.keyframeNext();
      if (keyframeRequestFor(data, b.o.ssrc)) b.keyframeNext();
    };
    stops.push(a.start((p) => tap.send(p, room.tapTarget.port), 900), b.start((p) => tap.send(p, room.tapTarget.port), 900));
  });

  afterAll(async () => {
    a.stop();
    b.stop();
    await room?.release();
  });

  it('select A then B: one SSRC, contiguous sequence numbers, B only from its keyframe, a PLI for B at the tap, videoSwitched', async () => {
    const call = await newCall();
    const viewer = await peer();
    await call.openVideo('main');
    await call.configureVideo('main', videoSession(viewer));
    await call.joinRoomVideo(room);
    const switched: Array<{ streamId: string; waitedMs: number }> = [];
    call.events.on('videoSwitched', (_role, info) => switched.push(info));

    await room.select(call.callId, 'main', 'A');
    await viewer.waitUntil(() => viewer.rtp.length >= 40, 4000, 'A forwarded');
    const plisBefore = plisFor(b.o.ssrc);
    await room.select(call.callId, 'main', 'B');
    await viewer.waitUntil(() => viewer.rtp.some((p) => tagOf(p.payload) === 0xbb) && viewer.rtp.length > 120, 4000, 'B forwarded');
    expect(plisFor(b.o.ssrc)).toBeGreaterThan(plisBefore);

    const rtp = viewer.rtp;
    expect(new Set(rtp.map((p) => p.ssrc)).size).toBe(1);
    expect(rtp.every((p) => p.payloadType === CALLER_PT)).toBe(true);
    for (let i = 1; i < rtp.length; i++) expect((rtp[i]!.sequenceNumber - rtp[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
    // A's first packet is its keyframe start, and B's first packet is B's keyframe start; after it, no A.
    const firstA = rtp.findIndex((p) => tagOf(p.payload) === 0xaa || isSyntheticKeyframeStart(p.payload));
    expect(isSyntheticKeyframeStart(rtp[firstA]!.payload)).toBe(true);
    const firstB = rtp.findIndex((p) => tagOf(p.payload) === 0xbb);
    // The STAP-A carries the tag too: the first B packet starts B's keyframe.
    expect(isSyntheticKeyframeStart(rtp[firstB]!.payload)).toBe(true);
    expect(rtp.slice(firstB).every((p) => tagOf(p.payload) === 0xbb)).toBe(true);
    // The switch cut in at a frame boundary: the packet before it ended A's frame.
    expect(rtp[firstB - 1]!.marker).toBe(true);
    await viewer.waitUntil(() => switched.some((s) => s.streamId === 'B'), 2000, 'videoSwitched B');
    expect(switched.map((s) => s.streamId)).toEqual(['A', 'B']);
    expect(switched[1]!.waitedMs).toBeGreaterThanOrEqual(0);
    expect(switched[1]!.waitedMs).toBeLessThan(1000); // the keyframe came on request, not at the 20 s GOP

    // The caller's own PLI on our SSRC → a PLI for the stream it sees (B) at the tap.
    const n = plisFor(b.o.ssrc);
    const pli = new Uint8Array(12);
    buildPli(pli, 0x42, rtp[0]!.ssrc);
    await sleep(300);
    viewer.send(pli, (await call.openVideo('main')).rtpPort);
    await tap.waitUntil(() => plisFor(b.o.ssrc) > n, 2000, "caller's PLI relayed to the tap");
    const stats = await call.videoStats('main');
    expect(stats.currentStreamId).toBe('B');
    expect(stats.switches).toBe(2);
    expect(stats.keyframeRequestsFromCaller.pli).toBe(1);
    expect(stats.forwardedBps).toBeGreaterThan(0);
    await call.leaveRoomVideo();
  });

  it('two callers: one keeps A while the other switches to B, SRTP on one; a stream removed pauses its viewers; hold sends nothing', async () => {
    const keys: SrtpSessionKeys = { suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: randomBytes(30).toString('base64'), remoteKeyBase64: randomBytes(30).toString('base64') };
    const c1 = await newCall();
    const c2 = await newCall();
    const v1 = await peer();
    const v2 = await peer();
    const rx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', Buffer.from(keys.localKeyBase64, 'base64'));
    v2.inboundRtp = (raw) => rx.unprotectRtp(raw);
    for (const [c, v, srtp] of [[c1, v1, null], [c2, v2, keys]] as const) {
      await c.openVideo('main');
      await c.configureVideo('main', videoSession(v, { srtp, codec: { name: 'H264', payloadType: CALLER_PT, ...(srtp ? { sendPayloadType: 126 } : {}), clockRate: 90000, fmtp: '' } }));
      await c.joinRoomVideo(room);
      await room.select(c.callId, 'main', 'A');
    }
    await v2.waitUntil(() => v1.rtp.length > 30 && v2.rtp.length > 30, 4000, 'both see A');
    await room.select(c2.callId, 'main', 'B');
    await v2.waitUntil(() => v2.rtp.some((p) => tagOf(p.payload) === 0xbb) && v2.rtp.length > 100, 4000, 'c2 sees B');
    expect(v1.rtp.every((p) => tagOf(p.payload) === 0xaa || isSyntheticKeyframeStart(p.payload))).toBe(true);
    expect(v2.rtp.every((p) => p.payloadType === 126)).toBe(true);
    for (const v of [v1, v2]) for (let i = 1; i < v.rtp.length; i++) expect((v.rtp[i]!.sequenceNumber - v.rtp[i - 1]!.sequenceNumber) & 0xffff).toBe(1);

    // Hold (we only receive): nothing more goes to the caller.
    await c1.configureVideo('main', videoSession(v1, { direction: 'recvonly' }));
    await sleep(100);
    const held = v1.rtp.length;
    await sleep(300);
    expect(v1.rtp.length).toBe(held);

    // B goes away: c2's output pauses; nothing else is sent until a new select.
    await room.removeStream('B');
    await sleep(100);
    const paused = v2.rtp.length;
    await sleep(300);
    expect(v2.rtp.length).toBe(paused);
    expect((await c2.videoStats('main')).currentStreamId).toBe(null);
    await room.select(c2.callId, 'main', 'A');
    await v2.waitUntil(() => v2.rtp.length > paused + 10, 3000, 'c2 back on A');
    expect(isSyntheticKeyframeStart(v2.rtp[paused]!.payload)).toBe(true);
    expect((v2.rtp[paused]!.sequenceNumber - v2.rtp[paused - 1]!.sequenceNumber) & 0xffff).toBe(1);
    await c1.leaveRoomVideo();
    await c2.leaveRoomVideo();
  });

  it("a call's main and slides m-lines show two streams at once, each with its own SSRC and PT", async () => {
    const call = await newCall();
    const mainPeer = await peer();
    const slidesPeer = await peer();
    await call.openVideo('main');
    const slidesLocal = await call.openVideo('slides');
    expect(slidesLocal.rtpPort).not.toBe((await call.openVideo('main')).rtpPort);
    await call.configureVideo('main', videoSession(mainPeer));
    await call.configureVideo('slides', videoSession(slidesPeer, { codec: { name: 'H264', payloadType: 110, clockRate: 90000, fmtp: '' } }));
    await call.joinRoomVideo(room);
    await room.addStream({ streamId: 'B', participantId: 'bob', source: 'screen', ssrc: b.o.ssrc, payloadType: TAP_PT, codec: 'H264' }); // removed by the test before
    await room.select(call.callId, 'main', 'A');
    await room.select(call.callId, 'slides', 'B');
    await slidesPeer.waitUntil(() => mainPeer.rtp.length > 30 && slidesPeer.rtp.length > 30, 4000, 'both m-lines');
    expect(mainPeer.rtp.every((p) => p.payloadType === CALLER_PT && (tagOf(p.payload) === 0xaa || isSyntheticKeyframeStart(p.payload)))).toBe(true);
    expect(slidesPeer.rtp.every((p) => p.payloadType === 110 && (tagOf(p.payload) === 0xbb || isSyntheticKeyframeStart(p.payload)))).toBe(true);
    expect(mainPeer.rtp[0]!.ssrc).not.toBe(slidesPeer.rtp[0]!.ssrc);
    await call.closeVideo('slides');
    const n = slidesPeer.rtp.length;
    await sleep(200);
    expect(slidesPeer.rtp.length).toBe(n);
    expect(mainPeer.rtp.length).toBeGreaterThan(30);
    await call.leaveRoomVideo();
  });

  it('refuses what makes no sense with typed errors', async () => {
    const call = await newCall();
    await expect(room.select(call.callId, 'main', 'A')).rejects.toMatchObject({ code: 'bad_command' }); // not joined
    await call.joinRoomVideo(room);
    await expect(room.select(call.callId, 'main', 'A')).rejects.toMatchObject({ code: 'bad_command' }); // no video open
    const v = await peer();
    await call.openVideo('main');
    await call.configureVideo('main', videoSession(v, { codec: { name: 'VP8', payloadType: 100, clockRate: 90000, fmtp: '' } }));
    await expect(room.select(call.callId, 'main', 'A')).rejects.toMatchObject({ code: 'codec_unsupported' });
    await expect(room.select(call.callId, 'main', 'nope')).rejects.toMatchObject({ code: 'bad_command' });
    await expect(call.configureVideo('slides', videoSession(v))).rejects.toMatchObject({ code: 'not_configured' });
    const elsewhere = await engine.openRoomVideo('m-other-meeting-7');
    const other = await newCall('m-other-meeting-7');
    await expect(other.joinRoomVideo(room)).rejects.toMatchObject({ code: 'bad_command' }); // another meeting's fan-out
    await other.joinRoomVideo(elsewhere);
    await elsewhere.release();
    await call.leaveRoomVideo();
  });

  it('bad packets never throw: garbage to the video, ingress and tap sockets, then everything still works', async () => {
    const { call, caller, sfu, local, target } = await callerWithIngress({ pli: true, fir: false, nack: false, remb: false, tmmbr: false });
    const junk = await peer();
    let seed = 99;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 600; i++) {
      const len = [0, 1, 2, 11, 12, 13, 40, 200][i % 8]!;
      const buf = new Uint8Array(len);
      for (let j = 0; j < len; j++) buf[j] = rand();
      if (len > 1 && i % 3 === 0) buf[0] = 0x80 | (buf[0]! & 0x3f); // version 2, random rest
      if (len > 2 && i % 5 === 0) buf[1] = CALLER_PT; // our PT, broken header
      if (len > 2 && i % 7 === 0) buf[1] = 206; // RTCP type, broken body
      junk.send(buf, local.rtpPort);
      junk.send(buf, local.rtcpPort);
      junk.send(buf, room.tapTarget.port);
      if (sfu.rtp.length > 0) junk.send(buf, sfu.rtp[0]!.from.port);
    }
    await sleep(200);
    const src = new H264Source({ ssrc: 0x99, payloadType: CALLER_PT, tag: 0x12 });
    for (const p of src.nextFrame()) caller.send(p, local.rtpPort);
    await sfu.waitUntil(() => sfu.rtp.some((p) => tagOf(p.payload) === 0x12 && p.ssrc === target.ssrc), 3000, 'still relaying');
    expect((await call.videoStats('main')).packetsRelayed).toBeGreaterThanOrEqual(4);
    const diag = await engine.workerDiagnostics();
    expect(diag.length).toBe(2);
    expect(diag.reduce((n, d) => n + d.counters.droppedPacketsTotal, 0)).toBeGreaterThan(1000);
    // Metrics: workers push counters every second.
    await sleep(1200);
    const metric = await registry.getSingleMetricAsString('gateway_video_packets_total');
    expect(Number(/direction="ingress"} (\d+)/.exec(metric)?.[1])).toBeGreaterThanOrEqual(40);
    expect(Number(/direction="egress"} (\d+)/.exec(metric)?.[1])).toBeGreaterThan(100);
    expect(await registry.getSingleMetricAsString('gateway_video_legs')).toMatch(/gateway_video_legs \d+/);
    // The switches above asked their new sources for keyframes through the tap.
    expect(Number(/gateway_video_room_keyframe_requests_total (\d+)/.exec(await registry.getSingleMetricAsString('gateway_video_room_keyframe_requests_total'))?.[1])).toBeGreaterThan(0);
  });
});

describe('a media worker that dies', () => {
  it('fails its calls (video included) and its room video; a new worker takes new ones', async () => {
    const call = await newCall('m-doomed');
    const failed: string[] = [];
    call.events.on('failed', (reason) => failed.push(reason));
    await call.openVideo('main');
    const roomVideo = await engine.openRoomVideo('m-doomed');
    await engine.terminateWorkerFor('m-doomed');
    const until = Date.now() + 5000;
    while (failed.length === 0 && Date.now() < until) await sleep(20);
    expect(failed.length).toBe(1);
    await expect(call.videoStats('main')).rejects.toMatchObject({ code: 'worker_failed' });
    await expect(roomVideo.select(call.callId, 'main', null)).rejects.toMatchObject({ code: 'worker_failed' });
    const again = await newCall('m-doomed');
    const local = await again.openVideo('main');
    expect(local.rtpPort).toBeGreaterThan(0);
    const fresh = await engine.openRoomVideo('m-doomed');
    await again.joinRoomVideo(fresh);
    await again.leaveRoomVideo();
    await fresh.release();
  });
});
