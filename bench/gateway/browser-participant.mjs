// The one browser in the meeting: bench/media's Go WebRTC client (pion) as a single participant
// joining over Convene's signalling WebSocket, sending Opus (a looped tone) and receiving the
// room's audio (the SIP callers, as the gateway publishes them into the SFU).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FPS, LAYERS } from '../media/setup.mjs';

export function startBrowserParticipant({ clientBin, mediaDir, wsUrl, room, durationS, dir, track }) {
  const plan = {
    server: 'convene',
    wsUrl,
    mediaDir,
    fps: FPS,
    durationS,
    joinSpreadMs: 0,
    speakerSwitchS: 4,
    speakerSlots: 1,
    layerKbps: LAYERS.map((l) => l.kbps),
    participants: [{ name: 'browser', room, mode: 'audio-only', bandwidthKbps: 256, audio: 'always', speakerSlot: 0, video: 'none', receive: true }],
  };
  const planFile = path.join(dir, 'browser.plan.json');
  const outFile = path.join(dir, 'browser.out.json');
  fs.writeFileSync(planFile, JSON.stringify(plan));
  const logFd = fs.openSync(path.join(dir, 'browser.log'), 'w');
  const proc = track(spawn(clientBin, ['-plan', planFile, '-out', outFile], { stdio: ['ignore', logFd, logFd] }));
  fs.closeSync(logFd);
  const killer = setTimeout(() => proc.kill('SIGKILL'), (durationS + 60) * 1000);
  const done = new Promise((r) => proc.once('exit', () => (clearTimeout(killer), r())));
  return {
    proc,
    pid: proc.pid,
    /** What the browser saw: joined, streams received (one per caller heard), packets, loss. */
    async result() {
      await done;
      if (!fs.existsSync(outFile)) return { joined: false, error: `no results; see ${dir}/browser.log` };
      const p = JSON.parse(fs.readFileSync(outFile, 'utf8')).participants[0];
      const streams = p?.streams ?? [];
      const packets = streams.reduce((a, s) => a + s.packets, 0);
      const lost = streams.reduce((a, s) => a + s.lost, 0);
      return { joined: Boolean(p?.joined), error: p?.error, streams: streams.filter((s) => s.packets > 0).length, packets, lossPct: packets + lost ? (100 * lost) / (packets + lost) : null };
    },
  };
}
