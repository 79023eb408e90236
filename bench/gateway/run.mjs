#!/usr/bin/env node
// Gateway bench: N G.711 callers into one meeting, mixed mix-minus by the server, stepping N up —
// Convene (sipp callers over SIP + one browser) and Janus AudioBridge (plain-RTP participants + one
// WebRTC browser, the anchor) on the same load in the same run. Prints one side-by-side table, writes JSON.
//
//   node bench/gateway/run.mjs --quick                 smoke: N=5 for 5 s per server
//   node bench/gateway/run.mjs [--steps 25,50,100] [--seconds 30]
//   --servers convene,janus                            which servers (default both)
//   --out DIR                                          where results go (default bench/gateway/results)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freeUdpPort } from '../media/free-port.mjs';
import { startConveneNode } from '../media/convene-node.mjs';
import { ensureClient, ensureMedia } from '../media/setup.mjs';
import { runConveneStep, DEMO_SERVICE } from './convene-step.mjs';
import { janusAudioBridgeAvailable, startJanusAudioBridge } from './janus-audiobridge.mjs';
import { JANUS_SAMPLING_RATE, runJanusStep } from './janus-step.mjs';
import { ensureRtpLoad } from './rtp-load.mjs';
import { stepTable } from './table.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const DOMAIN = 'convene.example';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    steps: { type: 'string' },
    seconds: { type: 'string' },
    servers: { type: 'string', default: 'convene,janus' },
    out: { type: 'string', default: path.join(here, 'results') },
  },
});
const quick = args.quick;
// Convene caps a meeting at 100 participants (SERVICE_MAX_PARTICIPANTS) and the browser is one of
// them, so a step asks for at most 99 callers — for both servers, so they carry the same load.
const MAX_CALLERS = 99;
const requestedSteps = (args.steps ?? (quick ? '5' : '25,50,100')).split(',').map(Number);
if (requestedSteps.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--steps: positive integers');
const steps = [...new Set(requestedSteps.map((n) => Math.min(n, MAX_CALLERS)))];
const seconds = Number(args.seconds ?? (quick ? 5 : 30));
if (!(seconds >= 1 && seconds <= 600)) throw new Error('--seconds: 1..600');
const warmupS = quick ? 2 : 5;

const started = Date.now();
const log = (msg) => process.stderr.write(`[gateway-bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-gateway-bench-'));
const children = new Set();
function track(proc) {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}
async function stopProcess(proc) {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  if (!(await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]))) proc.kill('SIGKILL');
}

/** Why the Convene half cannot run on this checkout, or true. */
function conveneGatewayAvailable() {
  if (!fs.existsSync(path.join(repoRoot, 'sip-gateway', 'src', 'calls'))) return 'the gateway call layer (sip-gateway/src/calls) is not on this checkout yet';
  return true;
}

// Each server: start() → a handle with runStep(legs) and stop(). Both run for the whole bench, and
// every step runs on Convene then on Janus back to back, so the two see the same machine load
// (an idle server costs the other nothing measurable: CPU is per process tree).
async function startConvene(rtpLoadBin) {
  const why = conveneGatewayAvailable();
  if (why !== true) throw new Error(why);
  const mediaClientBin = ensureClient();
  const mediaDir = ensureMedia();
  const sipPort = await freeUdpPort();
  const node = await startConveneNode({
    dir: path.join(workDir, 'convene'),
    track,
    configLines: [
      // One SFU worker: the comparison is per core.
      'sfu: { workers: 1, webRtcServer: { listenIp: 127.0.0.1, basePort: 0 } }',
      // One media worker thread: a meeting and all its calls live on one worker anyway.
      // BENCH_MEDIA_THREAD_NICE overrides sip.media.threadNice (e.g. 0 to compare with the default −10).
      `sip: { transports: [{ protocol: udp, host: 127.0.0.1, port: ${sipPort} }], media: { workers: 1${process.env.BENCH_MEDIA_THREAD_NICE ? `, threadNice: ${Number(process.env.BENCH_MEDIA_THREAD_NICE)}` : ''} } }`,
      // The demo company's demo.meeting VMR (no PIN) is the meeting the callers dial.
      'demo: { seed: true }',
      'signaling: { ratePerSecond: 100, burst: 200 }',
      'shutdown: { graceMs: 3000 }',
    ],
  });
  log(`convene ready (pid ${node.pid}, SIP udp ${sipPort})`);
  return {
    async runStep(legs) {
      const dir = path.join(workDir, `convene-${legs}`);
      fs.mkdirSync(dir, { recursive: true });
      const r = await runConveneStep({ node, sipPort, localSipPort: await freeUdpPort(), rtpLoadBin, mediaClientBin, mediaDir, room: `${DEMO_SERVICE}@${DOMAIN}`, legs, seconds, warmupS, dir, track, log });
      log(`  cpu ${r.serverCpuPct.toFixed(1)}% mixed ${r.mixedLegs} misses ${r.deadlineMisses}${r.busyDeadlineMisses == null ? '' : ` (busy ${r.busyDeadlineMisses}, overruns ${r.tickOverruns}, tick ${r.tickWorkMeanMs?.toFixed(2)} ms)`} loss ${r.lossPct?.toFixed(2)}% hearing ${r.legsHearingAudio}/${legs}; ${browserLine(r.browser)}${r.stealPct == null ? '' : `; hypervisor steal ${r.stealPct.toFixed(1)}%`}`);
      return r;
    },
    stop: () => stopProcess(node.proc),
  };
}

const browserLine = (b) => (b?.joined ? `browser ${b.packets} packets in ${b.streams} stream(s), ${b.voicePackets} with sound` : `browser not joined${b?.error ? `: ${b.error}` : ''}`);

async function startJanus(rtpLoadBin) {
  const why = janusAudioBridgeAvailable();
  if (why !== true) throw new Error(why);
  const mediaClientBin = ensureClient();
  const mediaDir = ensureMedia();
  const janus = await startJanusAudioBridge(workDir, track);
  log(`janus ready (pid ${janus.pid}, ${janus.baseUrl}, ${janus.wsUrl}); AudioBridge room at ${JANUS_SAMPLING_RATE} Hz`);
  return {
    async runStep(legs) {
      const dir = path.join(workDir, `janus-${legs}`);
      fs.mkdirSync(dir, { recursive: true });
      const r = await runJanusStep({ janus, rtpLoadBin, mediaClientBin, mediaDir, legs, seconds, warmupS, dir, track, log });
      log(`  cpu ${r.serverCpuPct.toFixed(1)}% loss ${r.lossPct?.toFixed(2)}% hearing ${r.legsHearingAudio}/${legs}; ${browserLine(r.browser)}${r.stealPct == null ? '' : `; hypervisor steal ${r.stealPct.toFixed(1)}%`}`);
      return r;
    },
    stop: () => stopProcess(janus.proc),
  };
}

async function main() {
  const wanted = new Set(args.servers.split(','));
  const loadBefore = os.loadavg();
  if (requestedSteps.some((n) => n > MAX_CALLERS)) log(`steps above ${MAX_CALLERS} run as ${MAX_CALLERS} callers: a meeting holds 100 participants and the browser is one`);
  log(`${quick ? 'quick' : 'full'} run: steps ${steps.join(',')} × ${seconds} s; work dir ${workDir}; load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  const rtpLoadBin = ensureRtpLoad();
  const results = [];
  const skipped = {};
  const servers = [];
  for (const [name, start] of [['convene', startConvene], ['janus', startJanus]]) {
    if (!wanted.has(name)) continue;
    try {
      servers.push([name, await start(rtpLoadBin)]);
    } catch (err) {
      skipped[name] = String(err.message ?? err);
      log(`${name} skipped: ${skipped[name]}`);
    }
  }
  try {
    for (const legs of steps) {
      for (const [name, server] of servers) {
        log(`${name} N=${legs} …`);
        try {
          results.push({ ...(await server.runStep(legs)), loadAverage1m: os.loadavg()[0] });
        } catch (err) {
          log(`  failed: ${err.message}`);
          results.push({ server: name, legs, failed: String(err.message) });
        }
      }
    }
  } finally {
    for (const [, server] of servers) await server.stop();
  }
  const summary = {
    kind: quick ? 'quick' : 'full',
    at: new Date().toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
    steps,
    seconds,
    warmupS,
    janusSamplingRate: JANUS_SAMPLING_RATE,
    skipped,
    results,
  };
  fs.mkdirSync(args.out, { recursive: true });
  const jsonFile = path.join(args.out, `${summary.kind}.json`);
  fs.writeFileSync(jsonFile, resultsJson(summary));
  console.log(`\nN G.711 callers in one meeting, mixed mix-minus (${seconds} s per step; Janus AudioBridge room at ${JANUS_SAMPLING_RATE / 1000} kHz)\n`);
  console.log(stepTable(results.filter((r) => !r.failed), steps));
  for (const r of results.filter((x) => x.failed)) console.log(`  ${r.server} N=${r.legs}: failed — ${r.failed}`);
  for (const [n, why] of Object.entries(skipped)) console.log(`\n${n}: skipped — ${why}`);
  console.log(`\nload average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} after, on ${os.cpus().length} cores (CPU % is of one core)`);
  console.log(`results: ${jsonFile}\nlogs: ${workDir}`);
}

/** Pretty JSON with one line per leg (a 99-leg step stays readable and small). */
function resultsJson(summary) {
  const legs = [];
  const text = JSON.stringify(summary, (key, value) => (key === 'perLeg' && Array.isArray(value) ? value.map((l) => `\u0000${legs.push(JSON.stringify(l)) - 1}`) : value), 2);
  return `${text.replace(/"\\u0000(\d+)"/g, (_, i) => legs[Number(i)])}\n`;
}

const stopAll = () => {
  for (const p of [...children]) if (p.exitCode === null) p.kill('SIGKILL');
};
process.on('SIGINT', () => (stopAll(), process.exit(130)));
const watchdog = setTimeout(
  () => {
    log('watchdog: the run took too long; stopping');
    stopAll();
    process.exit(3);
  },
  (120 + steps.length * 2 * (seconds + 60)) * 1000,
);
watchdog.unref();
main()
  .catch((err) => {
    log(`failed: ${err.stack ?? err}`);
    process.exitCode = 1;
  })
  .finally(stopAll);
