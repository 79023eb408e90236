/**
 * SRTP micro-bench: packets per second on ONE core to protect and to unprotect a 172-byte G.711
 * RTP packet (12-byte header + 160 bytes = 20 ms of PCMU), for both SDES suites, plus SRTCP.
 * A caller leg is 50 packets/s each way, so legs per core ≈ packets/s / 50 per direction.
 * A bench, not a test: nothing here passes or fails.
 *
 *   npx tsx bench/gateway/srtp-bench.ts [seconds-per-case, default 1]
 */
import { callsPerCpuSecond } from './cpu-rate.js';
import { randomBytes } from 'node:crypto';
import { SrtpContext, buildReceiverReport, writeRtpPacket, type SrtpSuite } from '../../sip-gateway/src/media/rtp/index.js';

const seconds = Number(process.argv[2] ?? 1);
const POOL = 20_000;

/** Calls per CPU-second of `step` (see cpu-rate.ts). */
const measure = (step: () => void): number => callsPerCpuSecond(step, seconds, 200);

const key = new Uint8Array(randomBytes(30));
const payload = new Uint8Array(randomBytes(160));
const packets: Uint8Array[] = [];
for (let i = 0; i < POOL; i++) {
  const out = new Uint8Array(172);
  writeRtpPacket(out, { marker: false, payloadType: 0, sequenceNumber: i & 0xffff, timestamp: i * 160, ssrc: 0x1234 }, payload);
  packets.push(out);
}
const rrBuf = new Uint8Array(128);
const rr = rrBuf.slice(0, buildReceiverReport(rrBuf, { ssrc: 0x1234, reports: [{ ssrc: 1, fractionLost: 0, cumulativeLost: 0, highestSequence: 0, jitter: 0, lastSr: 0, delaySinceLastSr: 0 }], cname: 'bench' }));

function cases(suite: SrtpSuite): Array<[string, () => void]> {
  let tx = new SrtpContext(suite, key);
  let i = 0;
  const protect = () => {
    tx.protectRtp(packets[i]!);
    if (++i === POOL) (i = 0), (tx = new SrtpContext(suite, key)); // keep the index moving forward
  };
  // Unprotect needs packets never seen (replay window): pre-protect a pool, fresh receiver per lap.
  const sender = new SrtpContext(suite, key);
  const secured = packets.map((p) => sender.protectRtp(p));
  let rx = new SrtpContext(suite, key);
  let j = 0;
  const unprotect = () => {
    if (!rx.unprotectRtp(secured[j]!)) throw new Error('bench packet refused');
    if (++j === POOL) (j = 0), (rx = new SrtpContext(suite, key));
  };
  const rtcpTx = new SrtpContext(suite, key);
  const securedRtcp = Array.from({ length: POOL }, () => rtcpTx.protectRtcp(rr));
  let rtcpRx = new SrtpContext(suite, key);
  let k = 0;
  const unprotectRtcp = () => {
    if (!rtcpRx.unprotectRtcp(securedRtcp[k]!)) throw new Error('bench RTCP refused');
    if (++k === POOL) (k = 0), (rtcpRx = new SrtpContext(suite, key));
  };
  return [
    [`${suite} protectRtp`, protect],
    [`${suite} unprotectRtp`, unprotect],
    [`${suite} protectRtcp (RR+SDES, ${rr.length} B)`, () => rtcpTx.protectRtcp(rr)],
    [`${suite} unprotectRtcp`, unprotectRtcp],
  ];
}

console.log(`node ${process.version}, ${seconds} CPU-s per case, one core (this thread; rates per CPU-second), 172-byte PCMU RTP packets`);
console.log('| operation | packets/s per core | µs/packet | 50 pkt/s streams per core |');
console.log('| --- | ---: | ---: | ---: |');
for (const suite of ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'] as const) {
  for (const [name, step] of cases(suite)) {
    const pps = measure(step);
    console.log(`| ${name} | ${Math.round(pps).toLocaleString('en-US')} | ${(1e6 / pps).toFixed(2)} | ${Math.floor(pps / 50).toLocaleString('en-US')} |`);
  }
}
