/**
 * Fuzz and overload run against a real node (not part of the test suite; see README.md):
 *   node --import tsx bench/fuzz/run.ts [--sip 1000000] [--ws 100000] [--max-seconds 900]
 *        [--sip-rate 4000] [--ws-rate 1000] [--tcp-share 0.2] [--seed 1]
 * Starts `bin/convene.ts` as an operator would, sends generated SIP messages over UDP and TCP and
 * malformed signalling messages over /ws (all at once, paced, bounded in count and time), then
 * checks the node is alive and healthy and that its memory returns near the baseline. Prints the
 * numbers; exit code 1 if the node crashed or went unhealthy.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { spawnConvene } from '../../test/support/convene-process.js';
import { Rng, sipMessage, wsMessage } from './generators.js';

const { values: args } = parseArgs({
  options: {
    sip: { type: 'string', default: '1000000' },
    ws: { type: 'string', default: '100000' },
    'max-seconds': { type: 'string', default: '900' },
    'sip-rate': { type: 'string', default: '4000' },
    'ws-rate': { type: 'string', default: '1000' },
    'tcp-share': { type: 'string', default: '0.2' },
    seed: { type: 'string', default: '1' },
  },
});
const SIP_TOTAL = Number(args.sip);
const WS_TOTAL = Number(args.ws);
const MAX_MS = Number(args['max-seconds']) * 1000;
const SIP_RATE = Number(args['sip-rate']);
const WS_RATE = Number(args['ws-rate']);
const TCP_SHARE = Number(args['tcp-share']);
const SEED = Number(args.seed);
const INSPECT_PORT = 9300 + (process.pid % 500);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
const cpuSeconds = (pid: number) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

// The node: SIP rate limits off and signalling rate limits lifted, so the generated input reaches
// the parsers and handlers instead of being dropped at the door (the door is tested elsewhere).
const node = spawnConvene(
  `
log: { level: info, pretty: false }
http: { host: 127.0.0.1, port: 0 }
store:
  embedded: { dataDir: $DIR/redis }
sfu:
  workers: 1
  webRtcServer: { listenIp: 127.0.0.1, basePort: 0 }
signaling: { ratePerSecond: 100000, burst: 100000, maxConnectionsPerAddress: 1000, helloTimeoutMs: 600000 }
sip:
  transports: [{ protocol: udp, host: 127.0.0.1, port: 0 }, { protocol: tcp, host: 127.0.0.1, port: 0 }]
  limits: { ratePerSecond: 0 }
  maxConnectionsPerAddress: 64
shutdown: { graceMs: 3000 }
`,
  { NODE_OPTIONS: `--inspect=127.0.0.1:${INSPECT_PORT}` },
);

async function inspector() {
  const list = (await (await fetch(`http://127.0.0.1:${INSPECT_PORT}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(list[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
  let id = 0;
  const pending = new Map<number, (r: unknown) => void>();
  socket.on('message', (raw) => {
    const msg = JSON.parse(raw.toString()) as { id: number; result: unknown };
    pending.get(msg.id)?.(msg.result);
    pending.delete(msg.id);
  });
  const call = (method: string) =>
    new Promise<unknown>((resolve) => {
      pending.set(++id, resolve);
      socket.send(JSON.stringify({ id, method }));
    });
  return { call, close: () => socket.close() };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && /^[a-z_]+(\{|\s)/.test(line) && line.split(/[{ ]/)[0] === name) sum += Number(line.split(' ').at(-1));
  return sum;
}

async function settledMemory(ins: Awaited<ReturnType<typeof inspector>>, pid: number) {
  await ins.call('HeapProfiler.collectGarbage');
  await sleep(1000);
  await ins.call('HeapProfiler.collectGarbage');
  await sleep(500);
  const heap = (await ins.call('Runtime.getHeapUsage')) as { usedSize: number };
  return { rssMb: rssMb(pid), heapMb: heap.usedSize / 1024 / 1024 };
}

const url = await node.ready;
const pid = node.proc.pid!;
const listening = await node.waitForLog((r) => r.msg === 'SIP stack listening');
const portOf = (p: string) => Number((listening.transports as string[]).find((t) => t.startsWith(`${p}:`))!.split(':').at(-1));
const udpPort = portOf('udp');
const tcpPort = portOf('tcp');
const wsUrl = `${url.replace('http', 'ws')}ws`;
const ins = await inspector();

// Warm-up, so the baseline includes what any first request loads (JIT, lazy modules).
const rngWarm = new Rng(SEED ^ 0xabcdef);
const warmUdp = dgram.createSocket('udp4');
await new Promise<void>((r) => warmUdp.bind(0, '127.0.0.1', () => r()));
for (let i = 0; i < 2000; i++) warmUdp.send(sipMessage(rngWarm, i, 'UDP'), udpPort, '127.0.0.1');
await sleep(1000);
warmUdp.close();
await sleep(35_000); // SIP transaction timers (Timer J/H: 64·T1 = 32 s) let the warm-up's transactions go
const baseline = await settledMemory(ins, pid);
const cpu0 = cpuSeconds(pid);
console.log(`node up at ${url} (pid ${pid}); baseline after warm-up: RSS ${baseline.rssMb.toFixed(1)} MB, JS heap ${baseline.heapMb.toFixed(1)} MB`);

const started = Date.now();
const timeLeft = () => Date.now() - started < MAX_MS;
const stats = { udpSent: 0, udpReplies: 0, tcpSent: 0, tcpConnections: 0, tcpClosedByNode: 0, wsSent: 0, wsReplies: 0, wsConnections: 0, wsClosedByNode: 0, peakRssMb: 0 };
let nodeDied = false;
void node.exited.then(() => (nodeDied = true));

// ---------------------------------------------------------------------------------------- SIP
async function sipUdp(total: number, rate: number): Promise<void> {
  const rng = new Rng(SEED);
  const sockets = await Promise.all(
    Array.from({ length: 4 }, async () => {
      const s = dgram.createSocket('udp4');
      s.on('message', () => stats.udpReplies++);
      s.on('error', () => undefined);
      await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
      return s;
    }),
  );
  const tickMs = 20;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  while (stats.udpSent < total && timeLeft() && !nodeDied) {
    const t0 = Date.now();
    for (let i = 0; i < perTick && stats.udpSent < total; i++) {
      const n = stats.udpSent++;
      const msg = sipMessage(rng, n, 'UDP');
      if (msg.length > 0 && msg.length < 65_000) sockets[n % sockets.length]!.send(msg, udpPort, '127.0.0.1');
    }
    await sleep(Math.max(0, tickMs - (Date.now() - t0)));
  }
  await sleep(500);
  for (const s of sockets) s.close();
}

async function sipTcp(total: number, rate: number): Promise<void> {
  const rng = new Rng(SEED + 1);
  const connections = 16;
  const perConnRate = rate / connections;
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      while (stats.tcpSent < total && timeLeft() && !nodeDied) {
        const socket = net.connect({ host: '127.0.0.1', port: tcpPort });
        stats.tcpConnections++;
        let closed = false;
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
        socket.on('close', () => (closed = true));
        await new Promise<void>((r) => (socket.once('connect', () => r()), socket.once('close', () => r())));
        while (!closed && stats.tcpSent < total && timeLeft() && !nodeDied) {
          const n = stats.tcpSent++;
          // Mostly well-framed (so the stream lives on), sometimes broken framing.
          const msg = sipMessage(rng, n * 16 + c, 'TCP');
          await new Promise<void>((r) => socket.write(msg, () => r()));
          await sleep(1000 / perConnRate);
        }
        if (closed) stats.tcpClosedByNode++;
        socket.destroy();
      }
    }),
  );
}

// ---------------------------------------------------------------------------------- signalling
async function signalling(total: number, rate: number): Promise<void> {
  const rng = new Rng(SEED + 2);
  const sockets = 20;
  const perSocketRate = rate / sockets;
  await Promise.all(
    Array.from({ length: sockets }, async () => {
      while (stats.wsSent < total && timeLeft() && !nodeDied) {
        const ws = new WebSocket(wsUrl);
        stats.wsConnections++;
        let closed = false;
        ws.on('message', () => stats.wsReplies++);
        ws.on('error', () => undefined);
        ws.on('close', () => (closed = true));
        await new Promise<void>((r) => (ws.once('open', () => r()), ws.once('close', () => r())));
        // Half the sockets say hello first, so the handlers behind it see the garbage too.
        if (!closed && rng.chance(0.5)) ws.send(JSON.stringify({ id: 0, method: 'hello', data: { protocolVersion: 1 } }));
        while (!closed && stats.wsSent < total && timeLeft() && !nodeDied) {
          const m = wsMessage(rng);
          stats.wsSent++;
          ws.send(m.data, { binary: m.binary });
          await sleep(1000 / perSocketRate);
        }
        if (closed) stats.wsClosedByNode++;
        ws.terminate();
      }
    }),
  );
}

const sampler = setInterval(() => {
  if (!nodeDied) stats.peakRssMb = Math.max(stats.peakRssMb, rssMb(pid));
}, 1000);
const progress = setInterval(() => {
  console.log(
    `  ${Math.round((Date.now() - started) / 1000)} s: SIP udp ${stats.udpSent} tcp ${stats.tcpSent}, ws ${stats.wsSent}; node RSS ${nodeDied ? 'DEAD' : rssMb(pid).toFixed(0)} MB`,
  );
}, 15_000);

const tcpTotal = Math.round(SIP_TOTAL * TCP_SHARE);
await Promise.all([sipUdp(SIP_TOTAL - tcpTotal, SIP_RATE * (1 - TCP_SHARE)), sipTcp(tcpTotal, SIP_RATE * TCP_SHARE), signalling(WS_TOTAL, WS_RATE)]);
const elapsed = (Date.now() - started) / 1000;
clearInterval(progress);
const cpuUsed = nodeDied ? NaN : cpuSeconds(pid) - cpu0;
console.log(`sent in ${elapsed.toFixed(0)} s; waiting for SIP transactions to end (≤ 90 s), then measuring memory (+60 s)…`);

// After: transactions end (their timers run out), then memory is compared with the baseline.
let after = { rssMb: NaN, heapMb: NaN };
let later = { rssMb: NaN, heapMb: NaN };
let health = 0;
let txActive = NaN;
if (!nodeDied) {
  const until = Date.now() + 90_000;
  do {
    await sleep(3000);
    txActive = await metric(url, 'sip_transactions_active');
  } while (txActive > 0 && Date.now() < until);
  await sleep(5000);
  after = await settledMemory(ins, pid);
  // The allocator gives freed pages back to the OS lazily: look again a minute later.
  await sleep(60_000);
  later = await settledMemory(ins, pid);
  health = (await fetch(`${url}healthz`)).status;
}
clearInterval(sampler);
const parseErrors = nodeDied ? NaN : await metric(url, 'sip_parse_errors_total');
const sipTransactions = nodeDied ? NaN : await metric(url, 'sip_transactions_total');
const refused = nodeDied ? NaN : await metric(url, 'sip_requests_refused_total');
const wsProtocolErrors = nodeDied ? NaN : await metric(url, 'convene_signaling_protocol_errors_total');
const wsRequests = nodeDied ? NaN : await metric(url, 'convene_signaling_requests_total');
const errorLogs = node.logs.filter((r) => Number(r.level) >= 50);
ins.close();

const crashed = nodeDied || node.proc.exitCode !== null || health !== 200;
const rows: [string, string][] = [
  ['SIP messages sent (UDP / TCP)', `${stats.udpSent + stats.tcpSent} (${stats.udpSent} / ${stats.tcpSent})`],
  ['  UDP replies received', String(stats.udpReplies)],
  ['  TCP connections opened / closed by the node', `${stats.tcpConnections} / ${stats.tcpClosedByNode}`],
  ['  node: SIP parse errors / transactions ended / requests refused', `${parseErrors} / ${sipTransactions} / ${refused}`],
  ['signalling messages sent', String(stats.wsSent)],
  ['  replies received', String(stats.wsReplies)],
  ['  sockets opened / closed by the node', `${stats.wsConnections} / ${stats.wsClosedByNode}`],
  ['  node: protocol errors / requests handled', `${wsProtocolErrors} / ${wsRequests}`],
  ['duration (s)', elapsed.toFixed(0)],
  ['node CPU during the run (s)', cpuUsed.toFixed(1)],
  ['crashes', crashed ? 'YES' : '0'],
  ['/healthz after', String(health)],
  ['error-level log lines', String(errorLogs.length)],
  ['SIP transactions still active at the end', String(txActive)],
  ['RSS baseline / peak / after / a minute later (MB)', `${baseline.rssMb.toFixed(1)} / ${stats.peakRssMb.toFixed(1)} / ${after.rssMb.toFixed(1)} / ${later.rssMb.toFixed(1)}`],
  ['JS heap baseline / after / a minute later (MB)', `${baseline.heapMb.toFixed(1)} / ${after.heapMb.toFixed(1)} / ${later.heapMb.toFixed(1)}`],
];
console.log('\n| measure | value |\n| --- | --- |');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
for (const r of errorLogs.slice(0, 5)) console.log('error log:', JSON.stringify(r).slice(0, 400));

node.kill('SIGTERM');
await node.exited;
fs.rmSync(node.dir, { recursive: true, force: true });
process.exit(crashed ? 1 : 0);
