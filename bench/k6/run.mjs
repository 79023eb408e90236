#!/usr/bin/env node
// Convene signalling bench: starts a whole node on loopback, seeds rooms through the admin API,
// runs the k6 join storm and chat fan-out scripts, samples the node's RSS, stops everything and
// prints one results table.
//
//   node bench/k6/run.mjs            full run (≈75 s): 500 participants in 50 rooms, chat to 50
//   node bench/k6/run.mjs --quick    ≈45 s: 100 participants in 10 rooms, chat to 20
//
// Load comes from k6 (bash bench/k6/install-k6.sh); without k6, or with --driver node, from
// node-driver.mjs (same scenarios over `ws`). Overrides: K6_BIN, BENCH_PARTICIPANTS, BENCH_ROOMS,
// BENCH_HOLD_S, BENCH_RAMP_S, BENCH_CHAT_P, BENCH_CHAT_MESSAGES, BENCH_CHAT_INTERVAL_MS.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { adminApi, BENCH_BOOTSTRAP_TOKEN } from '../media/convene-node.mjs';
import { freePort } from '../media/free-port.mjs';
import { childPids } from '../media/proc-stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const DOMAIN = 'convene.example';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean', default: false }, driver: { type: 'string' } } });
if (args.driver !== undefined && args.driver !== 'k6' && args.driver !== 'node') throw new Error('--driver must be k6 or node');
const envInt = (name, dflt) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
};
const plan = args.quick
  ? { participants: 100, rooms: 10, holdS: 10, rampS: 0, chatP: 20, chatMessages: 20, chatIntervalMs: 200, watchdogS: 150 }
  : { participants: 500, rooms: 50, holdS: 30, rampS: 0, chatP: 50, chatMessages: 50, chatIntervalMs: 200, watchdogS: 420 };
plan.participants = envInt('BENCH_PARTICIPANTS', plan.participants);
plan.rooms = Math.max(1, envInt('BENCH_ROOMS', plan.rooms));
plan.holdS = envInt('BENCH_HOLD_S', plan.holdS);
plan.rampS = envInt('BENCH_RAMP_S', plan.rampS);
plan.chatP = Math.max(2, envInt('BENCH_CHAT_P', plan.chatP));
plan.chatMessages = Math.max(1, envInt('BENCH_CHAT_MESSAGES', plan.chatMessages));
plan.chatIntervalMs = envInt('BENCH_CHAT_INTERVAL_MS', plan.chatIntervalMs);
if (Math.ceil(plan.participants / plan.rooms) > 100 || plan.chatP > 100) {
  throw new Error('a meeting holds at most 100 participants: raise BENCH_ROOMS or lower BENCH_CHAT_P');
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-bench-'));
const started = Date.now();
const log = (msg) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}\n`);
/** Every child we start, so that any exit path can stop them. */
const children = new Set();

function findK6() {
  const candidates = [process.env.K6_BIN, 'k6', path.join(os.homedir(), '.cache', 'convene', 'go', 'bin', 'k6')].filter(Boolean);
  for (const bin of candidates) {
    const r = spawnSync(bin, ['version'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) return { bin, version: r.stdout.trim().split('\n')[0] };
  }
  return null;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** RSS of the node's direct children (the embedded redis-server and the mediasoup workers). */
const childrenRssKb = (pid) => childPids(pid).reduce((sum, p) => sum + (rssKb(p) ?? 0), 0);

function startConvene(port, inspectPort) {
  const configFile = path.join(workDir, 'config.yaml');
  fs.writeFileSync(
    configFile,
    [
      'log: { level: warn, pretty: false }',
      `http: { host: 127.0.0.1, port: ${port} }`,
      `store: { embedded: { dataDir: ${JSON.stringify(path.join(workDir, 'redis'))} } }`,
      'sfu: { workers: 1, webRtcServer: { listenIp: 127.0.0.1, basePort: 0 } }',
      `admin: { bootstrapToken: ${BENCH_BOOTSTRAP_TOKEN} }`,
      // Every simulated participant connects from 127.0.0.1: lift the per-address socket cap.
      'signaling: { ratePerSecond: 50, burst: 100, maxConnectionsPerAddress: 100000 }',
      'demo: { seed: false }',
      'shutdown: { graceMs: 10000 }',
      '',
    ].join('\n'),
  );
  const logFd = fs.openSync(path.join(workDir, 'convene.log'), 'a');
  // Node with tsx's loader directly (not `npx tsx`, which puts a wrapper process in between),
  // so proc.pid is the process whose RSS we measure.
  const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  // The inspector (loopback, bench only) lets us force a full GC before reading RSS, so the
  // numbers compare live memory rather than whenever V8 last collected.
  const argv = ['--import', tsxLoader, `--inspect=127.0.0.1:${inspectPort}`, path.join(repoRoot, 'bin', 'convene.ts'), '--config', configFile];
  const proc = spawn(process.execPath, argv, {
    cwd: workDir,
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

async function waitReady(httpUrl, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`convene exited with ${proc.exitCode}; see ${path.join(workDir, 'convene.log')}`);
    try {
      const res = await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`convene not ready after ${timeoutMs} ms; see ${path.join(workDir, 'convene.log')}`);
}

/** A company with enough Enterprise User Licences for `rooms` VMRs and `participants` at once. */
async function seed(httpUrl, stormRooms, participants) {
  const company = await adminApi(httpUrl, 'POST', '/companies', { name: `Bench ${new Date().toISOString()}` });
  // One EUL per team VMR, and each EUL adds participantsPerEul (10) to the company-wide cap.
  const eul = Math.max(stormRooms + 1, Math.ceil(participants / 10)) + 10;
  await adminApi(httpUrl, 'POST', `/companies/${company.id}/plans`, {
    planType: 'enterprise_user',
    quantity: eul,
    pricePerLicenceCents: 0,
    currency: 'EUR',
    paymentPlan: 'monthly',
    autoRenew: true,
    costCenter: 'bench',
    references: '',
    reference: 'bench',
  });
  const addresses = [];
  for (let i = 0; i <= stormRooms; i++) {
    const localPart = i === stormRooms ? 'bench.chat' : `bench.storm.${String(i).padStart(3, '0')}`;
    const created = await adminApi(httpUrl, 'POST', `/companies/${company.id}/team-vmrs`, { name: localPart, localPart, domain: DOMAIN });
    addresses.push(created.vmr.addresses[0]);
  }
  return { companyId: company.id, eul, stormRooms: addresses.slice(0, stormRooms), chatRoom: addresses[stormRooms] };
}

/** A minimal Chrome DevTools Protocol client for the node's inspector. */
async function connectInspector(inspectPort) {
  const list = await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`, { signal: AbortSignal.timeout(5000) })).json();
  const socket = new WebSocket(list[0].webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map();
  socket.on('message', (raw) => {
    const msg = JSON.parse(raw.toString());
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(`${msg.error.message}`));
    else p.resolve(msg.result);
  });
  const call = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => (pending.delete(id), reject(new Error(`inspector ${method} timed out`))), 20_000);
      pending.set(id, { resolve: (r) => (clearTimeout(timer), resolve(r)), reject: (e) => (clearTimeout(timer), reject(e)) });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return { call, close: () => socket.close() };
}

