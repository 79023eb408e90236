// What a Convene node costs with nothing to do: the fixed share of every bench row, which decides
// the small steps (bench/media's town hall). Starts one node as run.mjs does (one SFU worker,
// embedded Redis, SIP on UDP), waits, then reads every thread's CPU from /proc over a window:
//   node bench/media/idle-cost.mjs [--seconds 30] [--warmup 25]
// Prints per process and per thread (by name) % of one core. BENCH_NODE_PROF=<dir> profiles it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_BOOTSTRAP_TOKEN, startConveneNode } from './convene-node.mjs';
import { CLK_TCK, commOf, processTree, threadTicks } from './proc-stats.mjs';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, warmup: { type: 'string', default: '25' } } });
const seconds = Number(args.seconds);
const warmup = Number(args.warmup);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-idle-'));
const children = new Set();
const track = (p) => (children.add(p), p);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const { pid } = await startConveneNode({
  dir,
  track,
  configLines: [
    'sfu: { workers: 1, webRtcServer: { listenIp: 127.0.0.1, basePort: 0 } }',
    'sip: { transports: [{ protocol: udp, host: 127.0.0.1, port: 0 }] }',
    `admin: { bootstrapToken: ${BENCH_BOOTSTRAP_TOKEN} }`,
    'demo: { seed: false }',
    'shutdown: { graceMs: 3000 }',
  ],
});
await sleep(warmup * 1000);
const snapshot = () => {
  const out = new Map();
  for (const p of processTree(pid)) for (const [tid, ticks] of threadTicks(p)) out.set(`${p}/${tid}`, { p, tid, ticks, name: `${commOf(p)}:${commOf(p, tid)}` });
  return out;
};
const before = snapshot();
await sleep(seconds * 1000);
const after = snapshot();
const rows = [];
for (const [key, a] of after) {
  const b = before.get(key);
  const ticks = a.ticks - (b?.ticks ?? 0);
  if (ticks > 0) rows.push({ name: a.name, pid: a.p, tid: a.tid, pct: (ticks / CLK_TCK / seconds) * 100 });
}
rows.sort((x, y) => y.pct - x.pct);
const total = rows.reduce((s, r) => s + r.pct, 0);
const byProcess = new Map();
for (const r of rows) byProcess.set(r.name.split(':')[0], (byProcess.get(r.name.split(':')[0]) ?? 0) + r.pct);
console.log(`idle Convene node over ${seconds} s (after ${warmup} s): ${total.toFixed(2)} % of one core`);
for (const [name, pct] of byProcess) console.log(`  process ${name}: ${pct.toFixed(2)} %`);
for (const r of rows) console.log(`    ${r.name.padEnd(40)} ${r.pct.toFixed(2)} %`);
for (const c of children) c.kill('SIGTERM');
await sleep(3000);
for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
fs.rmSync(dir, { recursive: true, force: true });
