// The SIP gateway's native UDP addon (sip-gateway/native/udp_io.c → sip-gateway/native/build/udp_io.node),
// a step of setup.mjs and runnable on its own (`node scripts/native-addon.mjs`; the Dockerfile does,
// after copying the sources). Node built-ins only. One C file against Node-API, compiled with the
// system's C compiler and Node's own headers (<node prefix>/include/node) — no node-gyp, no download.
// Rebuilt only when the source, the Node version or the compiler changes (a stamp next to the output).
// Without a compiler or headers it warns and returns false: the gateway then uses Node's dgram
// (the udp-io test fails, so CI notices).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const defaultRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function nodeHeadersDir() {
  const candidates = [path.resolve(path.dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'node_api.h'))) ?? null;
}

export function ensureUdpIoAddon({ root = defaultRoot, log = (m) => process.stdout.write(`[native] ${m}\n`) } = {}) {
  const source = path.join(root, 'sip-gateway', 'native', 'udp_io.c');
  const outDir = path.join(root, 'sip-gateway', 'native', 'build');
  const out = path.join(outDir, 'udp_io.node');
  const stamp = path.join(outDir, 'udp_io.stamp');
  if (process.platform !== 'linux') {
    log(`udp_io addon: skipped (Linux only; the gateway uses dgram on ${process.platform})`);
    return false;
  }
  const cc = process.env.CC ?? 'cc';
  const version = spawnSync(cc, ['--version'], { encoding: 'utf8' });
  const headers = nodeHeadersDir();
  if (version.error || version.status !== 0 || !headers) {
    log(`udp_io addon: NOT built (${!headers ? "Node's headers (node_api.h) not found" : `no C compiler (${cc})`}); the gateway's calls will use dgram`);
    return false;
  }
  const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', `-I${headers}`];
  const hash = createHash('sha256')
    .update(fs.readFileSync(source))
    .update(process.version)
    .update(version.stdout.split('\n')[0] ?? '')
    .update(flags.join(' '))
    .digest('hex');
  if (fs.existsSync(out) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash) {
    log(`udp_io addon: ${path.relative(root, out)} (up to date)`);
    return true;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const res = spawnSync(cc, [...flags, source, '-o', tmp], { encoding: 'utf8' });
  if (res.status !== 0) {
    fs.rmSync(tmp, { force: true });
    log(`udp_io addon: build FAILED, the gateway's calls will use dgram:\n${(res.stderr ?? '').trim().slice(0, 2000)}`);
    return false;
  }
  fs.renameSync(tmp, out); // atomic: a running gateway never loads half a file
  fs.writeFileSync(stamp, hash);
  log(`udp_io addon: built ${path.relative(root, out)}`);
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = ensureUdpIoAddon() ? 0 : 1;
}
