// One load step's measurement window: server CPU (its process tree, from /proc), the load client's
// CPU and the signalling probe, over the same seconds.
import { commOf, cpuPct, procStat, processTree, stealTicks, threadTicks, treeRssKb, treeTicks } from '../media/proc-stats.mjs';
import { startProbe } from './signalling-probe.mjs';

/**
 * Waits `warmupS` (everyone sending, jitter buffers filled), then measures for `seconds`.
 * `clientPids` are the load processes (their CPU is reported apart from the server's, per process
 * and summed); `probes` maps a name to a signalling probe (resolves to an RTT in ms).
 */
export async function measureWindow({ serverPid, clientPids, probes, warmupS, seconds }) {
  await sleep(warmupS * 1000);
  const serverPids = processTree(serverPid);
  const clientTicks = () => clientPids.map((p) => treeTicks(processTree(p)));
  const t0 = performance.now();
  const server0 = treeTicks(serverPids);
  const root0 = procStat(serverPid)?.ticks ?? 0;
  const byProcess0 = new Map(serverPids.map((p) => [p, procStat(p)?.ticks ?? 0]));
  const threads0 = threadTicks(serverPid);
  const client0 = clientTicks();
  const steal0 = stealTicks();
  const probing = Object.entries(probes).map(([name, probe]) => [name, startProbe(probe)]);
  await sleep(seconds * 1000);
  const signalling = {};
  for (const [name, p] of probing) signalling[name] = await p.stop();
  const elapsed = (performance.now() - t0) / 1000;
  // Per process of the tree by name (node, mediasoup-worker, redis-server), and the busiest thread
  // of the main process other than its main thread: with one gateway media worker configured, that
  // is the worker thread where the mixer and every call's RTP run.
  const byProcess = {};
  for (const [p, t] of byProcess0) {
    const name = commOf(p) || String(p);
    byProcess[name] = (byProcess[name] ?? 0) + cpuPct(t, procStat(p)?.ticks ?? t, elapsed);
  }
  let busiestThreadCpuPct = null;
  let mainThreadCpuPct = null;
  for (const [tid, t] of threadTicks(serverPid)) {
    const pct = cpuPct(threads0.get(tid) ?? t, t, elapsed);
    if (tid === serverPid) {
      mainThreadCpuPct = pct; // Convene: the signalling thread (SIP, HTTP, WebSocket, the bench's probes)
      continue;
    }
    if (busiestThreadCpuPct === null || pct > busiestThreadCpuPct) busiestThreadCpuPct = pct;
  }
  const window = {
    seconds: elapsed,
    serverCpuPct: cpuPct(server0, treeTicks(serverPids), elapsed),
    serverMainProcessCpuPct: cpuPct(root0, procStat(serverPid)?.ticks ?? root0, elapsed),
    serverCpuByProcess: byProcess,
    serverBusiestThreadCpuPct: busiestThreadCpuPct,
    serverMainThreadCpuPct: mainThreadCpuPct,
    serverRssMb: treeRssKb(serverPids) / 1024,
    clientCpuPcts: clientTicks().map((t, i) => cpuPct(client0[i], Math.max(t, client0[i]), elapsed)),
    signalling,
    // Hypervisor steal over the window, % of one CPU (summed over the vCPUs): a tick that wakes
    // late while the media thread was idle usually coincides with it.
    stealPct: steal0 === null ? null : cpuPct(steal0, stealTicks() ?? steal0, elapsed),
  };
  window.clientCpuPct = window.clientCpuPcts.reduce((a, b) => a + b, 0);
  return window;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Sums per-leg receive counts into the step's loss and audio figures. */
export function summariseLegs(legs) {
  const received = legs.reduce((a, l) => a + l.received, 0);
  const lost = legs.reduce((a, l) => a + l.lost, 0);
  return {
    legs: legs.length,
    legsReceiving: legs.filter((l) => l.received > 0).length,
    legsHearingAudio: legs.filter((l) => l.loud > 0).length,
    packetsReceived: received,
    packetsLost: lost,
    lossPct: received + lost ? (100 * lost) / (received + lost) : null,
    minLegPackets: legs.length ? Math.min(...legs.map((l) => l.received)) : 0,
  };
}
