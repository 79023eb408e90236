import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** tsx's ESM loader by absolute path, so the child can run from any working directory. */
export const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface ConveneProcess {
  proc: ChildProcess;
  /** JSON log records printed so far. */
  logs: Record<string, unknown>[];
  stderr: string[];
  dir: string;
  /** Resolves with the URL from the "ready" log line; rejects if the process exits first. */
  ready: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(pred: (rec: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Runs `bin/convene.ts` (through tsx, as a separate process, exactly as an operator would start
 * it) with a config file written from `yaml`, JSON logs, and a private data dir.
 */
export function spawnConvene(yaml: string, env: NodeJS.ProcessEnv = {}): ConveneProcess {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-svc-'));
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(configFile, yaml.replaceAll('$DIR', dir));
  const proc = spawn(process.execPath, ['--import', tsxLoader, path.join(repoRoot, 'bin', 'convene.ts'), '--config', configFile], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters: { pred: (r: Record<string, unknown>) => boolean; resolve: (r: Record<string, unknown>) => void }[] = [];
  readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      rec = { msg: line, unparsed: true };
    }
    logs.push(rec);
    for (const w of [...waiters]) {
      if (w.pred(rec)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(rec);
      }
    }
  });
  readline.createInterface({ input: proc.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitForLog = (pred: (rec: Record<string, unknown>) => boolean, timeoutMs = 60_000) => {
    const hit = logs.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`log line not seen; stderr: ${stderr.join('\n')}`)), timeoutMs);
      waiters.push({ pred, resolve: (r) => (clearTimeout(timer), resolve(r)) });
      void exited.then(({ code }) => reject(new Error(`convene exited (${code}) first; stderr: ${stderr.join('\n')}`)));
    });
  };
  const ready = waitForLog((r) => typeof r.url === 'string' && String(r.msg).startsWith('Convene is ready')).then((r) => String(r.url));
  ready.catch(() => undefined);
  return {
    proc,
    logs,
    stderr,
    dir,
    ready,
    exited,
    waitForLog,
    kill: (signal = 'SIGTERM') => void proc.kill(signal),
  };
}

/** Stops a node: SIGTERM, SIGKILL if it is still running after 5 s; then removes its data dir. */
export async function stopConvene(node: ConveneProcess | undefined): Promise<void> {
  if (!node) return;
  if (node.proc.exitCode === null) {
    node.kill('SIGTERM');
    await Promise.race([node.exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (node.proc.exitCode === null) node.kill('SIGKILL');
  }
  fs.rmSync(node.dir, { recursive: true, force: true });
}

/** A JSON call to the node's admin REST API at `baseUrl` (ends in `/`) with the bootstrap token. */
export async function adminApi(baseUrl: string, token: string, method: string, urlPath: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}api/v1${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${urlPath}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * A node for tests: free ports (HTTP, WebRTC, SIP), one media worker, its own data dir ($DIR is
 * replaced by spawnConvene with the test's temp dir). `extra` YAML is appended (top-level keys).
 */
export function testNodeConfig(extra = '', graceMs = 10_000): string {
  return `
log: { level: info, pretty: false }
http: { host: 127.0.0.1, port: 0 }
store:
  embedded: { dataDir: $DIR/redis }
sfu:
  workers: 1
  webRtcServer: { listenIp: 127.0.0.1, basePort: 0 }
sip:
  transports: [{ protocol: udp, host: 127.0.0.1, port: 0 }, { protocol: tcp, host: 127.0.0.1, port: 0 }]
shutdown: { graceMs: ${graceMs} }
${extra}`;
}

/** Polls `fn` until it returns true; bounded by `timeoutMs`. */
export async function eventually(fn: () => Promise<boolean> | boolean, timeoutMs = 30_000, stepMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
