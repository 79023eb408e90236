// One load step against Convene: N sipp callers (G.711 A-law, 20 ms) into the demo meeting
// (sip:demo.meeting@127.0.0.1, no PIN) plus one browser (the Go WebRTC client), the gateway mixing
// mix-minus for every caller. Loss is measured where the callers receive: rtp-load owns each
// caller's media port (see sipp-callers.mjs) and counts the gateway's packets per leg.
import path from 'node:path';
import { udpPortFree } from '../media/free-port.mjs';
import { startBrowserParticipant } from './browser-participant.mjs';
import { measureWindow, sleep, summariseLegs } from './measure.mjs';
import { GATEWAY_METRICS, metricDelta, scrapeMetrics } from './prom-metrics.mjs';
import { startRtpLoad, writeClipPcap } from './rtp-load.mjs';
import { SIPP_PORT_STEP, sippCallCounts, startSippCallers } from './sipp-callers.mjs';
import { healthRtt, openSipOptionsProbe } from './sip-options-probe.mjs';

export const DEMO_SERVICE = 'demo.meeting';
const CALL_RATE = 20;

/** A media base port whose whole span (sipp's two echo sockets and every call's port) is free. */
async function pickMediaBase(calls) {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 36000 + 4 * Math.floor(Math.random() * 700);
    const ports = [base, base + 2, ...Array.from({ length: calls }, (_, i) => base + 1 + SIPP_PORT_STEP * i)];
    let free = true;
    for (const p of ports) if (!(free = await udpPortFree(p))) break;
    if (free) return base;
  }
  throw new Error('no free span of UDP ports for the sipp callers');
}

export async function runConveneStep({ node, sipPort, localSipPort, rtpLoadBin, mediaClientBin, mediaDir, room, legs, seconds, warmupS = 3, dir, track, log = () => {} }) {
  // Calls last until the window is surely over: the ramp, the wait for every leg to be mixed (at
  // most rampS + 15 s), the warm-up and the window, plus a margin.
  const rampS = legs / CALL_RATE;
  const rampWaitS = rampS + 15;
  const callS = rampWaitS + warmupS + seconds + 5;
  const pcapFile = writeClipPcap(rtpLoadBin, path.join(dir, `clip-${Math.ceil(callS)}s.pcap`), callS + 1);
  const mediaBase = await pickMediaBase(legs);
  const receiver = await startRtpLoad(rtpLoadBin, legs, track, { basePort: mediaBase + 1, portStep: SIPP_PORT_STEP });
  const browser = startBrowserParticipant({ clientBin: mediaClientBin, mediaDir, wsUrl: node.wsUrl, room, durationS: callS + 2, dir, track });
  const options = await openSipOptionsProbe({ port: sipPort });
  let sipp;
  try {
    // The receiver listens for the whole life of the calls (it sends nothing: sipp does).
    const receiving = receiver.run(Array(legs).fill(null), callS + 2);
    sipp = startSippCallers({ dir, track, service: DEMO_SERVICE, sipPort, localSipPort, mediaBase, calls: legs, rate: CALL_RATE, callMs: callS * 1000, pcapFile });
    // Measure once every call is in the mixer (or the ramp is long over: then what is there).
    const rampDeadline = Date.now() + rampWaitS * 1000;
    let mixed = 0;
    while (Date.now() < rampDeadline && sipp.proc.exitCode === null) {
      mixed = (await scrapeMetrics(node.httpUrl).catch(() => ({})))[GATEWAY_METRICS.mixedLegs] ?? 0;
      if (mixed >= legs) break;
      await sleep(500);
    }
    log(`convene: ${mixed}/${legs} legs in the mixer`);
    const m0 = await scrapeMetrics(node.httpUrl);
    const window = await measureWindow({
      serverPid: node.pid,
      clientPids: [sipp.pid, receiver.pid, browser.pid],
      probes: { options: () => options.rtt(), health: () => healthRtt(node.httpUrl) },
      warmupS,
      seconds,
    });
    const m1 = await scrapeMetrics(node.httpUrl);
    const out = await receiving;
    const sippExit = await Promise.race([sipp.done, sleep(30_000).then(() => 'timeout')]);
    const browserResult = await browser.result();
    const mixedLegs = m1[GATEWAY_METRICS.mixedLegs] ?? null;
    const legSummary = summariseLegs(out.legs);
    return {
      server: 'convene',
      legs,
      mixedLegs,
      ...window,
      loadCpu: { sipp: window.clientCpuPcts[0], rtpReceiver: window.clientCpuPcts[1], browser: window.clientCpuPcts[2] },
      cpuPerLegPct: window.serverCpuPct / (mixedLegs || legSummary.legsReceiving || legs),
      deadlineMisses: metricDelta(m0, m1, GATEWAY_METRICS.deadlineMisses),
      busyDeadlineMisses: metricDelta(m0, m1, GATEWAY_METRICS.busyDeadlineMisses),
      tickOverruns: metricDelta(m0, m1, GATEWAY_METRICS.tickOverruns),
      ticks: metricDelta(m0, m1, GATEWAY_METRICS.ticks),
      tickWorkMeanMs: (() => {
        const work = metricDelta(m0, m1, GATEWAY_METRICS.tickWorkSeconds);
        const ticks = metricDelta(m0, m1, GATEWAY_METRICS.ticks);
        return work === null || !ticks ? null : (work * 1000) / ticks;
      })(),
      jitterLost: metricDelta(m0, m1, GATEWAY_METRICS.jitterLost),
      jitterLate: metricDelta(m0, m1, GATEWAY_METRICS.jitterLate),
      sipp: { exit: sippExit, ...sippCallCounts(sipp.logFile) },
      browser: browserResult,
      ...legSummary,
      perLeg: out.legs,
    };
  } finally {
    await options.close();
    receiver.kill();
    if (sipp && sipp.proc.exitCode === null) sipp.proc.kill('SIGKILL');
    if (browser.proc.exitCode === null) browser.proc.kill('SIGKILL');
  }
}
