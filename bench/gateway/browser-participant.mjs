// The one browser in the meeting: bench/media's Go WebRTC client (pion) as a single audio
// participant, sending Opus (the same looped tone on both servers) and receiving what the server
// sends a browser. Convene (`server: 'convene'`): joins over Convene's signalling WebSocket and
// receives the callers (one stream per caller, as the gateway publishes them into the SFU).
// Janus (`server: 'janus-audiobridge'`, `room` = the AudioBridge room id): joins the room over
// Janus's WebSocket API with an Opus offer and receives the room's mix (one stream).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FPS, LAYERS } from '../media/setup.mjs';

export function startBrowserParticipant({ clientBin, mediaDir, server = 'convene', wsUrl, room, durationS, dir, track }) {
  const plan = {
    server,
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
    /** Ends the client before its duration (SIGTERM: it leaves and writes what it saw). */
    stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
    },
    /**
     * What the browser saw over its whole stay: joined, streams received (Convene: one per caller
     * heard; Janus: the mix), packets, loss, and `voicePackets` — Opus packets too big to be
     * silence (the client's size test), so `hearing` says it got sound, not just packets.
     */
    async result() {
      await done;
      if (!fs.existsSync(outFile)) return { joined: false, error: `no results; see ${dir}/browser.log` };
      const p = JSON.parse(fs.readFileSync(outFile, 'utf8')).participants[0];
      const streams = p?.streams ?? [];
      const sum = (key) => streams.reduce((a, s) => a + (s[key] ?? 0), 0);
      const packets = sum('packets');
      const lost = sum('lost');
      const voicePackets = sum('voicePackets');
      return { joined: Boolean(p?.joined), error: p?.error, joinMs: p?.joinMs, packetsSent: p?.packetsSent, streams: streams.filter((s) => s.packets > 0).length, packets, bytes: sum('bytes'), voicePackets, hearing: voicePackets > 0, lossPct: packets + lost ? (100 * lost) / (packets + lost) : null };
    },
  };
}
