#!/usr/bin/env node
// Convene media-plane bench: the same Go WebRTC load client and the same scenarios against
// Convene, raw mediasoup (bench/media/raw-mediasoup.ts, the floor) and Janus VideoRoom, in one run.
// Prints a table per scenario, writes JSON and an SVG plot (CPU and loss as load steps up).
//
//   node bench/media/run.mjs            full run (see README for its length)
//   node bench/media/run.mjs --quick    one small step per scenario and server, < 3 minutes
//   --servers convene,mediasoup,janus   which servers (default: all that are available)
//   --scenarios a,b,c,d                 which scenarios (also e: last-N churn, not in the default set)
//   --out DIR                           where results go (default bench/media/results)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureClient, ensureMedia, LAYERS, FPS } from './setup.mjs';
import { startJanus, janusAvailable } from './janus-server.mjs';
import { renderSvg } from './plot.mjs';
import { procStat, processTree, threadTicks, treeTicks, treeRssKb, CLK_TCK, commOf, udpReceiveBufferDrops, udpDefaultReceiveBufferBytes } from './proc-stats.mjs';
import { adminApi, BENCH_BOOTSTRAP_TOKEN, startConveneNode } from './convene-node.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const DOMAIN = 'convene.example';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    servers: { type: 'string', default: 'convene,mediasoup,janus' },
    scenarios: { type: 'string', default: 'a,b,c,d' },
    out: { type: 'string', default: path.join(here, 'results') },
  },
});
const quick = args.quick;
const started = Date.now();
const log = (msg) => process.stderr.write(`[media-bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-media-bench-'));
const children = new Set();

// ---- scenarios --------------------------------------------------------------------------------
// Each scenario is a list of load steps; each step is one client run of `holdS` seconds.
const layerKbps = LAYERS.map((l) => l.kbps);
const pub = (name, room, { audio = 'never', slot = 0, video = 'simulcast', receive = true, kbps = 2400 } = {}) => ({ name, room, mode: 'video', bandwidthKbps: kbps, audio, speakerSlot: slot, video, receive });
const listener = (name, room) => ({ name, room, mode: 'audio-only', bandwidthKbps: 256, audio: 'none', video: 'none', receive: true });
const viewer = (name, room, kbps = 2400) => ({ name, room, mode: 'video', bandwidthKbps: kbps, audio: 'none', video: 'none', receive: true });

const SCENARIOS = {
  a: {
    title: '(a) large meeting: P publishers (audio+simulcast video), S subscribers, last-N 9',
    rooms: 1,
    steps: quick ? [{ P: 3, S: 6 }] : [{ P: 4, S: 8 }, { P: 6, S: 18 }, { P: 9, S: 30 }],
    label: (s) => `P=${s.P} S=${s.S}`,
    load: (s) => s.P + s.S,
    participants: (s, rooms) => [
      ...Array.from({ length: s.P }, (_, i) => pub(`pub-${i}`, rooms[0], { audio: 'slot', slot: i % 3 })),
      ...Array.from({ length: s.S }, (_, i) => viewer(`sub-${i}`, rooms[0])),
    ],
  },
  b: {
    title: '(b) many small meetings: M meetings of 4 (everyone sends audio+simulcast video, receives the 3 others)',
    rooms: quick ? 3 : 12,
    steps: quick ? [{ M: 3 }] : [{ M: 3 }, { M: 6 }, { M: 12 }],
    label: (s) => `M=${s.M}`,
    load: (s) => s.M * 4,
    participants: (s, rooms) => Array.from({ length: s.M * 4 }, (_, i) => pub(`m${Math.floor(i / 4)}-p${i % 4}`, rooms[Math.floor(i / 4)], { audio: 'slot', slot: i % 4 })),
  },
  c: {
    title: '(c) audio-only town hall: 1 speaker, many listeners',
    rooms: 1,
    steps: quick ? [{ L: 20 }] : [{ L: 25 }, { L: 50 }, { L: 99 }],
    label: (s) => `L=${s.L}`,
    load: (s) => s.L + 1,
    participants: (s, rooms) => [
      { ...pub('speaker', rooms[0], { audio: 'always', video: 'none', receive: false }), mode: 'audio-only', bandwidthKbps: 256 },
      ...Array.from({ length: s.L }, (_, i) => listener(`listener-${i}`, rooms[0])),
    ],
  },
  e: {
    // Not in the default set: more camera publishers than last-N, speakers rotating every 4 s
    // among all of them, so every video subscriber's last-N set changes (consumer churn).
    title: '(e) last-N churn: P publishers > last-N 9, speakers rotating through all of them, S subscribers',
    rooms: 1,
    steps: [{ P: 15, S: 10 }],
    label: (s) => `P=${s.P} S=${s.S}`,
    load: (s) => s.P + s.S,
    participants: (s, rooms) => [
      ...Array.from({ length: s.P }, (_, i) => pub(`pub-${i}`, rooms[0], { audio: 'slot', slot: i % 5 })),
      ...Array.from({ length: s.S }, (_, i) => viewer(`sub-${i}`, rooms[0])),
    ],
  },
  warmup: {
    // Not a measured scenario: the unmeasured warm-up every server gets first — one participant of
    // every kind the scenarios use (camera publishers, a video viewer, an audio-only speaker and
    // listeners), so no measured step carries a code path's first use (a server's JIT, first
    // rooms). With only video in the warm-up, the first audio-only step showed 1.5–2 % of a core
    // more in Convene's Node in two runs of four.
    title: 'warm-up: a meeting of 4 with a viewer, and a small audio-only town hall',
    rooms: 2,
    steps: [{}],
    label: () => 'warm-up',
    load: () => 9,
    participants: (_s, rooms) => [
      ...Array.from({ length: 4 }, (_, i) => pub(`w-p${i}`, rooms[0], { audio: 'slot', slot: i % 4 })),
      viewer('w-viewer', rooms[0]),
      { ...pub('w-speaker', rooms[1], { audio: 'always', video: 'none', receive: false }), mode: 'audio-only', bandwidthKbps: 256 },
      ...Array.from({ length: 3 }, (_, i) => listener(`w-listener-${i}`, rooms[1])),
    ],
  },
  d: {
    title: '(d) SPEC meeting: N participants all sending audio (3 rotating speakers, the rest DTX), V of them simulcast video at 1.5 Mbps, last-N 9',
    rooms: 1,
    steps: quick ? [{ N: 20, V: 5 }] : [{ N: 100, V: 25 }],
    holdS: quick ? undefined : 60,
    label: (s) => `N=${s.N} V=${s.V}`,
    load: (s) => s.N,
    participants: (s, rooms) =>
      Array.from({ length: s.N }, (_, i) => ({
        ...pub(`p-${i}`, rooms[0], { audio: i < 6 ? 'slot' : 'never', slot: i % 3, video: i < s.V ? 'simulcast' : 'none' }),
        mode: i < s.V ? 'video' : 'video',
        bandwidthKbps: 2400,
      })),
  },
};
const HOLD_S = quick ? 6 : 20;
const SETTLE_AFTER_WARMUP_MS = quick ? 5000 : 10_000;
/**
 * What the top-level README recommends for net.core.rmem_default on a media node: the value of
 * sfu/src/udp-buffers.ts's RECOMMENDED_UDP_RECEIVE_BUFFER_BYTES (this script runs under plain node
 * and cannot import TypeScript; the node itself warns from there).
 */
const RECOMMENDED_UDP_RECEIVE_BUFFER = 4 * 1048576;
const JOIN_SPREAD_MS = quick ? 1500 : 5000;

// ---- servers ----------------------------------------------------------------------------------
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function track(proc) {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

async function startConvene() {
  const { proc, httpUrl, wsUrl } = await startConveneNode({
    dir: path.join(workDir, 'convene'),
    track,
    configLines: [
      // One worker, like the raw mediasoup floor: the comparison is per core.
      'sfu: { workers: 1, webRtcServer: { listenIp: 127.0.0.1, basePort: 0 } }',
      'sip: { transports: [{ protocol: udp, host: 127.0.0.1, port: 0 }] }',
      `admin: { bootstrapToken: ${BENCH_BOOTSTRAP_TOKEN} }`,
      'signaling: { ratePerSecond: 100, burst: 200 }',
      'demo: { seed: false }',
      'shutdown: { graceMs: 3000 }',
    ],
  });
  const maxRooms = Math.max(...Object.values(SCENARIOS).map((s) => s.rooms));
  const company = await adminApi(httpUrl, 'POST', '/companies', { name: `Media bench ${new Date().toISOString()}` });
  await adminApi(httpUrl, 'POST', `/companies/${company.id}/plans`, {
    planType: 'enterprise_user', quantity: 100, pricePerLicenceCents: 0, currency: 'EUR', paymentPlan: 'monthly', autoRenew: true, costCenter: 'bench', references: '', reference: 'bench',
  });
  // Fresh rooms per scenario step, so one step's leftovers never meet the next. Each team VMR takes
  // an Enterprise User Licence (the full run makes ≈ 45), and each adds 10 to the company's cap.
  let n = 0;
  const newRooms = async (count) => {
    const out = [];
    for (let i = 0; i < count; i++) {
      const localPart = `media.bench.${String(n++).padStart(3, '0')}`;
      out.push((await adminApi(httpUrl, 'POST', `/companies/${company.id}/team-vmrs`, { name: localPart, localPart, domain: DOMAIN })).vmr.addresses[0]);
    }
    return out;
  };
  void maxRooms;
  return { name: 'convene', label: 'Convene', proc, pid: proc.pid, wsUrl, kind: 'convene', newRooms };
}

async function startRawMediasoup() {
  const proc = track(spawn(process.execPath, ['--import', tsxLoader, path.join(here, 'raw-mediasoup.ts'), '--port', '0', '--last-n', '9'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const line = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('raw mediasoup not ready in 60 s')), 60_000);
    proc.stdout.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl));
      }
    });
    proc.once('exit', (code) => reject(new Error(`raw mediasoup exited ${code}`)));
  });
  const { port } = JSON.parse(line);
  let n = 0;
  return { name: 'mediasoup', label: 'raw mediasoup', proc, pid: proc.pid, wsUrl: `ws://127.0.0.1:${port}/ws`, kind: 'convene', newRooms: async (count) => Array.from({ length: count }, () => `room-${n++}`) };
}

