// One load step against Janus AudioBridge: N plain-RTP participants (G.711 A-law, looping sipp's
// g711a.pcap) in one 16 kHz room; each receives its own mix (everyone but itself).
import { AudioBridgeSession, janusInfoRtt } from './janus-audiobridge.mjs';
import { measureWindow, summariseLegs } from './measure.mjs';
import { startRtpLoad } from './rtp-load.mjs';

/** Janus's mixing rate: 16 kHz, the same as our mixer's internal rate (G.711 legs are 8 kHz in both). */
export const JANUS_SAMPLING_RATE = 16000;

export async function runJanusStep({ janus, rtpLoadBin, legs, seconds, warmupS = 3, track, log = () => {} }) {
  const client = await startRtpLoad(rtpLoadBin, legs, track);
  const session = new AudioBridgeSession(janus.baseUrl);
  try {
    await session.open();
    await session.createRoom({ room: 100000 + Math.floor(Math.random() * 800000), samplingRate: JANUS_SAMPLING_RATE });
    const targets = [];
    for (let i = 0; i < legs; i++) targets.push(await session.joinRtp({ display: `leg-${i}`, port: client.ports[i] }));
    log(`janus: ${legs} participants joined`);
    const running = client.run(
      targets.map((t) => ({ ip: t.ip, port: t.port })),
      warmupS + seconds + 1,
    );
    const window = await measureWindow({ serverPid: janus.pid, clientPids: [client.pid], probes: { info: () => janusInfoRtt(janus.baseUrl) }, warmupS, seconds });
    const out = await running;
    return {
      server: 'janus',
      legs,
      mixedLegs: legs,
      ...window,
      cpuPerLegPct: window.serverCpuPct / legs,
      deadlineMisses: null,
      clientLateTicks: out.lateTicks,
      ...summariseLegs(out.legs),
      perLeg: out.legs,
    };
  } finally {
    client.kill();
    await session.close();
  }
}
