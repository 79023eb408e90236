/**
 * The switched stream on the SFU's real output: two ffmpeg H.264 cameras are produced into a real
 * mediasoup router (the meeting's codecs) and consumed on one PlainTransport towards our socket,
 * as the gateway's video leg will consume them. mediasoup rewrites each consumer's SSRC and payload
 * type; the switch follows the consumers, and the PLIs we build for `requestKeyframe` and for the
 * endpoint's own PLI are accepted by mediasoup as keyframe requests for those consumers (its trace
 * events) and passed on to the producers.
 */
import type { ChildProcess } from 'node:child_process';
import type dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import type * as Mediasoup from 'mediasoup';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { meetingMediaCodecs } from '../../../../sfu/src/media/codecs.js';
import { loadMediasoup } from '../../../../sfu/src/mediasoup-loader.js';
import { WorkerPool } from '../../../../sfu/src/worker-pool.js';
import { PLI_BYTES, buildPli } from './rtcp-feedback.js';
import { SwitchedVideoStream, type SwitchReport } from './switched-stream.js';
import { bindUdp, encoderArgs, startFfmpeg } from './testing/ffmpeg-rtp.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const children: ChildProcess[] = [];
const sockets: dgram.Socket[] = [];
let worker: Mediasoup.types.Worker;

beforeAll(async () => {
  const mediasoup = await loadMediasoup(WorkerPool.resolveWorkerBin(null, root));
  worker = await mediasoup.createWorker({ logLevel: 'warn', rtcMinPort: 40_000, rtcMaxPort: 55_000 });
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of sockets.splice(0)) s.close();
});
afterAll(() => worker?.close());

const OUR_SSRC = 0x0e0e0e0e;
const OUTPUT_SSRC = 0x5eed5eed;
const MEDIASOUP_PROBATOR_SSRC = 1234;

