/**
 * Media engine bench: does signalling latency move while the engine mixes 100 G.711 calls in one
 * room? Measures the main (signalling) thread's event-loop delay (monitorEventLoopDelay p50/p99)
 * idle, then while 100 phones (a separate process) stream µ-law into one room; and the media
 * worker's busy time per leg (its event-loop utilisation), deadline misses, and process CPU.
 * A bench, not a test: nothing here passes or fails.
 *
 *   npx tsx bench/gateway/engine-bench.ts [calls, default 100] [seconds per phase, default 10]
 */
import { fork } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { createMediaEngine } from '../../sip-gateway/src/media/engine/index.js';
import type { CallMedia } from '../../sip-gateway/src/media/engine/index.js';

const calls = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 10);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function loopDelay(ms: number): Promise<{ p50: number; p99: number; max: number }> {
  // The histogram holds each sampling interval as measured; the delay is what exceeds the 1 ms resolution.
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await sleep(ms);
  h.disable();
  const over = (ns: number): number => Math.max(0, ns / 1e6 - 1);
  return { p50: over(h.percentile(50)), p99: over(h.percentile(99)), max: over(h.max) };
}

const fmt = (d: { p50: number; p99: number; max: number }): string => `p50 ${d.p50.toFixed(2)} ms, p99 ${d.p99.toFixed(2)} ms, max ${d.max.toFixed(2)} ms`;

const engine = await createMediaEngine({ workers: 1, rtpMinPort: 30000, rtpMaxPort: 34999 }, { logger: pino({ level: 'warn' }), prompts: { get: () => new Int16Array(160) } });
const peers = fork(new URL('./engine-bench-peers.ts', import.meta.url), [String(calls)], { execArgv: ['--import', 'tsx'] });
const ready = await new Promise<{ ports: number[]; sinkPort: number }>((resolve) => peers.once('message', (m) => resolve(m as { ports: number[]; sinkPort: number })));

console.log(`engine bench: ${calls} G.711 calls in one room on 1 media worker, ${seconds} s per phase`);
const idle = await loopDelay(seconds * 1000);
console.log(`signalling event-loop delay, engine idle:        ${fmt(idle)}`);

const room = await engine.openRoom('bench-room');
const media: CallMedia[] = [];
for (let i = 0; i < calls; i++) {
  const call = await engine.openCall({ callId: `bench-${i}`, meetingId: 'bench-room' });
  await call.configure({
    codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
    telephoneEventPayloadType: 101,
    remote: { ip: '127.0.0.1', rtpPort: ready.ports[i]!, rtcpPort: ready.ports[i]! },
    rtcpMux: true,
    srtp: null,
    direction: 'sendrecv',
    symmetric: true,
    ptimeMs: 20,
  });
  await call.joinRoom(room, { ip: '127.0.0.1', port: ready.sinkPort, payloadType: 100, ssrc: 0x10000 + i, audioLevelExtensionId: 1 }, `sip-${i}`);
  media.push(call);
}
peers.send({ cmd: 'start', callPorts: media.map((c) => c.local.rtpPort) });
await sleep(2000); // jitter buffers fill, speaker selection settles

const before = await engine.workerDiagnostics();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const loaded = await loopDelay(seconds * 1000);
const wall = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const after = await engine.workerDiagnostics();
console.log(`signalling event-loop delay, ${calls} calls mixing: ${fmt(loaded)}`);

const w0 = before[0]!;
const w1 = after[0]!;
const busyMs = w1.elu.active - w0.elu.active;
const ticks = w1.counters.ticks - w0.counters.ticks;
const cpuMs = w1.counters.threadCpuMs !== null && w0.counters.threadCpuMs !== null ? w1.counters.threadCpuMs - w0.counters.threadCpuMs : null;
if (cpuMs !== null) {
  console.log(
    `media worker thread CPU: ${((100 * cpuMs) / wall).toFixed(1)} % of a core → ${((100 * cpuMs) / wall / calls).toFixed(3)} % of a core per leg (${((cpuMs / ticks) * 1000).toFixed(0)} µs CPU per tick)`,
  );
}
console.log(
  `media worker event loop (wall, includes time preempted by other processes): busy ${((100 * busyMs) / wall).toFixed(1)} % of a core → ${((100 * busyMs) / wall / calls).toFixed(3)} % of a core per leg; ` +
    `${((busyMs / ticks) * 1000).toFixed(0)} µs per 20 ms tick; deadline misses ${w1.counters.deadlineMissesTotal - w0.counters.deadlineMissesTotal} of ${ticks} ticks`,
);
console.log(
  `process CPU (main + media worker; phones are another process): ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)} % of a core`,
);

peers.send({ cmd: 'stop' });
const { stats } = await new Promise<{ stats: { sent: number; received: number; sinkPackets: number } }>((resolve) => peers.once('message', (m) => resolve(m as never)));
console.log(`phones sent ${stats.sent} packets, heard ${stats.received}; SFU sink got ${stats.sinkPackets} Opus packets`);
for (const c of media) await c.close();
await room.release();
await engine.close();
