/**
 * SIP call-rate bench: sipp (UAC, INVITE→200→ACK→BYE) against our stack's test UAS and against
 * Kamailio configured as a minimal stateful responder, in the same run, loopback only.
 *
 *   npx tsx bench/sip/run-call-bench.ts            # 60 s per rate step, hold 10,000 dialogs
 *   npx tsx bench/sip/run-call-bench.ts --quick    # 5 s steps, hold 2,000 dialogs
 *   options: --target stack|kamailio|both  --step-seconds N  --rates 100,200,...  --hold N  --hold-rate N
 *
 * For each target: raise the call rate step by step; a step passes when every call succeeded and
 * the last one ended within 10 s of the step's end; the highest passing rate is reported with its INVITE→200
 * p95 (sipp response-time trace) and the CPU the target used. Then it holds N concurrent dialogs
 * and reports memory growth per dialog. Every loop is bounded by a step count and a timeout.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childPids, CLK_TCK, treeTicks } from '../media/proc-stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const scenario = path.join(here, 'uac-call.xml');

// ------------------------------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = flag('quick');
const targetsWanted = (opt('target') ?? 'both') === 'both' ? ['stack', 'kamailio'] : [opt('target') as string];
const stepSeconds = Number(opt('step-seconds') ?? (quick ? 5 : 60));
const rates = (opt('rates') ?? (quick ? '100,200,400,800,1200,1600' : '100,200,400,600,800,1000,1200,1600,2000,2500,3000'))
  .split(',')
  .map(Number)
  .filter((r) => r > 0)
  .slice(0, 20);
const holdDialogs = Number(opt('hold') ?? (quick ? 2_000 : 10_000));
const holdRate = Number(opt('hold-rate') ?? 200);

// ------------------------------------------------------------------------------------- helpers
async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The target's process and its direct children (Kamailio's workers). */
const targetPids = (root: number): number[] => [root, ...childPids(root)];

/** CPU seconds (user + system) used so far by these processes. */
const cpuSeconds = (pids: number[]): number => treeTicks(pids) / CLK_TCK;

/** Private (not shared) resident bytes: Kamailio's per-process pkg memory and stacks. */
function pssPrivateBytes(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      kb += Number(/^Private_Dirty:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface SippResult {
  exitCode: number;
  successful: number;
  failed: number;
  retransmissions: number;
  achievedRate: number;
  p50: number;
  p95: number;
  p99: number;
  wallSeconds: number;
}

async function runSipp(o: { port: number; rate: number; calls: number; pauseMs: number; timeoutS: number }): Promise<SippResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-sipp-'));
  const args = [
    `127.0.0.1:${o.port}`,
    '-sf', scenario,
    '-i', '127.0.0.1',
    '-p', String(await freeUdpPort()),
    '-mp', String(await freeUdpPort()),
    '-r', String(o.rate), '-rp', '1000',
    '-m', String(o.calls),
    '-l', String(Math.max(o.calls, 1)),
    '-d', String(o.pauseMs),
    '-recv_timeout', '5000',
    '-timeout', `${o.timeoutS}s`, '-timeout_error',
    '-max_recv_loops', '10000', '-max_sched_loops', '10000',
    '-nostdin', '-trace_stat', '-fd', '1', '-trace_rtt', '-rtt_freq', '1',
  ];
  const started = Date.now();
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exitCode = await new Promise<number>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), (o.timeoutS + 15) * 1000);
    child.on('exit', (code) => {
      clearTimeout(kill);
      resolve(code ?? -1);
    });
  });
  const wallSeconds = (Date.now() - started) / 1000;
  const files = fs.readdirSync(dir);
  const statFile = files.find((f) => /_\d+_\.csv$/.test(f));
  const rttFile = files.find((f) => f.endsWith('_rtt.csv'));
  let successful = 0;
  let failed = o.calls;
  let retransmissions = 0;
  let achievedRate = 0;
  if (statFile) {
    const rows = fs.readFileSync(path.join(dir, statFile), 'utf8').trim().split('\n').map((l) => l.split(';'));
    const head = rows[0] ?? [];
    const last = rows[rows.length - 1] ?? [];
    const col = (name: string) => Number(last[head.indexOf(name)] ?? NaN);
    successful = col('SuccessfulCall(C)');
    failed = col('FailedCall(C)');
    retransmissions = col('Retransmissions(C)');
    achievedRate = col('CallRate(C)');
  } else if (stderr) {
    process.stderr.write(`sipp: ${stderr}\n`);
  }
  const rtts = rttFile
    ? fs
        .readFileSync(path.join(dir, rttFile), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => Number(l.split(';')[1]))
        .filter((v) => Number.isFinite(v))
        .sort((a, b) => a - b)
    : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    exitCode,
    successful,
    failed,
    retransmissions,
    achievedRate,
    p50: percentile(rtts, 50),
    p95: percentile(rtts, 95),
    p99: percentile(rtts, 99),
    wallSeconds,
  };
}

