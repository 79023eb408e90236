// One load step against Janus AudioBridge: N plain-RTP participants (G.711 A-law, looping sipp's
// g711a.pcap) in one 16 kHz room, each receiving its own mix (everyone but itself), plus one
// WebRTC browser (bench/media's Go client: Opus tone in, the room's mix out as Opus over
// DTLS-SRTP) — the same load as Convene's step (N sipp callers + one browser).
import { startBrowserParticipant } from './browser-participant.mjs';
import { AudioBridgeSession, janusInfoRtt } from './janus-audiobridge.mjs';
import { measureWindow, sleep, summariseLegs } from './measure.mjs';
import { startRtpLoad } from './rtp-load.mjs';

/** Janus's mixing rate: 16 kHz, the same as our mixer's internal rate (G.711 legs are 8 kHz in both). */
export const JANUS_SAMPLING_RATE = 16000;
/** How long the browser may take to join and bring its PeerConnection up (ICE, DTLS). */
const BROWSER_SETUP_S = 20;

/** Waits until Janus lists the browser with its WebRTC set up; false if it is not in time. */
async function browserSetUp(session, browser, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  while (Date.now() < deadline && browser.proc.exitCode === null) {
    const list = await session.listParticipants().catch(() => []);
    if (list.some((p) => p.display === 'browser' && p.setup)) return true;
    await sleep(250);
  }
  return false;
}

export async function runJanusStep({ janus, rtpLoadBin, mediaClientBin, mediaDir, legs, seconds, warmupS = 3, dir, track, log = () => {} }) {
  const t0 = performance.now();
  const client = await startRtpLoad(rtpLoadBin, legs, track);
  const session = new AudioBridgeSession(janus.baseUrl);
  let browser = null;
  try {
    await session.open();
    await session.createRoom({ room: 100000 + Math.floor(Math.random() * 800000), samplingRate: JANUS_SAMPLING_RATE });
    const targets = [];
    for (let i = 0; i < legs; i++) targets.push(await session.joinRtp({ display: `leg-${i}`, port: client.ports[i] }));
    const joinedS = (performance.now() - t0) / 1000;
    // The browser stays at most until the window is over (ended by SIGTERM right after it).
    browser = startBrowserParticipant({ clientBin: mediaClientBin, mediaDir, server: 'janus-audiobridge', wsUrl: janus.wsUrl, room: String(session.room), durationS: BROWSER_SETUP_S + warmupS + seconds + 5, dir, track });
    const up = await browserSetUp(session, browser, BROWSER_SETUP_S);
    const browserS = (performance.now() - t0) / 1000 - joinedS;
    log(`janus: ${legs} participants joined (${joinedS.toFixed(1)} s); browser ${up ? `joined, WebRTC up (${browserS.toFixed(1)} s)` : `not up in ${BROWSER_SETUP_S} s — measuring without it`}`);
    const running = client.run(
      targets.map((t) => ({ ip: t.ip, port: t.port })),
      warmupS + seconds + 1,
    );
    const window = await measureWindow({ serverPid: janus.pid, clientPids: [client.pid, browser.pid], probes: { info: () => janusInfoRtt(janus.baseUrl) }, warmupS, seconds });
    const out = await running;
    browser.stop();
    const browserResult = await browser.result();
    return {
      server: 'janus',
      legs,
      mixedLegs: legs,
      ...window,
      loadCpu: { rtpLoad: window.clientCpuPcts[0], browser: window.clientCpuPcts[1] },
      cpuPerLegPct: window.serverCpuPct / legs,
      deadlineMisses: null,
      clientLateTicks: out.lateTicks,
      browser: browserResult,
      ...summariseLegs(out.legs),
      perLeg: out.legs,
    };
  } finally {
    client.kill();
    if (browser && browser.proc.exitCode === null) browser.proc.kill('SIGKILL');
    await session.close();
  }
}
