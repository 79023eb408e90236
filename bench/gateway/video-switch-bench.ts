/**
 * Video switch bench: RTP packets per second that ONE core rewrites through a SwitchedVideoStream
 * (parse, source lookup, keyframe check while a switch waits, seq/ts/SSRC/PT rewrite in place),
 * with two H.264 sources interleaved and a switch every `switchEvery` frames — the packets of the
 * source not shown are dropped, which costs a lookup. Sending is not included (a no-op sink), nor
 * SRTP (see srtp-bench.ts). A bench, not a test: nothing here passes or fails.
 *
 *   npx tsx bench/gateway/video-switch-bench.ts [seconds-per-case, default 2]
 */
import { callsPerCpuSecond } from './cpu-rate.js';
import { SwitchedVideoStream } from '../../sip-gateway/src/media/video/index.js';

const seconds = Number(process.argv[2] ?? 2);
const PAYLOAD = 1100; // bytes of H.264 per packet, as a browser/x264 at 1–2 Mbit/s sends them
const PACKETS_PER_FRAME = 5;
const GOP = 30;

/** Packets of `frames` frames of one source: keyframes (STAP-A SPS/PPS then FU-A IDR) every GOP frames. */
function sourcePackets(ssrc: number, frames: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let seq = ssrc & 0xffff;
  for (let f = 0; f < frames; f++) {
    const key = f % GOP === 0;
    for (let i = 0; i < PACKETS_PER_FRAME; i++) {
      const p = new Uint8Array(12 + PAYLOAD);
      const last = i === PACKETS_PER_FRAME - 1;
      p[0] = 0x80;
      p[1] = (last ? 0x80 : 0) | 96;
      p[2] = (seq >> 8) & 0xff;
      p[3] = seq & 0xff;
      new DataView(p.buffer).setUint32(4, (f * 3000) >>> 0);
      new DataView(p.buffer).setUint32(8, ssrc);
      if (key && i === 0) p.set([0x78, 0x00, 0x04, 0x67, 0x42, 0xe0, 0x1f, 0x00, 0x04, 0x68, 0xce, 0x3c, 0x80], 12);
      else p.set([key ? 0x7c : 0x5c, (i === 0 || (key && i === 1) ? 0x80 : last ? 0x40 : 0) | (key ? 5 : 1)], 12);
      out.push(p);
      seq = (seq + 1) & 0xffff;
    }
  }
  return out;
}

/** Calls per CPU-second of `step` (see cpu-rate.ts). */
const measure = (step: () => void): number => callsPerCpuSecond(step, seconds, 500);

const FRAMES = 300;
const a = sourcePackets(0x0a0a0001, FRAMES);
const b = sourcePackets(0x0b0b0001, FRAMES);
// Interleave frame by frame, as two cameras arrive at a worker.
const interleaved: Uint8Array[] = [];
for (let f = 0; f < FRAMES; f++) {
  for (let i = 0; i < PACKETS_PER_FRAME; i++) interleaved.push(a[f * PACKETS_PER_FRAME + i]!);
  for (let i = 0; i < PACKETS_PER_FRAME; i++) interleaved.push(b[f * PACKETS_PER_FRAME + i]!);
}
const originals = interleaved.map((p) => p.slice(0, 12)); // headers, restored before reuse

function run(label: string, switchEveryFrames: number, sourcesFed: 1 | 2): void {
  let sent = 0;
  const stream = new SwitchedVideoStream({ outputSsrc: 0x5eed }, { send: () => void sent++, requestKeyframe: () => {} });
  stream.addSource('A', { ssrc: 0x0a0a0001, payloadTypes: [{ payloadType: 96, outputPayloadType: 102, codec: 'h264' }] });
  stream.addSource('B', { ssrc: 0x0b0b0001, payloadTypes: [{ payloadType: 96, outputPayloadType: 102, codec: 'h264' }] });
  const packets = sourcesFed === 2 ? interleaved : a;
  const headers = sourcesFed === 2 ? originals : a.map((p) => p.slice(0, 12));
  let i = 0;
  let now = 0;
  let lap = 0;
  let showing = 'A';
  stream.select('A', 0);
  const perFrame = PACKETS_PER_FRAME * sourcesFed;
  const step = (): void => {
    const p = packets[i]!;
    p.set(headers[i]!, 0); // the rewrite changed it last lap
    // Keep source timestamps and sequence numbers moving forward across laps.
    const ts = (((p[4]! << 24) | (p[5]! << 16) | (p[6]! << 8) | p[7]!) + lap * FRAMES * 3000) >>> 0;
    p[4] = ts >>> 24;
    p[5] = (ts >>> 16) & 0xff;
    p[6] = (ts >>> 8) & 0xff;
    p[7] = ts & 0xff;
    const seq = (((p[2]! << 8) | p[3]!) + lap * FRAMES * PACKETS_PER_FRAME) & 0xffff;
    p[2] = seq >> 8;
    p[3] = seq & 0xff;
    stream.handlePacket(p, now);
    if (++i % perFrame === 0) {
      now += 33;
      stream.tick(now);
      if (sourcesFed === 2 && (i / perFrame) % switchEveryFrames === 0) {
        showing = showing === 'A' ? 'B' : 'A';
        stream.select(showing, now);
      }
    }
    if (i === packets.length) (i = 0), lap++;
  };
  const rate = measure(step);
  const pktPerSecAt1_5M = 1_500_000 / 8 / (12 + PAYLOAD);
  console.log(
    `| ${label} | ${Math.round(rate).toLocaleString('en')} | ${(1e6 / rate).toFixed(2)} | ${Math.round(rate / pktPerSecAt1_5M).toLocaleString('en')} | ${stream.counters.switches} | ${Math.round((100 * sent) / Math.max(1, stream.counters.forwarded + stream.counters.notSelected + stream.counters.awaitingKeyframe + stream.counters.held))} % |`,
  );
}

console.log(`node ${process.version}, ${seconds} CPU-s per case, one core; ${12 + PAYLOAD}-byte H.264 RTP packets, ${PACKETS_PER_FRAME} per frame, keyframe every ${GOP} frames`);
console.log('| case | packets/s per core (input) | µs/packet | 1.5 Mbit/s inputs per core | switches | input forwarded |');
console.log('| --- | --- | --- | --- | --- | --- |');
run('one source, no switch', 1_000_000, 1);
run('two sources, switch every 60 frames (2 s)', 60, 2);
run('two sources, switch every 10 frames', 10, 2);
