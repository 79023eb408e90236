// Debian's `janus` run for a bench with only the plugins and transports it needs: a generated
// config in a temp dir, plugin and transport folders holding just those (the rest disabled by
// name as well), transports on loopback and free ports, logging to a file. Used by the media
// bench (VideoRoom) and the gateway bench (AudioBridge).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './free-port.mjs';

const LIB = '/usr/lib/x86_64-linux-gnu/janus';
const ALL_PLUGINS = ['audiobridge', 'duktape', 'echotest', 'lua', 'nosip', 'recordplay', 'sip', 'streaming', 'textroom', 'videocall', 'videoroom', 'voicemail'];
const ALL_TRANSPORTS = ['http', 'mqtt', 'nanomsg', 'pfunix', 'rabbitmq', 'websockets'];
const soName = (name) => `libjanus_${name}.so`;

/** true, or why Janus with these plugins and transports (short names: 'videoroom', 'http') cannot run here. */
export function janusInstalled({ plugins, transports }) {
  // `janus --version` prints the version and exits 1, so look at what it printed.
  const r = spawnSync('janus', ['--version'], { encoding: 'utf8' });
  if (r.error || !/Janus version/.test(`${r.stdout}${r.stderr}`)) return 'janus not installed (apt-get install -y janus)';
  const missing = [...plugins.map((p) => `plugins/${soName(p)}`), ...transports.map((t) => `transports/${soName(t)}`)].filter((f) => !fs.existsSync(`${LIB}/${f}`));
  if (missing.length) return `janus ${missing.join(', ')} not found under ${LIB}`;
  return true;
}

// The transports' configs: plain HTTP (with /info, the readiness probe) or WebSocket, no admin API.
const TRANSPORT_CONFIG = {
  http: (port) => `general: {
  json = "compact"
  base_path = "/janus"
  http = true
  port = ${port}
  ip = "127.0.0.1"
  https = false
}
admin: { admin_http = false }
`,
  websockets: (port) => `general: {
  json = "compact"
  ws = true
  ws_port = ${port}
  ws_ip = "127.0.0.1"
  wss = false
}
admin: { admin_ws = false }
`,
};

/**
 * Starts Janus in `workDir`/janus; `track(proc)` registers the child so the caller can kill it on
 * exit. `plugins` maps each plugin's short name to its jcfg text; `transports` names 'http' and/or
 * 'websockets'; `rtpPortRange` is Janus's own WebRTC media range. Resolves once Janus answers
 * (HTTP `info` when it has HTTP, else a WebSocket-port connect) to `{ proc, pid, logFile, baseUrl?, wsUrl? }`.
 */
export async function startJanusWith(workDir, track, { serverName, plugins, transports, rtpPortRange }) {
  const dir = path.join(workDir, 'janus');
  for (const sub of ['conf', 'plugins', 'transports', 'events', 'loggers']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  for (const p of Object.keys(plugins)) fs.symlinkSync(`${LIB}/plugins/${soName(p)}`, path.join(dir, 'plugins', soName(p)));
  for (const t of transports) fs.symlinkSync(`${LIB}/transports/${soName(t)}`, path.join(dir, 'transports', soName(t)));
  const conf = path.join(dir, 'conf');
  const disable = (all, used) => all.filter((n) => !used.includes(n)).map(soName).join(',');
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
  server_name = "${serverName}"
}
media: {
  rtp_port_range = "${rtpPortRange}"
}
nat: {
  nice_debug = false
  ignore_mdns = true
}
plugins: { disable = "${disable(ALL_PLUGINS, Object.keys(plugins))}" }
transports: { disable = "${disable(ALL_TRANSPORTS, transports)}" }
events: { broadcast = false }
`,
  );
  const ports = {};
  for (const t of transports) {
    ports[t] = await freePort();
    fs.writeFileSync(path.join(conf, `janus.transport.${t}.jcfg`), TRANSPORT_CONFIG[t](ports[t]));
  }
  for (const [p, config] of Object.entries(plugins)) fs.writeFileSync(path.join(conf, `janus.plugin.${p}.jcfg`), config);
  const logFile = path.join(dir, 'janus.log');
  const logFd = fs.openSync(logFile, 'a');
  const proc = track(spawn('janus', ['-C', path.join(conf, 'janus.jcfg'), '-F', conf, '-P', `${dir}/plugins`, '-o'], { cwd: dir, stdio: ['ignore', logFd, logFd] }));
  fs.closeSync(logFd);
  const baseUrl = ports.http && `http://127.0.0.1:${ports.http}/janus`;
  const wsUrl = ports.websockets && `ws://127.0.0.1:${ports.websockets}`;
  const answers = baseUrl ? () => httpInfoAnswers(baseUrl) : () => portAccepts(ports.websockets);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`janus exited ${proc.exitCode}; see ${logFile}`);
    if (await answers()) break;
    if (Date.now() > deadline) throw new Error(`janus not answering in 30 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { proc, pid: proc.pid, logFile, ...(baseUrl && { baseUrl }), ...(wsUrl && { wsUrl }) };
}

async function httpInfoAnswers(baseUrl) {
  try {
    return (await fetch(`${baseUrl}/info`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false; // not up yet
  }
}

function portAccepts(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}
