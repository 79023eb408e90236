/**
 * Video legs bench (issue #10): what one forwarded room-system video leg costs in the gateway's
 * media engine, beside what mediasoup spends on a browser-like consumer of the same stream, and
 * how long a switch waits for the new stream's keyframe through a real mediasoup router.
 *
 * 1. CPU per leg: one 1.5 Mbit/s H.264 stream (30 fps, 6 × 1,040-byte packets per frame, built in
 *    code) watched by N legs, plain and SRTP:
 *    - engine: the stream arrives on a RoomVideo tap socket; N calls select it; the media worker
 *      thread's CPU (/proc/thread-self/stat) over the window;
 *    - mediasoup: the stream is a producer (comedia PlainTransport); N PlainTransport consumers
 *      (SRTP: enableSrtp) send it to N sockets; the mediasoup worker process's CPU (/proc/<pid>/stat).
 *    Each side's baseline (the stream flowing, no leg) is measured and subtracted: per leg =
 *    (CPU with N − baseline) / N. The source and the N receivers run in a child process
 *    (video-legs-bench-peers.ts), counted on neither side.
 * 2. Switch-to-keyframe: two cameras (30 fps, a keyframe on PLI on their next frame, as browsers
 *    do; otherwise every 30 s) produced into a real mediasoup router, consumed by a tap
 *    PlainTransport into the engine's RoomVideo; one call switches A ↔ B; `videoSwitched` waitedMs.
 *
 * Per-packet in-process cost of the forwarding itself (cpu-rate.ts): copy + rewrite + SRTP.
 * A bench, not a test: nothing here passes or fails.
 *
 *   npx tsx bench/gateway/video-legs-bench.ts [legs, default 10,40] [seconds per window, default 6] [switches, default 30]
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Mediasoup from 'mediasoup';
import pino from 'pino';
import { meetingMediaCodecs } from '../../sfu/src/media/codecs.js';
import { loadMediasoup } from '../../sfu/src/mediasoup-loader.js';
import { WorkerPool } from '../../sfu/src/worker-pool.js';
import { createMediaEngine, type CallMedia, type CallVideoSession, type WorkerMediaEngine } from '../../sip-gateway/src/media/engine/index.js';
import { H264Source, h264CallerSession, VideoPeer } from '../../sip-gateway/src/media/engine/testing/video-peer.js';
import { SrtpContext } from '../../sip-gateway/src/media/rtp/index.js';
import { keyframeRequestFor, SwitchedVideoStream } from '../../sip-gateway/src/media/video/index.js';
import { callsPerCpuSecond } from './cpu-rate.js';

const legCounts = (process.argv[2] ?? '10,40').split(',').map(Number);
const seconds = Number(process.argv[3] ?? 6);
const switchCount = Number(process.argv[4] ?? 30);
const WARMUP_MS = 2000;
const root = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const SOURCE = { payloadType: 96, fps: 30, packetsPerFrame: 6, packetBytes: 1040, gop: 60 } as const;

function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const peers = fork(new URL('./video-legs-bench-peers.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'] });
/** One request to the peers process (used strictly one at a time). */
function ask<T>(command: Record<string, unknown>): Promise<T> {
  return new Promise((resolve) => {
    peers.once('message', (m) => resolve(m as T));
    peers.send(command);
  });
}
const startSource = (port: number): Promise<{ port: number }> => ask({ cmd: 'source', port, ssrc: 0xcafe, ...SOURCE });
const openSinks = async (n: number): Promise<number[]> => (await ask<{ ports: number[] }>({ cmd: 'sinks', n })).ports;
const sinkBytes = async (): Promise<number> => (await ask<{ bytes: number }>({ cmd: 'bytes' })).bytes;
const resetPeers = (): Promise<unknown> => ask({ cmd: 'reset' });

function srtpKeys(): NonNullable<CallVideoSession['srtp']> {
  return { suite: 'AES_CM_128_HMAC_SHA1_80', localKeyBase64: randomBytes(30).toString('base64'), remoteKeyBase64: randomBytes(30).toString('base64') };
}

