/**
 * Test support: real encoder and decoder peers for the video e2e tests — Debian's ffmpeg sending
 * H.264/VP8 as RTP to a UDP socket of ours, or decoding RTP we send it. Loopback only; every
 * process is killed after a bounded time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';

export interface FfmpegRun {
  child: ChildProcess;
  done: Promise<{ code: number | null; stderr: string }>;
}

/** Start ffmpeg with `args` (after -hide_banner -nostdin); killed after `timeoutMs`. */
export function startFfmpeg(args: string[], timeoutMs: number, track: ChildProcess[]): FfmpegRun {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  track.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
  return { child, done };
}

/** ffmpeg args that encode a lavfi test pattern as RTP to 127.0.0.1:port. */
export function encoderArgs(opts: {
  codec: 'h264' | 'vp8';
  source: string;
  port: number;
  seconds: number;
  payloadType: number;
  ssrc: number;
  startSequence?: number;
  readRate?: number;
  gop?: number;
}): string[] {
  const gop = String(opts.gop ?? 30);
  const codecArgs =
    opts.codec === 'h264'
      ? ['-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-preset', 'veryfast', '-tune', 'zerolatency', '-g', gop, '-keyint_min', gop, '-x264-params', 'scenecut=0', '-b:v', '600k']
      : ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '600k', '-g', gop, '-keyint_min', gop];
  return [
    '-loglevel', 'error',
    '-readrate', String(opts.readRate ?? 1),
    '-f', 'lavfi', '-i', `${opts.source}=size=320x240:rate=30`,
    '-t', String(opts.seconds),
    ...codecArgs,
    '-f', 'rtp', '-payload_type', String(opts.payloadType), '-ssrc', String(opts.ssrc),
    ...(opts.startSequence === undefined ? [] : ['-seq', String(opts.startSequence)]),
    `rtp://127.0.0.1:${opts.port}?pkt_size=1200`,
  ];
}

/** A UDP socket on loopback with a large receive buffer (encoders send frames in bursts). */
export async function bindUdp(track: dgram.Socket[], port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  track.push(s);
  await new Promise<void>((resolve) => s.bind(port, '127.0.0.1', resolve));
  return s;
}

/** An even UDP port on loopback nobody holds now (and its RTCP neighbour), outside mediasoup's range. */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = dgram.createSocket('udp4');
    await new Promise<void>((r) => a.bind(0, '127.0.0.1', r));
    const port = a.address().port & ~1;
    await new Promise<void>((r) => a.close(() => r()));
    if (port < 20_000 || (port >= 40_000 && port <= 55_000) || port > 65_000) continue;
    const free = await Promise.all([port, port + 1].map((p) => isFree(p)));
    if (free.every(Boolean)) return port;
  }
  throw new Error('no free UDP port pair');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      try {
        s.close();
      } catch {
        // never bound
      }
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Resolves once someone (ffmpeg) holds `port`. Bounded in time. */
export async function waitUntilBound(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isFree(port))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
}