// ------------------------------------------------------------------------------------- targets
interface Target {
  name: string;
  port: number;
  pids(): number[];
  /** Established dialogs the target holds now, if it can tell. */
  dialogs(): Promise<number | undefined>;
  /** Live transactions (including ones waiting out Timer J/K), if it can tell. */
  transactions(): Promise<number | undefined>;
  /** Memory attributable to the target, after a GC where that exists. */
  memoryBytes(): Promise<number>;
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

async function startKamailio(): Promise<Target> {
  const port = await freeUdpPort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-kamailio-'));
  const ctl = `unix:${path.join(dir, 'ctl')}`;
  const workers = Number(opt('kamailio-workers') ?? 1);
  const child = spawn(
    '/usr/sbin/kamailio',
    ['-f', path.join(here, 'kamailio.cfg'), '-DD', '-E', '-l', `udp:127.0.0.1:${port}`, '-A', `CTL_SOCKET="${ctl}"`, '-A', `WORKERS=${workers}`, '-Y', dir, '-m', '256'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const kamcmd = (...args: string[]) => execFileSync('kamcmd', ['-s', ctl, ...args], { timeout: 5_000 }).toString();
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    try {
      kamcmd('core.version');
      break;
    } catch {
      if (child.exitCode !== null) throw new Error(`kamailio exited: ${log}`);
    }
  }
  return {
    name: `Kamailio ${/kamailio (\S+)/.exec(execFileSync('/usr/sbin/kamailio', ['-v']).toString())?.[1] ?? ''} (${workers} worker${workers > 1 ? 's' : ''})`,
    port,
    pids: () => targetPids(child.pid as number),
    async dialogs() {
      const m = /ongoing:\s*(\d+)/.exec(kamcmd('dlg.stats_active'));
      return m ? Number(m[1]) : undefined;
    },
    async transactions() {
      const m = /current:\s*(\d+)/.exec(kamcmd('tm.stats'));
      return m ? Number(m[1]) : undefined;
    },
    async memoryBytes() {
      // Kamailio maps its whole shared-memory pool at start, so RSS/PSS barely move; the pool's own
      // accounting (real_used) is what dialogs and transactions actually take.
      const m = /real_used:\s*(\d+)/.exec(kamcmd('core.shmmem'));
      return Number(m?.[1] ?? NaN) + pssPrivateBytes(targetPids(child.pid as number));
    },
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child, 5_000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface UasStats {
  type: 'stats';
  dialogs: number;
  transactions: number;
  rss: number;
  heapUsed: number;
}

async function startStackUas(): Promise<Target> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(here, 'uas-server.ts')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('test UAS did not start in 30 s')), 30_000);
    child.once('message', (m: unknown) => {
      clearTimeout(t);
      resolve(m as { port: number });
    });
    child.once('exit', (code) => reject(new Error(`test UAS exited with ${code}`)));
  });
  const ask = (): Promise<UasStats> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('test UAS did not answer stats')), 10_000);
      child.once('message', (m: unknown) => {
        clearTimeout(t);
        resolve(m as UasStats);
      });
      child.send({ type: 'stats' });
    });
  return {
    name: 'Convene SIP stack (1 Node process)',
    port: ready.port,
    pids: () => [child.pid as number],
    async dialogs() {
      return (await ask()).dialogs;
    },
    async transactions() {
      return (await ask()).transactions;
    },
    async memoryBytes() {
      return (await ask()).rss;
    },
    async stop() {
      child.kill('SIGTERM');
      await waitExit(child, 5_000);
    },
  };
}