describe('SwitchedVideoStream on mediasoup consumers', () => {
  it('switches between two consumers at keyframes; our PLIs reach mediasoup as keyframe requests for the right consumer', async () => {
    const router = await worker.createRouter({ mediaCodecs: meetingMediaCodecs });
    const h264 = router.rtpCapabilities.codecs!.find((c) => c.mimeType === 'video/H264')!;

    // Two cameras: ffmpeg → a comedia PlainTransport each → a producer.
    const producers: Mediasoup.types.Producer[] = [];
    const producerPlis = new Map<string, number>();
    for (const [i, pattern] of ['testsrc', 'smptebars'].entries()) {
      const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: true });
      const producer = await transport.produce({
        kind: 'video',
        rtpParameters: {
          codecs: [{ mimeType: 'video/H264', payloadType: 96 + i, clockRate: 90000, parameters: h264.parameters, rtcpFeedback: [{ type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }] }],
          encodings: [{ ssrc: 0x1000 + i }],
        },
      });
      await producer.enableTraceEvent(['pli', 'fir']);
      producer.on('trace', (t) => t.direction === 'out' && producerPlis.set(pattern, (producerPlis.get(pattern) ?? 0) + 1));
      producers.push(producer);
      startFfmpeg(encoderArgs({ codec: 'h264', source: pattern, port: transport.tuple.localPort, seconds: 8, payloadType: 96 + i, ssrc: 0x1000 + i }), 30_000, children);
    }

    // The gateway's side: one PlainTransport, a consumer per camera, our socket as its remote.
    const socket = await bindUdp(sockets);
    const leg = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: true, comedia: false });
    await leg.connect({ ip: '127.0.0.1', port: socket.address().port });
    const consumers = await Promise.all(producers.map((p) => leg.consume({ producerId: p.id, rtpCapabilities: router.rtpCapabilities })));
    const consumerPlis = new Map<string, number>();
    for (const [i, c] of consumers.entries()) {
      await c.enableTraceEvent(['pli', 'fir']);
      c.on('trace', (t) => t.type === 'pli' && t.direction === 'in' && consumerPlis.set(i === 0 ? 'A' : 'B', (consumerPlis.get(i === 0 ? 'A' : 'B') ?? 0) + 1));
    }

    const pli = new Uint8Array(PLI_BYTES);
    const requests: string[] = [];
    const reports: SwitchReport[] = [];
    const outSeqs: number[] = [];
    const stream = new SwitchedVideoStream(
      { outputSsrc: OUTPUT_SSRC, keyframeTimeoutMs: 1500, minEndpointKeyframeIntervalMs: 0 },
      {
        send: (packet) => outSeqs.push((packet[2]! << 8) | packet[3]!),
        requestKeyframe: (id, ssrc) => {
          requests.push(id);
          buildPli(pli, OUR_SSRC, ssrc);
          socket.send(pli, leg.tuple.localPort, '127.0.0.1');
        },
        switched: (r) => reports.push(r),
      },
    );
    for (const [i, c] of consumers.entries()) {
      const codec = c.rtpParameters.codecs[0]!;
      expect(codec.mimeType).toBe('video/H264');
      stream.addSource(i === 0 ? 'A' : 'B', { ssrc: c.rtpParameters.encodings![0]!.ssrc!, payloadTypes: [{ payloadType: codec.payloadType, outputPayloadType: 109, codec: 'h264' }] });
    }
    const t0 = performance.now();
    const now = (): number => Math.trunc(performance.now() - t0);
    const unknownSsrcs = new Set<number>();
    socket.on('message', (msg: Buffer) => {
      if (stream.handlePacket(msg, now()) === 'unknown_ssrc') unknownSsrcs.add(msg.readUInt32BE(8));
    });
    const ticker = setInterval(() => stream.tick(now()), 20);
    const waitFor = async (what: () => boolean, ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (!what() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    };

    // Start once both cameras flow through mediasoup (ffmpeg takes a moment to start).
    await waitFor(() => stream.counters.notSelected >= 20, 10_000);
    stream.select('A', now());
    await waitFor(() => stream.currentSourceId === 'A', 3000);
    await new Promise((r) => setTimeout(r, 1500));
    stream.select('B', now());
    await waitFor(() => stream.currentSourceId === 'B', 3000);
    await new Promise((r) => setTimeout(r, 1000));
    // The endpoint lost a picture: its PLI on our output SSRC becomes one for B's consumer.
    const endpointPli = new Uint8Array(PLI_BYTES);
    buildPli(endpointPli, 0x77777777, OUTPUT_SSRC);
    expect(stream.handleEndpointRtcp(endpointPli, now())).toBe('pli');
    await new Promise((r) => setTimeout(r, 500));
    clearInterval(ticker);

    expect(reports.map((r) => `${r.from}->${r.to}`)).toEqual(['null->A', 'A->B']);
    expect(requests).toEqual(['A', 'B', 'B']);
    expect(Object.fromEntries(consumerPlis)).toEqual({ A: 1, B: 2 });
    // mediasoup passes them on to the camera. (Not counted for A: mediasoup's own request when the
    // consumer was created may still be pending there, and it sends one request per keyframe.)
    expect(producerPlis.get('smptebars') ?? 0).toBeGreaterThanOrEqual(1);
    expect(outSeqs.length).toBeGreaterThan(100);
    expect(outSeqs.every((s, i) => i === 0 || ((s - outSeqs[i - 1]!) & 0xffff) === 1)).toBe(true);
    // Only mediasoup's bandwidth probation packets (its probator SSRC 1234) are not a camera's.
    expect([...unknownSsrcs].filter((ssrc) => ssrc !== MEDIASOUP_PROBATOR_SSRC)).toEqual([]);
    console.log(`mediasoup consumers: switch-to-keyframe ms ${reports.map((r) => r.switchToKeyframeMs).join(', ')}; producer PLIs ${JSON.stringify(Object.fromEntries(producerPlis))}`);
    router.close();
  });
});
