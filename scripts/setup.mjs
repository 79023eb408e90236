#!/usr/bin/env node
// Idempotent setup for a Debian bookworm machine (root or sudo). Node built-ins only,
// because it runs before `npm ci`. Quick when nothing is missing:
//   1. apt packages the service, its worker build and its tests need;
//   2. `npm ci` when package-lock.json changed since the last run;
//   3. meson >= 1.1 in a private venv (bookworm ships 1.0.1, too old for the worker);
//   4. the mediasoup worker, built against Debian's libraries, cached by version + recipe;
//   5. the SIP gateway's IVR prompts, spoken by espeak-ng from their text catalogue, cached by
//      catalogue + tool versions (scripts/prompts.mjs);
//   6. the SIP gateway's native UDP addon (scripts/native-addon.mjs: one C file, the system's cc).
// Flags: --no-apt (or CONVENE_SETUP_SKIP_APT=1) skips step 1 on a machine you manage yourself;
// --no-npm skips step 2 (node_modules is yours to keep in step).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureUdpIoAddon } from './native-addon.mjs';
import { PromptSetupError, ensurePrompts } from './prompts.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const recipeDir = path.join(root, 'scripts', 'mediasoup-worker');
const cacheDir = process.env.CONVENE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'convene');
// Bump when the build steps below change in a way the recipe files do not show.
const RECIPE_REVISION = '1';

/** Debian packages, grouped by why we need them. */
const APT_PACKAGES = {
  workerBuild: ['g++', 'make', 'ninja-build', 'pkg-config', 'python3', 'python3-venv', 'libssl-dev', 'libuv1-dev',
    'libsrtp2-dev', 'libabsl-dev', 'nlohmann-json3-dev', 'libusrsctp-dev'],
  runtime: ['redis-server', 'openssl', 'ca-certificates', 'coturn'],
  tests: ['chromium', 'fonts-liberation', 'fonts-dejavu-core', 'sip-tester', 'baresip', 'poppler-utils', 'dnsmasq-base', 'socat', 'libnss3-tools',
    // bench/media's load client encodes the clips it loops with ffmpeg (Go comes with the machine image).
    'ffmpeg',
    // sox: the G.711 tests compare our codec with sox byte for byte; the in-band DTMF tests synthesise tones with it.
    'sox',
    // baresip-ffmpeg: baresip's avcodec module (H.264), so baresip can act as a video room system in the SIP video tests.
    'baresip-ffmpeg',
    // janus: the benches' side-by-side anchor (VideoRoom, AudioBridge); bench/gateway's Janus test runs it.
    'janus',
    // kamailio: bench/sip's side-by-side anchor (calls/s, CPU per call, memory per dialog).
    'kamailio'],
  // The IVR prompts are generated at setup (step 5): espeak-ng speaks them, sox trims, levels and resamples.
  prompts: ['espeak-ng', 'sox'],
};
const ALL_APT_PACKAGES = [...new Set(Object.values(APT_PACKAGES).flat())];

const started = Date.now();
const log = (msg) => process.stdout.write(`[setup] ${msg}\n`);

class SetupError extends Error {}

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (res.error) throw new SetupError(`could not run ${cmd}: ${res.error.message}`);
  if (res.status !== 0) throw new SetupError(`${cmd} ${args.join(' ')} exited with ${res.status}`);
  return res;
}

function capture(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: !res.error && res.status === 0, out: (res.stdout ?? '').trim(), err: (res.stderr ?? '').trim() };
}

function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