// ------------------------------------------------------------------------------------- phases
interface StepRow {
  rate: number;
  ok: boolean;
  achieved: number;
  successful: number;
  failed: number;
  retrans: number;
  p95: number;
  cpu: number;
  /** CPU time the target spent per call (ms): less sensitive to a busy machine than the max rate. */
  cpuMsPerCall: number;
}

async function ramp(target: Target): Promise<StepRow[]> {
  const rows: StepRow[] = [];
  for (const rate of rates) {
    const calls = rate * stepSeconds;
    const pids = target.pids();
    const cpuBefore = cpuSeconds(pids);
    const started = Date.now();
    const r = await runSipp({ port: target.port, rate, calls, pauseMs: 0, timeoutS: stepSeconds * 3 + 20 });
    const wall = (Date.now() - started) / 1000;
    const cpuUsed = cpuSeconds(target.pids()) - cpuBefore;
    const cpu = (cpuUsed / wall) * 100;
    // Sustained = every call succeeded (no response later than sipp's 5 s receive timeout) and
    // the last call finished within 10 s of the step's end (the target did not fall behind).
    const ok = r.exitCode === 0 && r.failed === 0 && r.successful === calls && r.wallSeconds <= stepSeconds + 10;
    const cpuMsPerCall = (cpuUsed * 1000) / calls;
    const row = { rate, ok, achieved: r.achievedRate, successful: r.successful, failed: r.failed, retrans: r.retransmissions, p95: r.p95, cpu, cpuMsPerCall };
    rows.push(row);
    process.stdout.write(
      `  ${target.name}: ${rate} cps → ${ok ? 'pass' : 'FAIL'} (achieved ${r.achievedRate.toFixed(0)} cps, ${r.successful} ok, ${r.failed} failed, ` +
        `${r.retransmissions} retrans, INVITE→200 p95 ${r.p95} ms, CPU ${cpu.toFixed(0)} % = ${cpuMsPerCall.toFixed(2)} ms/call, load avg ${os.loadavg()[0]?.toFixed(1)})\n`,
    );
    if (!ok) break;
    await sleep(2_000); // let the target drain terminated transactions between steps
  }
  return rows;
}

/** Waits (at most 60 s) until the target holds no dialogs and no transactions. */
async function drain(target: Target): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [d, t] = [await target.dialogs(), await target.transactions()];
    if ((d ?? 0) === 0 && (t ?? 0) === 0) return;
    await sleep(1_000);
  }
  process.stdout.write('  (target did not drain within 60 s; continuing)\n');
}

interface HoldResult {
  dialogs: number;
  bytesPerDialog: number;
  baseline: number;
  loaded: number;
  allSucceeded: boolean;
}

async function hold(target: Target): Promise<HoldResult> {
  const baseline = await target.memoryBytes();
  const establishMs = (holdDialogs / holdRate) * 1000;
  const pauseMs = Math.round(establishMs + 15_000);
  const sipp = runSipp({ port: target.port, rate: holdRate, calls: holdDialogs, pauseMs, timeoutS: Math.ceil((establishMs + pauseMs) / 1000) + 60 });
  let held = 0;
  const deadline = Date.now() + establishMs + 12_000;
  while (Date.now() < deadline) {
    await sleep(500);
    held = (await target.dialogs()) ?? 0;
    if (held >= holdDialogs) break;
  }
  await sleep(1_000);
  const loaded = await target.memoryBytes();
  const dialogs = (await target.dialogs()) ?? held;
  const r = await sipp;
  return {
    dialogs,
    bytesPerDialog: dialogs > 0 ? (loaded - baseline) / dialogs : NaN,
    baseline,
    loaded,
    allSucceeded: r.exitCode === 0 && r.failed === 0 && r.successful === holdDialogs,
  };
}

