// Janus VideoRoom for the media bench: Debian's `janus` (apt-get install -y janus), run with a
// generated config in a temp dir — only the VideoRoom plugin and the WebSocket transport, on
// loopback, logging to a file.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './free-port.mjs';

const LIB = '/usr/lib/x86_64-linux-gnu/janus';

/** true, or why Janus cannot run here. */
export function janusAvailable() {
  // `janus --version` prints the version and exits 1, so look at what it printed.
  const r = spawnSync('janus', ['--version'], { encoding: 'utf8' });
  if (r.error || !/Janus version/.test(`${r.stdout}${r.stderr}`)) return 'janus not installed (apt-get install -y janus)';
  if (!fs.existsSync(`${LIB}/plugins/libjanus_videoroom.so`) || !fs.existsSync(`${LIB}/transports/libjanus_websockets.so`)) return `janus plugins not found under ${LIB}`;
  return true;
}

export async function startJanus(workDir, track) {
  const dir = path.join(workDir, 'janus');
  for (const sub of ['conf', 'plugins', 'transports']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.symlinkSync(`${LIB}/plugins/libjanus_videoroom.so`, path.join(dir, 'plugins', 'libjanus_videoroom.so'));
  fs.symlinkSync(`${LIB}/transports/libjanus_websockets.so`, path.join(dir, 'transports', 'libjanus_websockets.so'));
  const port = await freePort();
  const conf = path.join(dir, 'conf');
  fs.writeFileSync(
    path.join(conf, 'janus.jcfg'),
    `general: {
  configs_folder = "${conf}"
  plugins_folder = "${dir}/plugins"
  transports_folder = "${dir}/transports"
  events_folder = "${dir}/events"
  loggers_folder = "${dir}/loggers"
  debug_level = 3
  session_timeout = 120
  server_name = "convene-media-bench"
}
media: {
  rtp_port_range = "40000-49999"
}
nat: {
  nice_debug = false
  ignore_mdns = true
}
plugins: {}
transports: {}
events: { broadcast = false }
`,
  );
  fs.writeFileSync(
    path.join(conf, 'janus.transport.websockets.jcfg'),
    `general: {
  json = "compact"
  ws = true
  ws_port = ${port}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: { admin_ws = false }
`,
  );
  fs.writeFileSync(path.join(conf, 'janus.plugin.videoroom.jcfg'), 'general: {\n  string_ids = false\n}\n');
  const logFd = fs.openSync(path.join(dir, 'janus.log'), 'a');
  const proc = track(spawn('janus', ['-C', path.join(conf, 'janus.jcfg'), '-F', conf, '-P', `${dir}/plugins`, '-o'], { cwd: dir, stdio: ['ignore', logFd, logFd] }));
  fs.closeSync(logFd);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`janus exited ${proc.exitCode}; see ${dir}/janus.log`);
    const up = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`janus not listening in 30 s; see ${dir}/janus.log`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { name: 'janus', label: 'Janus VideoRoom', proc, pid: proc.pid, wsUrl: `ws://127.0.0.1:${port}`, kind: 'janus', newRooms: async (count) => Array.from({ length: count }, (_, i) => `janus-room-${Date.now()}-${i}`) };
}