// ---- 1. apt -------------------------------------------------------------------------------
function ensureAptPackages() {
  if (process.argv.includes('--no-apt') || process.env.CONVENE_SETUP_SKIP_APT === '1') {
    log('apt: skipped (--no-apt)');
    return;
  }
  if (!capture('dpkg-query', ['--version']).ok) {
    log('apt: not a Debian system; make sure these are installed: ' + ALL_APT_PACKAGES.join(' '));
    return;
  }
  const wanted = ALL_APT_PACKAGES;
  const missing = wanted.filter((p) => !capture('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', p]).out.startsWith('ii'));
  if (missing.length === 0) {
    log('apt: all packages present');
    return;
  }
  log(`apt: installing ${missing.join(' ')}`);
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : ['sudo', '-n'];
  if (!isRoot && !capture('sudo', ['-n', 'true']).ok) {
    throw new SetupError(`missing Debian packages (${missing.join(' ')}) and no root or passwordless sudo to install them`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [bin, ...pre] = [...sudo, 'apt-get'];
  run(bin, [...pre, 'update', '-qq'], { env });
  run(bin, [...pre, 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
  // Convene runs its own turnserver (turn.embedded) from a config it writes, and the benches start
  // Janus and Kamailio from their own configs; Debian enables these services on install, which would
  // hold ports (3478; Janus's 8088/8188 and RTP; Kamailio's 5060, Convene's SIP port). Only for what this run installed, so an operator's own
  // services are left alone.
  for (const service of ['coturn', 'janus', 'kamailio']) {
    if (!missing.includes(service) || !fs.existsSync('/run/systemd/system')) continue;
    const [cmd, ...args] = [...sudo, 'systemctl', 'disable', '--now', service];
    const r = capture(cmd, args);
    log(r.ok ? `apt: disabled Debian's ${service} service (Convene and its benches start their own)` : `apt: could not disable the ${service} service`);
  }
}

// ---- 2. npm ci ------------------------------------------------------------------------------
function ensureNodeModules(workerBin) {
  if (process.argv.includes('--no-npm')) {
    log('npm: skipped (--no-npm)');
    return;
  }
  const lock = path.join(root, 'package-lock.json');
  const stampFile = path.join(root, 'node_modules', '.convene-setup-lock');
  const want = sha256(fs.readFileSync(lock));
  const have = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, 'utf8').trim() : '';
  if (want === have) {
    log('npm: node_modules up to date');
    return;
  }
  log('npm: running npm ci');
  // MEDIASOUP_WORKER_BIN makes mediasoup's postinstall skip its prebuilt-worker download,
  // which cannot reach its host from here and which we replace with our own build.
  run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, env: { ...process.env, MEDIASOUP_WORKER_BIN: workerBin } });
  fs.writeFileSync(stampFile, want + '\n');
}

// ---- 3. meson -----------------------------------------------------------------------------
function mesonVersionOk(bin) {
  const r = capture(bin, ['--version']);
  if (!r.ok) return false;
  const [maj, min] = r.out.split('.').map(Number);
  return maj > 1 || (maj === 1 && min >= 1);
}

function ensureMeson() {
  const venv = path.join(cacheDir, 'meson-venv');
  const meson = path.join(venv, 'bin', 'meson');
  if (mesonVersionOk(meson)) return meson;
  log('meson: installing meson >=1.1 into ' + venv);
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  // Debian's python3 for a stable venv; fall back to whatever python3 is first on PATH.
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  run(python, ['-m', 'venv', venv]);
  run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', 'meson>=1.1,<2']);
  if (!mesonVersionOk(meson)) throw new SetupError('meson >= 1.1 could not be installed from PyPI');
  return meson;
}

// ---- 4. mediasoup worker -------------------------------------------------------------------
function mediasoupVersion() {
  const pkg = path.join(root, 'node_modules', 'mediasoup', 'package.json');
  if (!fs.existsSync(pkg)) return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies.mediasoup;
  return JSON.parse(fs.readFileSync(pkg, 'utf8')).version;
}

function recipeHash() {
  const files = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(path.relative(recipeDir, p) + '\0' + fs.readFileSync(p, 'utf8'));
    }
  };
  walk(recipeDir);
  return sha256(RECIPE_REVISION, ...files).slice(0, 12);
}

function workerBinPath() {
  return path.join(cacheDir, 'mediasoup-worker', `${mediasoupVersion()}-${recipeHash()}`, 'mediasoup-worker');
}