/** Forces a full GC in the node, lets the allocator settle, then reads RSS and the JS heap in use. */
async function settledMemory(inspector, pid) {
  await inspector.call('HeapProfiler.collectGarbage');
  await sleep(1000);
  await inspector.call('HeapProfiler.collectGarbage');
  await sleep(500);
  const heap = await inspector.call('Runtime.getHeapUsage');
  return { rssKb: rssKb(pid), heapUsedKb: heap.usedSize / 1024, childrenKb: childrenRssKb(pid) };
}

/** Joined participants on the node, from the convene_participants gauge. */
async function joinedParticipants(httpUrl) {
  try {
    const text = await (await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('convene_participants{') && line.includes('state="joined"')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  } catch {
    return null;
  }
}

/** Runs one scenario with k6 (script) or, without k6, with node-driver.mjs (same env, same summary shape). */
function runLoad(driver, script, env, timeoutMs, name) {
  const summaryFile = path.join(workDir, `${name}-summary.json`);
  const logFile = path.join(workDir, `${name}.load.log`);
  const fd = fs.openSync(logFile, 'w');
  const [bin, argv] =
    driver.kind === 'k6'
      ? [driver.bin, ['run', '--quiet', '--no-color', '--no-usage-report', path.join(here, script)]]
      : [process.execPath, [path.join(here, 'node-driver.mjs'), name]];
  const proc = spawn(bin, argv, {
    cwd: workDir,
    env: { ...process.env, ...env, SUMMARY_FILE: summaryFile },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  children.add(proc);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      log(`${name}: load driver still running after ${timeoutMs} ms; stopping it`);
      proc.kill('SIGKILL');
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      children.delete(proc);
      const output = fs.readFileSync(logFile, 'utf8');
      if (!fs.existsSync(summaryFile)) return reject(new Error(`${name}: load driver exited ${code} without a summary:\n${output.slice(-3000)}`));
      const reasons = {};
      for (const m of output.matchAll(/msg="(?:chat: )?(?:join|hello) failed: ([^"]+)"/g)) reasons[m[1]] = (reasons[m[1]] ?? 0) + 1;
      resolve({ code, summary: JSON.parse(fs.readFileSync(summaryFile, 'utf8')), reasons, output });
    });
  });
}

