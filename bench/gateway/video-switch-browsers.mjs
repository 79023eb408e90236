// Issue #10 with real encoders: switch-to-keyframe time when a room system's one video stream
// follows real Chromium participants taking turns to speak.
//
//   npx tsx bench/gateway/video-switch-browsers.mjs [--turns 20] [--turn-seconds 2.5] [--browsers 2]
//
// One Convene node (bench/media/convene-node.mjs, info-level logs), a baresip room system (H.264,
// fakevideo camera, silent mic) in demo.meeting, and 2–3 headless Chromium participants joined
// through the web app (H.264 simulcast cameras, the same warbling fake mic). The bench unmutes one
// participant per turn and mutes the others (the web app's mic button: the producer pauses), so
// the active speaker moves every turn and the room system's stream is switched to the new
// speaker's camera; the browser's encoder must produce the keyframe the engine waits for.
// Samples: the node's "video switched" log lines (waitedMs, select() → the new stream's keyframe
// sent to the caller); cross-checked with /metrics (gateway_video_switches_total, the
// switch-to-keyframe histogram's count, keyframe requests by direction and method). baresip's own
// view: how many streams it started decoding (one SSRC → one "receiving with resolution") and
// decoder errors in its log. A bench, not a test: nothing passes or fails; the run is bounded
// (turns ≤ 60; a watchdog ends it turns × turn length + 150 s after the start).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startConveneNode } from '../media/convene-node.mjs';
import { freeUdpPort } from '../media/free-port.mjs';
import { startBaresipCaller } from '../../test/support/baresip-caller.ts';
import { CHROMIUM_PATH } from '../../test/support/browser.ts';
import { buildWebApp } from '../../web/build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO_ADDRESS = 'demo.meeting@convene.example';
const NAMES = ['Ann', 'Ben', 'Cat'];
/** baresip's decoder complaints (ffmpeg's H.264 decoder through avcodec), as the e2e test reads them. */
const DECODE_ERRORS = /error while decoding|non-existing PPS|decode error|concealing \d+ (DC|AC|MV) errors/gi;

const { values: args } = parseArgs({
  options: {
    turns: { type: 'string', default: '20' },
    'turn-seconds': { type: 'string', default: '2.5' },
    browsers: { type: 'string', default: '2' },
  },
});
const turns = Math.min(60, Math.max(2, Number(args.turns)));
const turnMs = Math.round(Math.min(10, Math.max(1.5, Number(args['turn-seconds']))) * 1000);
const browserCount = Math.min(3, Math.max(2, Number(args.browsers)));
const log = (msg) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'video-switch-browsers-'));
const procs = [];
const cleanups = [];
let finished = false;
async function cleanup() {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
}
// Setup (web build, node, browsers, the call) and winding down get 150 s beside the turns.
const watchdog = setTimeout(async () => {
  if (finished) return;
  console.error('video-switch-browsers: time limit reached, stopping');
  await cleanup();
  process.exit(2);
}, 150_000 + turns * turnMs);
watchdog.unref();

/** Every sample of the metrics we report, keyed by name plus label set. */
async function scrape(httpUrl) {
  const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const out = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^(gateway_video_(?:switches_total|selects_total|switch_to_keyframe_seconds_(?:count|sum|bucket)|keyframe_requests_total))(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) out[m[1] + (m[2] ?? '')] = Number(m[3]);
  }
  return out;
}

/** after − before; zero deltas left out except the keyframe-request counters (their zeros say something). */
const delta = (before, after) =>
  Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - (before[k] ?? 0)]).filter(([k, v]) => v !== 0 || k.startsWith('gateway_video_keyframe')));

/** Nearest-rank percentile of sorted numbers. */
const pct = (sorted, p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);

/** The node's "video switched" lines written after byte `from` of its log. */
function switchSamples(logFile, from) {
  const text = fs.readFileSync(logFile).subarray(from).toString();
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"video switched"')) continue;
    try {
      const j = JSON.parse(line);
      if (typeof j.waitedMs === 'number') out.push({ time: j.time, streamId: j.streamId, role: j.role, waitedMs: j.waitedMs });
    } catch {
      // a partial line at the end of the file
    }
  }
  return out;
}

async function setMic(page, on) {
  const btn = page.getByTestId('toggle-mic');
  if ((await btn.getAttribute('data-on')) !== String(on)) await btn.click();
}