/** A directory lock so two setups (say, `npm test` in two shells) never build into each other. */
function withLock(name, fn) {
  const lockDir = path.join(cacheDir, `${name}.lock`);
  fs.mkdirSync(cacheDir, { recursive: true });
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const age = Date.now() - fs.statSync(lockDir).mtimeMs;
      if (age > 30 * 60_000) fs.rmSync(lockDir, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new SetupError(`timed out waiting for ${lockDir}`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

function buildWorker(bin, meson) {
  const source = path.join(root, 'node_modules', 'mediasoup', 'worker');
  if (!fs.existsSync(path.join(source, 'meson.build'))) throw new SetupError(`mediasoup worker source missing at ${source}`);
  const work = path.join(cacheDir, `build-${path.basename(path.dirname(bin))}-${process.pid}`);
  fs.rmSync(work, { recursive: true, force: true });
  const worker = path.join(work, 'worker');
  fs.cpSync(source, worker, { recursive: true });
  // Each .wrap names the folder meson looks for before it would download; put our wrapper there.
  const subprojects = path.join(worker, 'subprojects');
  for (const wrap of fs.readdirSync(subprojects).filter((f) => f.endsWith('.wrap'))) {
    const name = wrap.slice(0, -'.wrap'.length);
    if (name === 'wingetopt') continue; // Windows only
    const wrapper = path.join(recipeDir, 'subprojects', name);
    if (!fs.existsSync(wrapper)) throw new SetupError(`no wrapper subproject for ${name} in ${recipeDir}/subprojects`);
    const dir = /^directory\s*=\s*(.+)$/m.exec(fs.readFileSync(path.join(subprojects, wrap), 'utf8'))?.[1].trim();
    if (!dir) throw new SetupError(`${wrap} has no directory= line`);
    fs.cpSync(wrapper, path.join(subprojects, dir), { recursive: true });
  }
  const out = path.join(work, 'out');
  log(`worker: building mediasoup-worker ${mediasoupVersion()} (about 5 minutes on 2 cores)`);
  const env = { ...process.env, PATH: `${path.dirname(meson)}:${process.env.PATH}` };
  run(meson, ['setup', '--wrap-mode=nodownload', '--buildtype', 'release', '-Db_ndebug=true', out], { cwd: worker, env });
  run(meson, ['compile', '-C', out, 'mediasoup-worker'], { cwd: worker, env });
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.copyFileSync(path.join(out, 'mediasoup-worker'), bin + '.tmp');
  fs.chmodSync(bin + '.tmp', 0o755);
  fs.renameSync(bin + '.tmp', bin);
  fs.rmSync(work, { recursive: true, force: true });
}

function ensureWorker(meson) {
  const bin = workerBinPath();
  if (!fs.existsSync(bin)) withLock('worker-build', () => fs.existsSync(bin) || buildWorker(bin, meson));
  // The service finds the worker through this link unless MEDIASOUP_WORKER_BIN says otherwise.
  const link = path.join(root, 'node_modules', '.convene', 'mediasoup-worker');
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { force: true });
  fs.symlinkSync(bin, link);
  log(`worker: ${bin}`);
}

// ---- 5. IVR prompts ------------------------------------------------------------------------
function ensurePromptSet() {
  // The gateway finds the set through this link (or CONVENE_PROMPTS_DIR), as the service finds the worker.
  ensurePrompts({
    cataloguePath: path.join(root, 'sip-gateway', 'src', 'media', 'prompts', 'catalogue.json'),
    cacheDir,
    linkPath: path.join(root, 'node_modules', '.convene', 'prompts'),
    log,
  });
}

try {
  ensureAptPackages();
  const override = process.env.MEDIASOUP_WORKER_BIN;
  ensureNodeModules(override ?? workerBinPath());
  if (override) {
    if (!fs.existsSync(override)) throw new SetupError(`MEDIASOUP_WORKER_BIN=${override} does not exist`);
    log(`worker: using MEDIASOUP_WORKER_BIN=${override}`);
  } else {
    ensureWorker(ensureMeson());
  }
  ensurePromptSet();
  ensureUdpIoAddon({ root, log });
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  if (err instanceof SetupError || err instanceof PromptSetupError) {
    process.stderr.write(`[setup] FAILED: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
