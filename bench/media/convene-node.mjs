// Starts one Convene node for a bench: bin/convene.ts under tsx with a generated config (loopback,
// embedded Redis in the work dir, warn-level logs to a file), and waits for /readyz; and the
// administration API calls a bench seeds it with.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from './free-port.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** The admin bootstrap token the benches configure (`admin: { bootstrapToken }`) and call the API with. */
export const BENCH_BOOTSTRAP_TOKEN = 'bench-bootstrap-token-0123456789abcdef';

/** One call to a node's administration API (`/api/v1`) with the bench's bootstrap token; the parsed JSON answer. */
export async function adminApi(httpUrl, method, urlPath, body) {
  const res = await fetch(`${httpUrl}/api/v1${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

/**
 * `configLines` are the YAML lines after log/http/store (the bench's own sfu/sip/admin/demo
 * settings). `track(proc)` registers the child so the caller can kill it. `logLevel` (default warn):
 * a bench that reads the node's structured log lines asks for info.
 */
export async function startConveneNode({ dir, track, configLines, readyTimeoutMs = 90_000, logLevel = 'warn' }) {
  const port = await freePort();
  fs.mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'config.yaml');
  fs.writeFileSync(
    configFile,
    [`log: { level: ${logLevel}, pretty: false }`, `http: { host: 127.0.0.1, port: ${port} }`, `store: { embedded: { dataDir: ${JSON.stringify(path.join(dir, 'redis'))} } }`, ...configLines, ''].join('\n'),
  );
  const logFile = path.join(dir, 'convene.log');
  const logFd = fs.openSync(logFile, 'a');
  const proc = track(spawn(process.execPath, [...(process.env.BENCH_NODE_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.BENCH_NODE_PROF] : []), ...(process.env.BENCH_NODE_TRACE_GC ? ['--trace-gc'] : []), '--import', tsxLoader, path.join(repoRoot, 'bin', 'convene.ts'), '--config', configFile], { cwd: dir, stdio: ['ignore', logFd, logFd] }));
  fs.closeSync(logFd);
  const httpUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`convene exited ${proc.exitCode}; see ${logFile}`);
    try {
      if ((await fetch(`${httpUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).ok) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`convene not ready in ${readyTimeoutMs / 1000} s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { proc, pid: proc.pid, httpUrl, port, wsUrl: `ws://127.0.0.1:${port}/ws`, logFile };
}
