// Driver of the Go plain-RTP load client (rtp-load/): builds it (cached), starts it with N legs,
// learns the legs' ports, tells it where to send, and collects what each leg received.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureGoBinary } from '../media/setup.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const G711A_PCAP = '/usr/share/sip-tester/g711a.pcap';

export function ensureRtpLoad() {
  return ensureGoBinary(path.join(here, 'rtp-load'), 'convene-rtp-load');
}

/** A started client: `ports` are its legs' local ports (127.0.0.1). */
export async function startRtpLoad(bin, legs, track, { pcap = G711A_PCAP, basePort = 0, portStep = 2 } = {}) {
  const proc = track(spawn(bin, ['-legs', String(legs), '-pcap', pcap, '-base-port', String(basePort), '-port-step', String(portStep)], { stdio: ['pipe', 'pipe', 'pipe'] }));
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const lines = readline.createInterface({ input: proc.stdout });
  const queue = [];
  const waiting = [];
  lines.on('line', (l) => (waiting.length ? waiting.shift()(l) : queue.push(l)));
  const exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  const nextLine = (ms) =>
    Promise.race([
      new Promise((r) => (queue.length ? r(queue.shift()) : waiting.push(r))),
      exited.then((code) => Promise.reject(new Error(`rtp-load exited ${code}: ${stderr.trim()}`))),
      new Promise((_, rej) => setTimeout(() => rej(new Error(`rtp-load: no answer in ${ms} ms`)), ms).unref()),
    ]);
  const { ports } = JSON.parse(await nextLine(10_000));
  return {
    proc,
    pid: proc.pid,
    ports,
    /**
     * Sends to `targets[i]` (null: leg i only receives) for `seconds`; resolves to the per-leg
     * results once the run is over.
     */
    async run(targets, seconds) {
      proc.stdin.write(JSON.stringify({ targets, seconds }) + '\n');
      const out = JSON.parse(await nextLine((seconds + 30) * 1000));
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      return out;
    },
    kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

/** Writes sipp's clip re-cut into 20 ms packets and looped for `seconds` as a pcap file. */
export function writeClipPcap(bin, file, seconds, { pcap = G711A_PCAP } = {}) {
  const r = spawnSync(bin, ['-pcap', pcap, '-write-pcap', file, '-pcap-seconds', String(seconds)], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`rtp-load -write-pcap failed: ${r.stderr || r.error}`);
  return file;
}