async function stopServer(server) {
  if (!server?.proc || server.proc.exitCode !== null) return;
  const pids = processTree(server.pid);
  const exited = new Promise((r) => server.proc.once('exit', r));
  server.proc.kill('SIGTERM');
  if (!(await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]))) {
    for (const p of pids.reverse()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

// ---- one step ---------------------------------------------------------------------------------
/**
 * The server's processes: its tree, less the esbuild service that tsx (the bench's way of running
 * TypeScript, for Convene and the floor alike) keeps beside Node — 0.1–0.2 % of a core that a
 * production node, run from compiled JavaScript, does not have.
 */
function serverProcesses(server) {
  return processTree(server.pid).filter((pid) => commOf(pid) !== 'esbuild');
}

/** CPU ticks of each pid (one /proc read each); their sum is the tree's. */
const processTicks = (pids) => new Map(pids.map((pid) => [pid, procStat(pid)?.ticks ?? 0]));
const sumTicks = (perProcess) => [...perProcess.values()].reduce((a, t) => a + t, 0);

function startPerf(file, pids, seconds) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const proc = spawn('perf', ['record', '-q', '-F', '499', '-g', '-o', file, '-p', pids.join(','), '--', 'sleep', String(seconds)], { stdio: 'ignore' });
  return new Promise((resolve) => {
    proc.once('exit', resolve);
    proc.once('error', (err) => {
      log(`perf: ${err.message}`);
      resolve();
    });
  });
}

/**
 * Which consumed streams count as forwarded ("held"): open and not paused by the server at the end,
 * and either carrying packets or the audio of a publisher who said nothing while the stream was
 * held (the client counts each publisher's voice packets; silent senders send only Opus DTX frames).
 * Convene and the floor drop DTX frames in the worker, so such a stream carries nothing yet is held
 * and delivers the first word at once; Janus forwards the DTX frames. Counting only streams with
 * packets made the same subscription count for Janus and not for the others. A stream that should
 * have carried something and got nothing (video, or audio its publisher spoke on) is `missing`,
 * reported on its own, never counted as held.
 */
function classifyStreams(streams, plan) {
  const names = new Set(plan.participants.map((p) => p.name));
  let held = 0;
  let withPackets = 0;
  let missing = 0;
  for (const s of streams) {
    if (s.packets > 0) withPackets++;
    if (s.closed || s.pausedAtEnd) continue;
    if (s.packets > 0 || (s.kind === 'audio' && s.publisherVoiceSent === 0 && names.has(s.publisher))) held++;
    else missing++;
  }
  return { held, withPackets, missing };
}

function pct(xs, p) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function runStep(server, client, mediaDir, scenarioKey, step, { holdS: holdOverride, tagPrefix = '' } = {}) {
  const sc = SCENARIOS[scenarioKey];
  const rooms = await server.newRooms(sc.rooms);
  const holdS = holdOverride ?? sc.holdS ?? HOLD_S;
  const plan = {
    server: server.kind,
    wsUrl: server.wsUrl,
    mediaDir,
    fps: FPS,
    durationS: holdS,
    joinSpreadMs: JOIN_SPREAD_MS,
    speakerSwitchS: 4,
    speakerSlots: scenarioKey === 'e' ? 5 : 3,
    layerKbps,
    participants: sc.participants(step, rooms),
  };
  const tag = `${tagPrefix}${server.name}-${scenarioKey}-${sc.label(step).replace(/[^A-Za-z0-9]+/g, '_')}`;
  const planFile = path.join(workDir, `${tag}.plan.json`);
  const outFile = path.join(workDir, `${tag}.out.json`);
  fs.writeFileSync(planFile, JSON.stringify(plan));
  const logFd = fs.openSync(path.join(workDir, `${tag}.client.log`), 'w');
  const proc = track(spawn(client, ['-plan', planFile, '-out', outFile], { stdio: ['ignore', logFd, logFd] }));
  fs.closeSync(logFd);
  const exited = new Promise((r) => proc.once('exit', r));
  // The server's CPU each second of the step (join, hold, teardown), for the JSON: shows where the
  // joins' work ends and the measured window sits.
  const timeline = [];
  const timelineStart = performance.now();
  let lastTicks = treeTicks(serverProcesses(server));
  const sampler = setInterval(() => {
    const ticks = treeTicks(serverProcesses(server));
    timeline.push({ s: Math.round((performance.now() - timelineStart) / 100) / 10, pct: ticks - lastTicks });
    lastTicks = ticks;
  }, 1000);
  const killer = setTimeout(() => proc.kill('SIGKILL'), (holdS + JOIN_SPREAD_MS / 1000 + 60) * 1000);
  // Measure over the hold, once everyone has had time to join and start sending.
  await Promise.race([sleep(JOIN_SPREAD_MS + 2500), exited]);
  const serverPids = serverProcesses(server);
  const s0 = { at: performance.now(), perProcess: processTicks(serverPids), root: procStat(server.pid)?.ticks ?? 0, rootThreads: threadTicks(server.pid), client: procStat(proc.pid)?.ticks ?? 0, udpDrops: udpReceiveBufferDrops() };
  // BENCH_PERF_DIR=dir: a `perf record` of the server's processes over the window, per step, to
  // compare where each server's CPU goes (perf report -i dir/<step>.perf.data --sort comm,dso,symbol).
  const perf = process.env.BENCH_PERF_DIR ? startPerf(path.join(process.env.BENCH_PERF_DIR, `${tag}.perf.data`), serverPids, Math.max(1, holdS - 3)) : null;
  await Promise.race([sleep(Math.max(1000, (holdS - 3) * 1000)), exited]);
  await perf;
  const s1 = { at: performance.now(), perProcess: processTicks(serverPids), root: procStat(server.pid)?.ticks ?? 0, rootThreads: threadTicks(server.pid), client: procStat(proc.pid)?.ticks ?? s0.client, rssKb: treeRssKb(serverPids), udpDrops: udpReceiveBufferDrops() };
  await exited;
  clearInterval(sampler);
  clearTimeout(killer);
  const seconds = (s1.at - s0.at) / 1000;
  const serverCpu = ((sumTicks(s1.perProcess) - sumTicks(s0.perProcess)) / CLK_TCK / seconds) * 100;
  const clientCpu = ((s1.client - s0.client) / CLK_TCK / seconds) * 100;
  // The server's main process alone (Convene and the floor: Node; Janus: everything).
  const mainCpu = ((s1.root - s0.root) / CLK_TCK / seconds) * 100;
  // Per process of the tree (Convene: node, mediasoup-worker, redis-server), busiest first.
  const processesCpuPct = serverPids
    .map((pid) => ({ process: commOf(pid) || String(pid), pct: (((s1.perProcess.get(pid) ?? 0) - (s0.perProcess.get(pid) ?? 0)) / CLK_TCK / seconds) * 100 }))
    .sort((a, b) => b.pct - a.pct);
  // The root process per thread (Convene: the signalling thread is the one whose id is the pid;
  // the gateway's media workers and V8's helpers are the others), busiest first.
  const rootThreadsCpuPct = [...s1.rootThreads]
    .map(([tid, t]) => ({ thread: tid === server.pid ? 'main' : String(tid), pct: ((t - (s0.rootThreads.get(tid) ?? 0)) / CLK_TCK / seconds) * 100 }))
    .filter((x) => x.pct > 0)
    .sort((a, b) => b.pct - a.pct);
  if (!fs.existsSync(outFile)) throw new Error(`${tag}: client wrote no results; see ${workDir}/${tag}.client.log`);
  const out = JSON.parse(fs.readFileSync(outFile, 'utf8'));
  const streams = out.participants.flatMap((p) => p.streams);
  const consumersClosed = streams.filter((s) => s.closed).length;
  const { held, withPackets, missing } = classifyStreams(streams, plan);
  const packets = streams.reduce((a, s) => a + s.packets, 0);
  const lost = streams.reduce((a, s) => a + s.lost, 0);
  const video = streams.filter((s) => s.kind === 'video');
  const firstFrames = (video.length ? video : streams).map((s) => s.firstFrameMs).filter((x) => x >= 0);
  const activeS = pct(streams.map((s) => s.activeS), 50) ?? holdS;
  const layerBytes = {};
  for (const s of video) for (const [k, v] of Object.entries(s.bytesByLayer ?? {})) layerBytes[k] = (layerBytes[k] ?? 0) + v;
  const errors = {};
  for (const p of out.participants) if (p.error) errors[p.error.replace(/[0-9a-f-]{8,}/g, '…')] = (errors[p.error] ?? 0) + 1;
  return {
    server: server.name,
    scenario: scenarioKey,
    step: sc.label(step),
    load: sc.load(step),
    participants: out.participants.length,
    joined: out.participants.filter((p) => p.joined).length,
    errors,
    serverCpuPct: serverCpu,
    serverMainProcessCpuPct: mainCpu,
    serverMainProcessThreadsCpuPct: rootThreadsCpuPct,
    serverProcessesCpuPct: processesCpuPct,
    windowS: [Math.round((s0.at - timelineStart) / 100) / 10, Math.round((s1.at - timelineStart) / 100) / 10],
    serverCpuTimeline: timeline,
    serverRssMb: s1.rssKb / 1024,
    clientCpuPct: clientCpu,
    // See classifyStreams. `forwardedStreams` keeps its name in the JSON: streams held.
    forwardedStreams: held,
    streamsWithPackets: withPackets,
    streamsMissing: missing,
    cpuPerStreamPct: held ? serverCpu / held : null,
    cpuPerKiloPacketsPct: packets ? serverCpu / (packets / activeS / 1000) : null,
    packetsPerS: packets / activeS,
    lossPct: packets + lost ? (100 * lost) / (packets + lost) : 0,
    p95FirstFrameMs: pct(firstFrames, 95),
    // Per consumer, from its announcement (differs from the above when last-N swaps streams in late).
    p95FirstFrameAfterConsumeMs: pct((video.length ? video : streams).map((s) => s.firstFrameAfterAddMs).filter((x) => x >= 0), 95),
    freezes: video.reduce((a, s) => a + s.freezes, 0),
    receiveKbpsByLayer: Object.fromEntries(Object.entries(layerBytes).map(([k, v]) => [k, Math.round((v * 8) / 1000 / activeS)])),
    jitterP95Ms: pct(streams.map((s) => s.jitterMs), 95),
    keyframesOnRequest: out.keyframesOnRequest ?? 0,
    consumersClosed,
    // Machine-wide, over the hold window: datagrams dropped by the kernel because a socket's
    // receive buffer was full (server or client) — the usual source of loss on a busy box.
    kernelUdpDrops: s0.udpDrops === null || s1.udpDrops === null ? null : s1.udpDrops - s0.udpDrops,
    lostAudio: streams.filter((s) => s.kind === 'audio').reduce((a, s) => a + s.lost, 0),
    lostVideo: video.reduce((a, s) => a + s.lost, 0),
  };
}

// ---- output -----------------------------------------------------------------------------------
const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x).toFixed(d));
function table(rows) {
  const head = ['server', 'step', 'joined', 'srv CPU %core', 'of it Node %', 'CPU %/stream', 'CPU %/kpps', 'srv RSS MB', 'streams', 'with pkts', 'missing', 'pkts/s fwd', 'loss %', 'p95 1st frame ms', 'freezes', 'kernel UDP drops', 'client CPU %'];
  const body = rows.map((r) => [r.server, r.step, `${r.joined}/${r.participants}`, fmt(r.serverCpuPct), r.server === 'janus' ? '—' : fmt(r.serverMainProcessCpuPct), fmt(r.cpuPerStreamPct, 3), fmt(r.cpuPerKiloPacketsPct, 2), fmt(r.serverRssMb, 0), String(r.forwardedStreams), String(r.streamsWithPackets), String(r.streamsMissing), fmt(r.packetsPerS, 0), fmt(r.lossPct, 2), fmt(r.p95FirstFrameMs, 0), String(r.freezes), r.kernelUdpDrops === null || r.kernelUdpDrops === undefined ? '—' : String(r.kernelUdpDrops), fmt(r.clientCpuPct)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Least-squares slope of y over x (null with fewer than two distinct x): CPU per added stream. */
function slope(points) {
  if (new Set(points.map(([x]) => x)).size < 2) return null;
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const sxy = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}

/**
 * The issue's goals per scenario: server CPU summed over the scenario's steps, divided by streams
 * held summed (and by packets/s forwarded summed), Convene against the floor and against Janus.
 */
function goals(results, scenarioKeys) {
  const out = {};
  for (const k of scenarioKeys) {
    const per = {};
    for (const server of ['convene', 'mediasoup', 'janus']) {
      const rows = results.filter((r) => r.scenario === k && r.server === server && !r.failed);
      if (!rows.length) continue;
      const cpu = rows.reduce((a, r) => a + r.serverCpuPct, 0);
      const streams = rows.reduce((a, r) => a + r.forwardedStreams, 0);
      const kpps = rows.reduce((a, r) => a + r.packetsPerS / 1000, 0);
      per[server] = { perStreamPct: streams ? cpu / streams : null, perKiloPacketsPct: kpps ? cpu / kpps : null, marginalPerStreamPct: slope(rows.map((r) => [r.forwardedStreams, r.serverCpuPct])), steps: rows.length };
    }
    const ratio = (a, b, key) => (a?.[key] && b?.[key] ? a[key] / b[key] : null);
    out[k] = {
      ...per,
      conveneOverFloor: { perStream: ratio(per.convene, per.mediasoup, 'perStreamPct'), perKiloPackets: ratio(per.convene, per.mediasoup, 'perKiloPacketsPct'), marginalPerStream: ratio(per.convene, per.mediasoup, 'marginalPerStreamPct') },
      conveneOverJanus: { perStream: ratio(per.convene, per.janus, 'perStreamPct'), perKiloPackets: ratio(per.convene, per.janus, 'perKiloPacketsPct') },
    };
  }
  return out;
}

function goalsTable(g) {
  const head = ['scenario', 'Convene %/stream', 'floor %/stream', 'Janus %/stream', 'Convene ÷ floor (goal ≤ 1.1)', 'Convene ÷ Janus (goal < 1)', 'per kpps: ÷ floor', 'per kpps: ÷ Janus', 'per added stream: ÷ floor'];
  const body = Object.entries(g).map(([k, v]) => [k, fmt(v.convene?.perStreamPct, 4), fmt(v.mediasoup?.perStreamPct, 4), fmt(v.janus?.perStreamPct, 4), fmt(v.conveneOverFloor.perStream, 2), fmt(v.conveneOverJanus.perStream, 2), fmt(v.conveneOverFloor.perKiloPackets, 2), fmt(v.conveneOverJanus.perKiloPackets, 2), fmt(v.conveneOverFloor.marginalPerStream, 2)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Waits until every server's process tree is nearly idle (the last step's teardown done), at most maxMs. */
async function waitQuiet(servers, { belowPct = 5, maxMs = 15_000, sampleMs = 500 } = {}) {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline) {
    const trees = servers.filter((s) => s.proc.exitCode === null).map(serverProcesses);
    const t0 = trees.map(treeTicks);
    await sleep(sampleMs);
    if (trees.every((pids, i) => ((treeTicks(pids) - t0[i]) / CLK_TCK / (sampleMs / 1000)) * 100 < belowPct)) return;
  }
}

async function main() {
  const wanted = new Set(args.servers.split(','));
  const scenarioKeys = args.scenarios.split(',').filter((k) => SCENARIOS[k] && k !== 'warmup');
  log(`${quick ? 'quick' : 'full'} run; work dir ${workDir}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  const rmem = udpDefaultReceiveBufferBytes();
  log(`UDP receive buffer per new socket (net.core.rmem_default): ${rmem === null ? 'unknown' : `${Math.round(rmem / 1024)} KiB`}`);
  if (rmem !== null && rmem < RECOMMENDED_UDP_RECEIVE_BUFFER) {
    log(`  below the ${RECOMMENDED_UDP_RECEIVE_BUFFER / 1048576} MiB the README recommends for media servers: bursts will be dropped by the kernel`);
    log(`  (sudo sysctl -w net.core.rmem_default=${RECOMMENDED_UDP_RECEIVE_BUFFER} net.core.rmem_max=${RECOMMENDED_UDP_RECEIVE_BUFFER}; see the "kernel UDP drops" column)`);
  }
  const client = ensureClient();
  const mediaDir = ensureMedia();
  log(`client ${client}; media ${mediaDir}`);
  const starters = [
    ['convene', startConvene],
    ['mediasoup', startRawMediasoup],
    ['janus', async () => {
      const why = janusAvailable();
      if (why !== true) throw new Error(why);
      return startJanus(workDir, track);
    }],
  ].filter(([n]) => wanted.has(n));
  const results = [];
  const skipped = {};
  const loadBefore = os.loadavg();
  // All servers run at once and every step runs on each of them back to back (the order rotating
  // from step to step), so drift on the machine over the run's minutes lands on all servers alike
  // instead of on whichever ran last: run server-after-server, the floor's own figures moved up to
  // 35 % between runs.
  const servers = [];
  try {
    for (const [name, start] of starters) {
      try {
        const server = await start();
        servers.push(server);
        log(`${name} ready (pid ${server.pid})`);
      } catch (err) {
        skipped[name] = String(err.message ?? err);
        log(`${name} skipped: ${skipped[name]}`);
      }
    }
    // The same unmeasured warm-up for every server (SCENARIOS.warmup, 3 s), so the first measured
    // step does not carry start-up work (JIT, first-room code paths) …
    for (const server of servers) {
      log(`${server.name} warm-up …`);
      await runStep(server, client, mediaDir, 'warmup', {}, { holdS: 3, tagPrefix: 'warmup-' }).catch((err) => log(`  warm-up failed: ${err.message}`));
    }
    // … then time to settle: the warm-up's garbage is collected in the next seconds (V8's memory
    // reducer waits ≈ 8 s of low allocation), which otherwise lands in the first measured window.
    await sleep(SETTLE_AFTER_WARMUP_MS);
    let turn = 0;
    for (const key of scenarioKeys) {
      for (const step of SCENARIOS[key].steps) {
        const order = servers.map((_, i) => servers[(i + turn) % servers.length]);
        turn++;
        for (const server of order) {
          if (server.proc.exitCode !== null) {
            results.push({ server: server.name, scenario: key, step: SCENARIOS[key].label(step), load: SCENARIOS[key].load(step), failed: `server exited (${server.proc.exitCode})` });
            continue;
          }
          // Every server idle before a window: the previous step's teardown (Janus closes a
          // thread per handle) must not land in the next server's measurement.
          await waitQuiet(servers);
          log(`${server.name} ${key} ${SCENARIOS[key].label(step)} …`);
          try {
            const r = await runStep(server, client, mediaDir, key, step);
            results.push(r);
            log(`  cpu ${fmt(r.serverCpuPct)}% streams ${r.forwardedStreams} (${r.streamsWithPackets} with packets, ${r.streamsMissing} missing) loss ${fmt(r.lossPct, 2)}% joined ${r.joined}/${r.participants}${Object.keys(r.errors).length ? ` errors ${JSON.stringify(r.errors)}` : ''}`);
          } catch (err) {
            log(`  failed: ${err.message}`);
            results.push({ server: server.name, scenario: key, step: SCENARIOS[key].label(step), load: SCENARIOS[key].load(step), failed: String(err.message) });
          }
        }
      }
    }
  } finally {
    for (const server of servers) await stopServer(server);
  }
  // Tables read per server, then per step.
  const serverRank = (n) => starters.findIndex(([s]) => s === n);
  const stepRank = (r) => SCENARIOS[r.scenario].steps.findIndex((st) => SCENARIOS[r.scenario].label(st) === r.step);
  results.sort((a, b) => scenarioKeys.indexOf(a.scenario) - scenarioKeys.indexOf(b.scenario) || serverRank(a.server) - serverRank(b.server) || stepRank(a) - stepRank(b));
  const goalSummary = goals(results, scenarioKeys);
  const summary = {
    kind: quick ? 'quick' : 'full',
    at: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, udpDefaultReceiveBufferBytes: udpDefaultReceiveBufferBytes(), loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
    holdS: HOLD_S,
    skipped,
    scenarios: Object.fromEntries(scenarioKeys.map((k) => [k, SCENARIOS[k].title])),
    goals: goalSummary,
    results,
  };
  fs.mkdirSync(args.out, { recursive: true });
  const jsonFile = path.join(args.out, `${summary.kind}.json`);
  const svgFile = path.join(args.out, `${summary.kind}.svg`);
  fs.writeFileSync(jsonFile, JSON.stringify(summary, null, 2) + '\n');
  fs.writeFileSync(svgFile, renderSvg(summary));
  for (const k of scenarioKeys) {
    const rows = results.filter((r) => r.scenario === k && !r.failed);
    console.log(`\n${SCENARIOS[k].title}\n${rows.length ? table(rows) : '(no results)'}`);
    for (const r of results.filter((x) => x.scenario === k && x.failed)) console.log(`  ${r.server} ${r.step}: failed — ${r.failed}`);
  }
  console.log(`\nAgainst the goals (server CPU summed over a scenario's steps ÷ streams held summed; per kpps: ÷ thousands of packets/s forwarded; per added stream: the slope of CPU over streams across the steps, without fixed costs)\n${goalsTable(goalSummary)}`);
  for (const [n, why] of Object.entries(skipped)) console.log(`\n${n}: skipped — ${why}`);
  console.log(`\nload average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} after, on ${os.cpus().length} cores (CPU % is of one core)`);
  console.log(`results: ${jsonFile}\nplot: ${svgFile}\nlogs: ${workDir}`);
}

const stopAll = async () => {
  for (const p of [...children]) if (p.exitCode === null) p.kill('SIGKILL');
};
process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
const watchdog = setTimeout(() => {
  log('watchdog: the run took too long; stopping');
  void stopAll().then(() => process.exit(3));
}, (quick ? 300 : 1800) * 1000);
watchdog.unref();
main()
  .catch(async (err) => {
    log(`failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