interface Row {
  side: string;
  legs: number;
  srtp: boolean;
  baseline: number;
  total: number;
  perLeg: number;
  mbpsPerLeg: number;
  /** What the side itself counted as sent, per leg (tells its own drops from the receivers'). */
  sentMbpsPerLeg: number;
}

/** Per-leg CPU scaled to exactly 1.5 Mbit/s sent (by the side's own count; pacing varies a little between runs). */
const atNominal = (r: Row): number => (r.sentMbpsPerLeg > 0 ? (r.perLeg * 1.5) / r.sentMbpsPerLeg : NaN);

/** Runs `source` into `send` and measures `cpuMs()` over the window; returns % of a core and delivered bits. */
async function window(cpuMs: () => Promise<number>, sentBytes: () => Promise<number> = async () => 0): Promise<{ pct: number; bps: number; sentBps: number }> {
  await sleep(WARMUP_MS);
  const s0 = await sentBytes();
  const c0 = await cpuMs();
  const b0 = await sinkBytes();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const c1 = await cpuMs();
  const b1 = await sinkBytes();
  const elapsed = performance.now() - t0;
  const s1 = await sentBytes();
  return { pct: ((c1 - c0) / elapsed) * 100, bps: ((b1 - b0) * 8 * 1000) / elapsed, sentBps: ((s1 - s0) * 8 * 1000) / elapsed };
}

async function engineCase(legs: number, srtp: boolean): Promise<Row> {
  const engine: WorkerMediaEngine = await createMediaEngine(
    { workers: 1, rtpMinPort: 37000, rtpMaxPort: 37999 },
    { logger: pino({ level: 'warn' }), prompts: { get: () => new Int16Array(160) } },
  );
  const cpu = async (): Promise<number> => (await engine.workerDiagnostics())[0]!.counters.threadCpuMs ?? NaN;
  const room = await engine.openRoomVideo('bench-video');
  const tap = await startSource(room.tapTarget.port);
  await room.setTapRemote({ ip: '127.0.0.1', port: tap.port });
  await room.addStream({ streamId: 'cam', participantId: 'p', source: 'camera', ssrc: 0xcafe, payloadType: SOURCE.payloadType, codec: 'H264' });
  const base = await window(cpu);
  const ports = await openSinks(legs);
  const calls: CallMedia[] = [];
  for (let i = 0; i < legs; i++) {
    const call = await engine.openCall({ callId: `v-${i}`, meetingId: 'bench-video' });
    await call.openVideo('main');
    await call.configureVideo('main', {
      codec: { name: 'H264', payloadType: 109, clockRate: 90000, fmtp: '' },
      remote: { ip: '127.0.0.1', rtpPort: ports[i]!, rtcpPort: ports[i]! },
      rtcpMux: true,
      srtp: srtp ? srtpKeys() : null,
      direction: 'sendrecv',
      symmetric: false,
      feedback: { pli: true, fir: false, nack: false, remb: false, tmmbr: true },
      capBps: 0,
    });
    await call.joinRoomVideo(room);
    await room.select(call.callId, 'main', 'cam');
    calls.push(call);
  }
  const sent = async (): Promise<number> => (await Promise.all(calls.map((c) => c.videoStats('main')))).reduce((n, st) => n + st.bytesSent, 0);
  const run = await window(cpu, sent);
  await resetPeers();
  for (const c of calls) await c.close();
  await room.release();
  await engine.close();
  return { side: 'engine (worker thread)', legs, srtp, baseline: base.pct, total: run.pct, perLeg: (run.pct - base.pct) / legs, mbpsPerLeg: run.bps / legs / 1e6, sentMbpsPerLeg: run.sentBps / legs / 1e6 };
}