try {
  await buildWebApp();
  const sipPort = await freeUdpPort();
  const node = await startConveneNode({
    dir: path.join(workDir, 'convene'),
    track: (p) => (procs.push(p), p),
    logLevel: 'info',
    configLines: [
      'sfu: { workers: 1, webRtcServer: { listenIp: 127.0.0.1, basePort: 0 } }',
      `sip: { transports: [{ protocol: udp, host: 127.0.0.1, port: ${sipPort} }], media: { workers: 1 } }`,
      'demo: { seed: true }',
      'shutdown: { graceMs: 2000 }',
    ],
  });
  log(`convene ready (pid ${node.pid}, SIP udp ${sipPort}, log ${node.logFile})`);

  // One speech-like warble for every fake mic (one Chromium process: the capture file is per process).
  const talk = path.join(workDir, 'talk.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', talk, 'synth', '30', 'sine', '300-900', 'tremolo', '5', '70', 'vol', '0.6']);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
      `--use-file-for-fake-audio-capture=${talk}`, '--autoplay-policy=no-user-gesture-required',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
  cleanups.push(() => browser.close());

  const people = [];
  for (const name of NAMES.slice(0, browserCount)) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${node.httpUrl}/`);
    await page.getByTestId('join-form').waitFor();
    await page.getByTestId('join-address').fill(DEMO_ADDRESS);
    await page.getByTestId('join-name').fill(name);
    await page.getByTestId('join-mode-video').check();
    await page.getByTestId('join-submit').click();
    await page.getByTestId('meeting-page').waitFor({ timeout: 20_000 });
    await setMic(page, false);
    people.push({ name, page, errors });
  }
  log(`${people.length} browsers in ${DEMO_ADDRESS}, mics muted`);

  const silence = path.join(workDir, 'silence.wav');
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', silence, 'trim', '0', String(Math.ceil((turns * turnMs) / 1000) + 120)]);
  const vtc = await startBaresipCaller({ dir: workDir, user: 'huddle', displayName: 'Huddle room', sourceWav: silence, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15 } });
  cleanups.push(() => vtc.stop());
  await vtc.dial(`sip:${DEMO_ADDRESS.split('@')[0]}@127.0.0.1:${sipPort}`);
  for (const end = Date.now() + 30_000; vtc.videoReceived() === null; await new Promise((r) => setTimeout(r, 250))) {
    if (Date.now() > end) throw new Error(`the room system decoded no video in 30 s:\n${vtc.output().slice(-2000)}`);
  }
  log(`room system decodes the meeting's video at ${JSON.stringify(vtc.videoReceived())}`);

  const before = await scrape(node.httpUrl);
  const logFrom = fs.statSync(node.logFile).size;
  const startedAt = new Date().toISOString();
  const turnLog = [];
  // Turns on a fixed schedule (the clicks' own time is inside the turn).
  const turnsStart = Date.now();
  for (let i = 0; i < turns; i++) {
    const speaker = people[i % people.length];
    const at = Date.now();
    for (const p of people) if (p !== speaker) await setMic(p.page, false);
    await setMic(speaker.page, true);
    turnLog.push({ turn: i, speaker: speaker.name, at: new Date(at).toISOString() });
    await new Promise((r) => setTimeout(r, Math.max(0, turnsStart + (i + 1) * turnMs - Date.now())));
  }
  for (const p of people) await setMic(p.page, false);
  await new Promise((r) => setTimeout(r, 1000));
  const after = await scrape(node.httpUrl);
  const samples = switchSamples(node.logFile, logFrom);
  const waits = samples.map((s) => s.waitedMs).sort((a, b) => a - b);
  // Turn start → switch done: speaker detection (mediasoup's observer, the policy's ≥ 1 s of speech) plus the wait above.
  for (const sample of samples) {
    const t = Date.parse(sample.time);
    const turn = turnLog.filter((x) => Date.parse(x.at) <= t).at(-1);
    sample.sinceTurnMs = turn ? t - Date.parse(turn.at) : null;
  }
  const sinceTurn = samples.map((s) => s.sinceTurnMs).filter((v) => v !== null).sort((a, b) => a - b);
  const out = fs.readFileSync(path.join(vtc.dir, 'output.log'), 'utf8');
  const participants = await Promise.all(people.map(async (p) => ({ name: p.name, participantId: await p.page.evaluate(() => window.convene.state.participantId), pageErrors: p.errors })));
  const result = {
    startedAt,
    turns,
    turnSeconds: turnMs / 1000,
    browsers: people.length,
    loadAvg1m: os.loadavg()[0],
    switches: waits.length,
    switchToKeyframeMs: { p50: pct(waits, 50), p95: pct(waits, 95), max: waits.at(-1) ?? null, mean: waits.length ? Math.round(waits.reduce((a, b) => a + b, 0) / waits.length) : null },
    turnToSwitchMs: { p50: pct(sinceTurn, 50), p95: pct(sinceTurn, 95), max: sinceTurn.at(-1) ?? null },
    distinctStreamsShown: new Set(samples.map((s) => s.streamId)).size,
    metricsDelta: delta(before, after),
    roomSystem: {
      // baresip prints this when its decoder starts on a stream and when the picture size changes.
      resolutionsDecoded: [...out.matchAll(/video: receiving with resolution (\d+ x \d+)/g)].map((m) => m[1]),
      decodeErrors: out.match(DECODE_ERRORS)?.length ?? 0,
      outputBytes: out.length,
    },
    participants,
    samples,
    turnLog,
  };
  const s = result.switchToKeyframeMs;
  log(`switches ${result.switches} (metric ${result.metricsDelta.gateway_video_switches_total ?? 0}) over ${turns} turns; switch-to-keyframe p50 ${s.p50} ms, p95 ${s.p95} ms, max ${s.max} ms; streams shown ${result.distinctStreamsShown}`);
  log(`turn start → switch done p50 ${result.turnToSwitchMs.p50} ms, p95 ${result.turnToSwitchMs.p95} ms (speaker detection + the wait)`);
  log(`keyframe requests: ${JSON.stringify(Object.fromEntries(Object.entries(result.metricsDelta).filter(([k]) => k.startsWith('gateway_video_keyframe'))))}`);
  log(`room system: decoder (re)started at ${result.roomSystem.resolutionsDecoded.join(' → ') || 'none'}, ${result.roomSystem.decodeErrors} decoder errors; load avg ${result.loadAvg1m.toFixed(1)}`);
  const resultsFile = path.join(here, 'results', 'video-switch-browsers.json');
  const runs = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : [];
  runs.push(result);
  fs.writeFileSync(resultsFile, `${JSON.stringify(runs, null, 1)}\n`);
  log(`results appended to ${path.relative(process.cwd(), resultsFile)}; logs in ${workDir}`);
  await vtc.hangup().catch(() => {});
  finished = true;
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  finished = true;
  await cleanup();
}
