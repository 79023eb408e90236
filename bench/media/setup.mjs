// Bench setup shared by run.mjs and the test: builds the Go load client (cached by a hash of its
// sources under ~/.cache/convene/media-bench) and prepares the media it loops (ffmpeg, once).
// `node bench/media/setup.mjs` prints {"client": ..., "mediaDir": ...}.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const clientDir = path.join(here, 'client');
export const cacheDir = process.env.CONVENE_MEDIA_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'convene', 'media-bench');
const goDir = process.env.CONVENE_GO_DIR ?? path.join(os.homedir(), '.cache', 'convene', 'go');

/** The three VP8 simulcast layers (low → high): size and bitrate; their sum plus Opus ≈ 1.5 Mbps. */
export const LAYERS = [
  { file: 'vp8-l0.ivf', width: 320, height: 180, kbps: 150 },
  { file: 'vp8-l1.ivf', width: 640, height: 360, kbps: 400 },
  { file: 'vp8-l2.ivf', width: 1280, height: 720, kbps: 900 },
];
export const FPS = 30;
const CLIP_S = 10;
/** Bump when the encodes below change. */
const MEDIA_REVISION = '1';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${(r.stderr ?? '').slice(-3000)}`);
  return r.stdout;
}

/** Builds the client if its sources changed since the cached binary; returns the binary's path. */
export function ensureClient() {
  return ensureGoBinary(clientDir, 'convene-media-load');
}

/**
 * Builds the Go program in `srcDir` unless a binary of the same sources is cached (by a hash of its
 * .go files, go.mod and go.sum); returns the binary's path. Used by the gateway bench's RTP client too.
 */
export function ensureGoBinary(srcDir, name) {
  const hash = crypto.createHash('sha256');
  for (const f of fs.readdirSync(srcDir).sort()) {
    if (f.endsWith('.go') || f === 'go.mod' || f === 'go.sum') hash.update(f).update(fs.readFileSync(path.join(srcDir, f)));
  }
  const bin = path.join(cacheDir, 'bin', `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (fs.existsSync(bin)) return bin;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const env = {
    ...process.env,
    GOPATH: goDir,
    GOCACHE: path.join(goDir, 'cache'),
    GOMODCACHE: path.join(goDir, 'pkg', 'mod'),
    GOFLAGS: '-mod=mod -modcacherw',
  };
  const tmp = `${bin}.tmp-${process.pid}`;
  // Modest parallelism: the machine is shared.
  run('go', ['build', '-p', '2', '-o', tmp, '.'], { cwd: srcDir, env });
  fs.renameSync(tmp, bin);
  return bin;
}

/** Encodes the looped clips once: Opus in Ogg, 3 VP8 layers in IVF, H.264 Annex-B. */
export function ensureMedia() {
  const dir = path.join(cacheDir, `media-r${MEDIA_REVISION}`);
  const stamp = path.join(dir, 'ready');
  if (fs.existsSync(stamp)) return dir;
  fs.mkdirSync(dir, { recursive: true });
  const ff = (args) => run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
  const src = (w, h) => ['-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=${FPS}:duration=${CLIP_S}`];
  ff(['-f', 'lavfi', '-i', `sine=frequency=330:sample_rate=48000:duration=${CLIP_S}`, '-c:a', 'libopus', '-b:a', '32k', '-frame_duration', '20', '-page_duration', '20000', path.join(dir, 'audio.ogg')]);
  for (const l of LAYERS) {
    ff([...src(l.width, l.height), '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-threads', '1', '-b:v', `${l.kbps}k`, '-minrate', `${l.kbps}k`, '-maxrate', `${l.kbps}k`, '-bufsize', `${l.kbps}k`, '-g', String(FPS), '-keyint_min', String(FPS), '-auto-alt-ref', '0', '-lag-in-frames', '0', '-error-resilient', '1', path.join(dir, l.file)]);
  }
  ff([...src(640, 360), '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-level', '3.1', '-pix_fmt', 'yuv420p', '-b:v', '600k', '-maxrate', '600k', '-bufsize', '600k', '-x264-params', `keyint=${FPS}:min-keyint=${FPS}:scenecut=0:repeat-headers=1:bframes=0`, '-f', 'h264', path.join(dir, 'video.h264')]);
  fs.writeFileSync(stamp, new Date().toISOString());
  return dir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const client = ensureClient();
  const mediaDir = ensureMedia();
  process.stdout.write(JSON.stringify({ client, mediaDir }) + '\n');
}