const metric = (summary, name, key) => summary.metrics[name]?.values?.[key] ?? 0;

async function stopAll() {
  for (const proc of [...children]) {
    if (proc.exitCode !== null || proc.signalCode !== null) continue;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!done) {
      // Forced: also stop what it started (redis, workers), which would otherwise be orphaned.
      for (const pid of childPids(proc.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      proc.kill('SIGKILL');
    }
  }
}

async function main() {
  const k6 = args.driver === 'node' ? null : findK6();
  if (!k6 && args.driver === 'k6') throw new Error('k6 not found (tried $K6_BIN, PATH, ~/.cache/convene/go/bin/k6): run `bash bench/k6/install-k6.sh` first');
  if (!k6 && args.driver === undefined) log('k6 not found (run `bash bench/k6/install-k6.sh`); falling back to the Node ws driver');
  const driver = k6 ? { kind: 'k6', bin: k6.bin, version: k6.version } : { kind: 'node', version: `node-driver.mjs on Node ${process.version}` };
  log(`${driver.version}; plan ${JSON.stringify(plan)}; work dir ${workDir}`);
  const loadBefore = os.loadavg();

  const port = await freePort();
  const httpUrl = `http://127.0.0.1:${port}`;
  const wsUrl = `ws://127.0.0.1:${port}/ws`;
  const convene = startConvene(port, await freePort());
  await waitReady(httpUrl, convene, 90_000);
  const inspector = await connectInspector(convene.spawnargs.find((a) => a.startsWith('--inspect=')).split(':').pop());
  log(`convene ready at ${httpUrl} (pid ${convene.pid})`);

  const rooms = await seed(httpUrl, plan.rooms, plan.participants + plan.chatP);
  const roomsFile = path.join(workDir, 'rooms.json');
  fs.writeFileSync(roomsFile, JSON.stringify(rooms.stormRooms));
  log(`seeded company ${rooms.companyId}: ${rooms.eul} EULs, ${rooms.stormRooms.length} storm rooms + 1 chat room`);

  // Baseline: idle node after seeding, garbage collected.
  await sleep(1000);
  const idle = await settledMemory(inspector, convene.pid);

  // Join storm, with RSS and joined-participant samples every 500 ms while it runs.
  log(`join storm: ${plan.participants} participants into ${plan.rooms} rooms, hold ${plan.holdS}s`);
  const samples = [];
  let sampling = true;
  /** Settled memory taken once every storm participant is in (or the joins stopped moving). */
  let connected = null;
  const sampler = (async () => {
    let lastChange = Date.now();
    let lastJoined = 0;
    while (sampling) {
      const joined = await joinedParticipants(httpUrl);
      samples.push({ joined, rss: rssKb(convene.pid), children: childrenRssKb(convene.pid) });
      if (joined !== lastJoined) [lastJoined, lastChange] = [joined ?? 0, Date.now()];
      const settled = joined !== null && joined > 0 && (joined >= plan.participants || Date.now() - lastChange > 3000);
      if (!connected && settled && plan.holdS >= 4) {
        try {
          const mem = await settledMemory(inspector, convene.pid);
          const after = await joinedParticipants(httpUrl);
          // Only valid if nobody left while we measured.
          if (after === joined) connected = { ...mem, joined };
        } catch (err) {
          log(`memory measurement failed: ${err.message}`);
          connected = { failed: true };
        }
      }
      await sleep(500);
    }
  })();
  const storm = await runLoad(
    driver,
    'join-storm.js',
    { WS_URL: wsUrl, ROOMS_FILE: roomsFile, VUS: String(plan.participants), HOLD_S: String(plan.holdS), RAMP_S: String(plan.rampS), JOIN_TIMEOUT_MS: '15000' },
    (plan.rampS + plan.holdS + 90) * 1000,
    'storm',
  );
  sampling = false;
  await sampler;
  process.stdout.write(storm.output.split('\n').filter((l) => l.startsWith('join-storm:')).join('\n') + '\n');

  const rssPeakKb = Math.max(...samples.map((s) => s.rss ?? 0));

  // Let the storm's participants leave before the chat room fills.
  for (let i = 0; i < 20 && ((await joinedParticipants(httpUrl)) ?? 0) > 0; i++) await sleep(500);

  log(`chat fan-out: ${plan.chatP} participants, ${plan.chatMessages} messages every ${plan.chatIntervalMs} ms`);
  const chat = await runLoad(
    driver,
    'chat-fanout.js',
    { WS_URL: wsUrl, ROOM: rooms.chatRoom, P: String(plan.chatP), MESSAGES: String(plan.chatMessages), INTERVAL_MS: String(plan.chatIntervalMs), WAIT_ALL_MS: '30000' },
    (30 + (plan.chatMessages * plan.chatIntervalMs) / 1000 + 90) * 1000,
    'chat',
  );
  process.stdout.write(chat.output.split('\n').filter((l) => l.startsWith('chat-fanout:')).join('\n') + '\n');

  inspector.close();
  await stopAll();
  const loadAfter = os.loadavg();

  const s = storm.summary;
  const c = chat.summary;
  const ms = (x) => `${x.toFixed(1)} ms`;
  if (connected?.failed) connected = null;
  const per = (key) => (connected ? (connected[key] - idle[key]) / connected.joined : null);
  const kib = (x) => (x === null ? '-' : `${x.toFixed(1)} KiB`);
  const mib = (x) => `${(x / 1024).toFixed(1)}`;
  const rows = [
    ['machine', `${os.cpus().length} cores, load avg ${loadBefore[0].toFixed(1)} before / ${loadAfter[0].toFixed(1)} after (shared)`],
    ['load driver', driver.version],
    ['joins attempted / ok / failed', `${metric(s, 'joins_attempted', 'count')} / ${metric(s, 'joins_ok', 'count')} / ${metric(s, 'joins_failed', 'count')}`],
    ['join error rate', `${(metric(s, 'join_errors', 'rate') * 100).toFixed(2)} %`],
    ['join failures by reason', Object.keys(storm.reasons).length ? Object.entries(storm.reasons).map(([k, v]) => `${k}=${v}`).join(', ') : '-'],
    ['join latency p50 / p95 / p99', `${ms(metric(s, 'join_latency', 'med'))} / ${ms(metric(s, 'join_latency', 'p(95)'))} / ${ms(metric(s, 'join_latency', 'p(99)'))}`],
    ['  (join request only) p50 / p95 / p99', `${ms(metric(s, 'join_request_latency', 'med'))} / ${ms(metric(s, 'join_request_latency', 'p(95)'))} / ${ms(metric(s, 'join_request_latency', 'p(99)'))}`],
    ['  (WebSocket handshake) p50 / p95 / p99', `${ms(metric(s, 'ws_connect_latency', 'med'))} / ${ms(metric(s, 'ws_connect_latency', 'p(95)'))} / ${ms(metric(s, 'ws_connect_latency', 'p(99)'))}`],
    ['held for the whole hold period', `${metric(s, 'held_ok', 'count')}`],
    ['chat: receivers x messages', `${plan.chatP - 1} x ${metric(c, 'chat_sent', 'count')} = ${(plan.chatP - 1) * metric(c, 'chat_sent', 'count')} expected`],
    ['chat: delivered / missing', `${metric(c, 'chat_delivered', 'count')} / ${metric(c, 'chat_missing', 'count')}`],
    ['chat fan-out latency p50 / p95 / p99', `${ms(metric(c, 'chat_fanout_latency', 'med'))} / ${ms(metric(c, 'chat_fanout_latency', 'p(95)'))} / ${ms(metric(c, 'chat_fanout_latency', 'p(99)'))}`],
    ['convene RSS idle / connected / peak (MiB)', `${mib(idle.rssKb)} / ${connected ? mib(connected.rssKb) : '-'} / ${mib(rssPeakKb)} (after forced GC; ${connected ? connected.joined : 0} connected)`],
    ['RSS delta per participant (convene)', kib(per('rssKb'))],
    ['  JS heap in use per participant', kib(per('heapUsedKb'))],
    ['  children (redis + worker) RSS per participant', kib(per('childrenKb'))],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\nConvene signalling bench (${args.quick ? 'quick' : 'full'})\n`);
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  const resultFile = path.join(os.tmpdir(), `convene-bench-result-${process.pid}.json`);
  fs.writeFileSync(resultFile, JSON.stringify({ plan, rows: Object.fromEntries(rows), idle, connected, storm: s.metrics, chat: c.metrics, samples }, null, 2));
  process.stdout.write(`  (raw: ${resultFile})\n`);
}

const watchdog = setTimeout(() => {
  log(`watchdog: run exceeded ${plan.watchdogS}s; stopping everything`);
  void stopAll().finally(() => process.exit(3));
}, plan.watchdogS * 1000);
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => void stopAll().finally(() => process.exit(130)));

try {
  await main();
  fs.rmSync(workDir, { recursive: true, force: true });
} catch (err) {
  log(`failed: ${err.message}`);
  await stopAll();
  log(`logs kept in ${workDir}`);
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
}