// ------------------------------------------------------------------------------------- main
interface Summary {
  name: string;
  maxRate: number;
  p95: number;
  cpu: number;
  cpuMsPerCall: number;
  hold: HoldResult;
}

async function benchTarget(kind: string): Promise<Summary> {
  const target = kind === 'kamailio' ? await startKamailio() : await startStackUas();
  process.stdout.write(`\n${target.name} on udp 127.0.0.1:${target.port}\n`);
  try {
    // Warm-up (not reported): JIT, first-use allocations, socket buffers.
    await runSipp({ port: target.port, rate: 50, calls: 150, pauseMs: 0, timeoutS: 30 });
    // Memory first, on a drained target, so no earlier load is counted in the baseline.
    await drain(target);
    process.stdout.write(`  holding ${holdDialogs} dialogs at ${holdRate} cps …\n`);
    const held = await hold(target);
    process.stdout.write(
      `  held ${held.dialogs} dialogs: ${(held.baseline / 2 ** 20).toFixed(1)} → ${(held.loaded / 2 ** 20).toFixed(1)} MiB, ` +
        `${held.bytesPerDialog.toFixed(0)} B/dialog, calls ${held.allSucceeded ? 'all succeeded' : 'had FAILURES'}\n`,
    );
    await drain(target);
    const rows = await ramp(target);
    const best = [...rows].reverse().find((r) => r.ok);
    return {
      name: target.name,
      maxRate: best?.rate ?? 0,
      p95: best?.p95 ?? NaN,
      cpu: best?.cpu ?? NaN,
      cpuMsPerCall: best?.cpuMsPerCall ?? NaN,
      hold: held,
    };
  } finally {
    await target.stop();
  }
}

const summaries: Summary[] = [];
process.stdout.write(
  `SIP call bench: steps of ${stepSeconds} s at ${rates.join(', ')} cps; hold ${holdDialogs} dialogs; ` +
    `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? ''}); load average ${os.loadavg()[0]?.toFixed(1)} at start\n`,
);
for (const kind of targetsWanted) summaries.push(await benchTarget(kind));

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
process.stdout.write(
  '\n| target | max calls/s, 0 failed | INVITE→200 p95 (ms) | CPU at that rate (% of a core) | CPU per call (ms) | memory per held dialog (bytes) |\n',
);
process.stdout.write('| --- | --- | --- | --- | --- | --- |\n');
for (const s of summaries) {
  process.stdout.write(
    `| ${s.name} | ${s.maxRate} | ${fmt(s.p95)} | ${fmt(s.cpu)} | ${fmt(s.cpuMsPerCall, 2)} | ${fmt(s.hold.bytesPerDialog)} (${s.hold.dialogs} dialogs${s.hold.allSucceeded ? '' : ', some calls failed'}) |\n`,
  );
}
const [a, b] = summaries;
if (a && b && b.maxRate > 0) {
  process.stdout.write(`\nratio ${a.name} / ${b.name}: calls/s ${(a.maxRate / b.maxRate).toFixed(2)}`);
  if (a.cpuMsPerCall > 0 && b.cpuMsPerCall > 0) process.stdout.write(`, CPU per call ${(a.cpuMsPerCall / b.cpuMsPerCall).toFixed(1)}×`);
  if (Number.isFinite(a.hold.bytesPerDialog) && b.hold.bytesPerDialog > 0) {
    process.stdout.write(`, memory per dialog ${(a.hold.bytesPerDialog / b.hold.bytesPerDialog).toFixed(1)}×`);
  }
  process.stdout.write('\n');
}
if (rates.length > 0 && summaries.some((s) => s.maxRate === rates[rates.length - 1])) {
  process.stdout.write('note: a target passed the highest step; raise --rates to find its limit.\n');
}
