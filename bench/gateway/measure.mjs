// One load step's measurement window: server CPU (its process tree, from /proc), the load client's
// CPU and the signalling probe, over the same seconds.
import { cpuPct, procStat, processTree, treeRssKb, treeTicks } from '../media/proc-stats.mjs';
import { startProbe } from './signalling-probe.mjs';

/**
 * Waits `warmupS` (everyone sending, jitter buffers filled), then measures for `seconds`.
 * `clientPids` are the load processes (their CPU is reported apart from the server's).
 */
export async function measureWindow({ serverPid, clientPids, probe, warmupS, seconds }) {
  await sleep(warmupS * 1000);
  const serverPids = processTree(serverPid);
  const clientTicks = () => clientPids.reduce((sum, p) => sum + treeTicks(processTree(p)), 0);
  const t0 = performance.now();
  const server0 = treeTicks(serverPids);
  const root0 = procStat(serverPid)?.ticks ?? 0;
  const client0 = clientTicks();
  const probing = startProbe(probe);
  await sleep(seconds * 1000);
  const signalling = await probing.stop();
  const elapsed = (performance.now() - t0) / 1000;
  return {
    seconds: elapsed,
    serverCpuPct: cpuPct(server0, treeTicks(serverPids), elapsed),
    serverMainProcessCpuPct: cpuPct(root0, procStat(serverPid)?.ticks ?? root0, elapsed),
    serverRssMb: treeRssKb(serverPids) / 1024,
    clientCpuPct: cpuPct(client0, clientTicks(), elapsed),
    signalling,
  };
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