async function mediasoupCase(worker: Mediasoup.types.Worker, legs: number, srtp: boolean): Promise<Row> {
  const router = await worker.createRouter({ mediaCodecs: meetingMediaCodecs });
  const h264 = router.rtpCapabilities.codecs!.find((c) => c.mimeType === 'video/H264')!;
  const inbound = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
  const producer = await inbound.produce({
    kind: 'video',
    rtpParameters: { codecs: [{ mimeType: 'video/H264', payloadType: SOURCE.payloadType, clockRate: 90000, parameters: h264.parameters, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }], encodings: [{ ssrc: 0xcafe }] },
  });
  await startSource(inbound.tuple.localPort);
  const cpu = async (): Promise<number> => procCpuMs(worker.pid);
  const base = await window(cpu);
  const ports = await openSinks(legs);
  const consumers: Mediasoup.types.Consumer[] = [];
  for (let i = 0; i < legs; i++) {
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false, ...(srtp ? { enableSrtp: true, srtpCryptoSuite: 'AES_CM_128_HMAC_SHA1_80' as const } : {}) });
    await t.connect({ ip: '127.0.0.1', port: ports[i]!, ...(srtp ? { srtpParameters: { cryptoSuite: 'AES_CM_128_HMAC_SHA1_80' as const, keyBase64: randomBytes(30).toString('base64') } } : {}) });
    consumers.push(await t.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities }));
  }
  const sent = async (): Promise<number> => (await Promise.all(consumers.map((c) => c.getStats()))).reduce((n, st) => n + (st.find((x) => x.type === 'outbound-rtp')?.byteCount ?? 0), 0);
  const run = await window(cpu, sent);
  await resetPeers();
  router.close();
  return { side: 'mediasoup (worker process)', legs, srtp, baseline: base.pct, total: run.pct, perLeg: (run.pct - base.pct) / legs, mbpsPerLeg: run.bps / legs / 1e6, sentMbpsPerLeg: run.sentBps / legs / 1e6 };
}

async function switchTimes(worker: Mediasoup.types.Worker): Promise<number[]> {
  const router = await worker.createRouter({ mediaCodecs: meetingMediaCodecs });
  const h264 = router.rtpCapabilities.codecs!.find((c) => c.mimeType === 'video/H264')!;
  const engine = await createMediaEngine({ workers: 1, rtpMinPort: 37000, rtpMaxPort: 37999 }, { logger: pino({ level: 'warn' }), prompts: { get: () => new Int16Array(160) } });
  const room = await engine.openRoomVideo('bench-switch');
  const tap = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
  await tap.connect({ ip: room.tapTarget.ip, port: room.tapTarget.port });
  await room.setTapRemote({ ip: '127.0.0.1', port: tap.tuple.localPort });
  const stops: Array<() => void> = [];
  const sockets: VideoPeer[] = [];
  for (const [i, id] of ['A', 'B'].entries()) {
    const t = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
    const ssrc = 0x100 + i;
    const producer = await t.produce({
      kind: 'video',
      rtpParameters: { codecs: [{ mimeType: 'video/H264', payloadType: 96, clockRate: 90000, parameters: h264.parameters, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }], encodings: [{ ssrc }] },
    });
    const cam = await VideoPeer.open();
    sockets.push(cam);
    const source = new H264Source({ ssrc, tag: 10 + i, ...SOURCE, gop: 900 });
    cam.onRtcp = (d) => keyframeRequestFor(d, ssrc) && source.keyframeNext();
    stops.push(source.start((p) => cam.send(p, t.tuple.localPort), 1e9));
    const consumer = await tap.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    await room.addStream({ streamId: id, participantId: id, source: 'camera', ssrc: consumer.rtpParameters.encodings![0]!.ssrc!, payloadType: consumer.rtpParameters.codecs[0]!.payloadType, codec: 'H264' });
  }
  const viewer = await VideoPeer.open();
  sockets.push(viewer);
  const call = await engine.openCall({ callId: 'switcher', meetingId: 'bench-switch' });
  await call.openVideo('main');
  await call.configureVideo('main', h264CallerSession(viewer, 109, { codec: { name: 'H264', payloadType: 109, clockRate: 90000, fmtp: '' } }));
  await call.joinRoomVideo(room);
  const waited: number[] = [];
  call.events.on('videoSwitched', (_r, info) => waited.push(info.waitedMs));
  await room.select(call.callId, 'main', 'A');
  await sleep(1500);
  waited.length = 0;
  for (let i = 0; i < switchCount; i++) {
    await room.select(call.callId, 'main', i % 2 === 0 ? 'B' : 'A');
    await sleep(700 + Math.floor(Math.random() * 300));
  }
  for (const s of stops) s();
  await call.close();
  await room.release();
  await engine.close();
  for (const p of sockets) p.close();
  router.close();
  return waited;
}

/** In-process cost of one forwarded packet: copy, SwitchedVideoStream rewrite, optional SRTP protect. */
function perPacketMicro(): Array<{ name: string; usPerPacket: number }> {
  const source = new H264Source({ ssrc: 0xcafe, tag: 1, ...SOURCE });
  const frames: Uint8Array[] = [];
  for (let f = 0; f < 60; f++) frames.push(...source.nextFrame());
  const out: Array<{ name: string; usPerPacket: number }> = [];
  for (const srtp of [false, true]) {
    const ctx = new SrtpContext('AES_CM_128_HMAC_SHA1_80', randomBytes(30));
    let sink = 0;
    const stream = new SwitchedVideoStream({ outputSsrc: 0x1234 }, { send: (p, len) => (sink += srtp ? ctx.protectRtp(p.subarray(0, len)).length : len), requestKeyframe: () => undefined });
    stream.addSource('cam', { ssrc: 0xcafe, payloadTypes: [{ payloadType: 96, outputPayloadType: 109, codec: 'h264' }] });
    stream.select('cam', 0);
    let i = 0;
    let now = 0;
    const rate = callsPerCpuSecond(() => {
      const p = frames[i % frames.length]!;
      const copy = Buffer.allocUnsafe(p.length);
      copy.set(p);
      stream.handlePacket(copy, now);
      if (++i % 6 === 0) now += 33;
    }, 1);
    void sink;
    out.push({ name: srtp ? 'copy + rewrite + SRTP protect' : 'copy + rewrite', usPerPacket: 1e6 / rate });
  }
  return out;
}

const pct = (values: number[], p: number): number => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

const mediasoup = await loadMediasoup(WorkerPool.resolveWorkerBin(null, root));
const worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 40_000, rtcMaxPort: 55_000 });
console.log(`video legs bench: 1.5 Mbit/s H.264 (30 fps, 6 × 1,040 B per frame), legs ${legCounts.join(', ')}, ${seconds} s windows after ${WARMUP_MS} ms warm-up; load avg ${readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ')}`);
const rows: Row[] = [];
for (const legs of legCounts) {
  for (const srtp of [false, true]) {
    rows.push(await engineCase(legs, srtp));
    console.log(JSON.stringify(rows.at(-1)));
    rows.push(await mediasoupCase(worker, legs, srtp));
    console.log(JSON.stringify(rows.at(-1)));
  }
}
console.log('\n| side | legs | SRTP | baseline %core (stream, no leg) | total %core | %core per leg | Mbit/s sent per leg (own count) | Mbit/s received per leg | %core per 1.5 Mbit/s leg |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.side} | ${r.legs} | ${r.srtp ? 'yes' : 'no'} | ${r.baseline.toFixed(1)} | ${r.total.toFixed(1)} | ${r.perLeg.toFixed(2)} | ${r.sentMbpsPerLeg.toFixed(2)} | ${r.mbpsPerLeg.toFixed(2)} | ${atNominal(r).toFixed(2)} |`);

console.log('\nper forwarded packet in-process (one core, cpu-rate.ts):');
for (const m of perPacketMicro()) console.log(`  ${m.name}: ${m.usPerPacket.toFixed(2)} µs/packet`);

const waited = await switchTimes(worker);
console.log(`\nswitch-to-keyframe through mediasoup (${waited.length} switches, 30 fps cameras answering PLI): p50 ${pct(waited, 50)} ms, p95 ${pct(waited, 95)} ms, max ${Math.max(...waited)} ms`);
console.log(`load avg at the end: ${readFileSync('/proc/loadavg', 'latin1').split(' ').slice(0, 3).join(' ')}`);
worker.close();
peers.kill();
process.exit(0);
