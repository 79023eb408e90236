/**
 * Test support: a real baresip (Debian's 1.0) as a room system or phone calling into Convene. It
 * sends a WAV (a tone made with sox) as its microphone, records what it hears (the `sndfile`
 * module's `*-dec.wav` dump) and is driven over its `ctrl_tcp` control socket (dial, DTMF, hang up).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { eventually } from './convene-process.js';
import { freeUdpTcpPort } from './ports.js';

export interface BaresipCallerOptions {
  dir: string;
  /** Our user part and display name. */
  user: string;
  displayName?: string;
  /** The WAV it sends as its microphone (8 kHz or 16 kHz mono, long enough for the test). */
  sourceWav: string;
  /** Restricts the codecs it offers, e.g. ['PCMU'] or ['G722']. */
  audioCodecs?: string[];
  /** 'srtp-mand' makes it offer RTP/SAVP with SDES keys. */
  mediaenc?: 'srtp-mand' | 'srtp';
  /** SIP transport for its calls (default UDP); dial targets should carry the matching `;transport=`. */
  transport?: 'udp' | 'tcp' | 'tls';
  /**
   * A room system: H.264 video (avcodec: libx264 encoder, ffmpeg's decoder) from `fakevideo`'s still
   * picture, or from `file` played by `avformat` (a moving picture: real bitrate). Decoded frames show
   * in its output (`videoReceived()`).
   */
  video?: { size?: string; fps?: number; bitrateBps?: number; file?: string; /** 'VP8' offers VP8 only (vp8 module); default H.264 (both packetization modes, as baresip offers them). */ codec?: 'H264' | 'VP8' };
  /** Registers as a provisioned endpoint first (its address-of-record and digest credentials) at the registrar on 127.0.0.1:`registrarPort`. */
  register?: { address: string; username: string; password: string; registrarPort: number };
}

export interface BaresipCaller {
  /** The directory with its config, the recording of what it heard and all its output (`output.log`). */
  dir: string;
  output(): string;
  dial(uri: string): Promise<void>;
  /** Sends DTMF digits during the call (RFC 4733 telephone-events). */
  sendDigits(digits: string): Promise<void>;
  hangup(): Promise<void>;
  /** The resolution of the video it decodes ("video: receiving with resolution W x H"), once it does. */
  videoReceived(): { width: number; height: number } | null;
  /** The recording of what it heard (the sndfile decoder dump), once it exists. */
  heardWav(): string | null;
  stop(): Promise<void>;
}

/**
 * Starts it and waits for its control socket. Its ports come from free-port probes that a parallel
 * test can take before baresip binds them: then it exits ("Address already in use"), and it is
 * started again on fresh ports (three tries).
 */
export async function startBaresipCaller(opts: BaresipCallerOptions): Promise<BaresipCaller> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBaresipCallerOnce(opts);
    } catch (err) {
      if (attempt === 3 || !/Address already in use|baresip exited|not met/.test(String((err as Error).message))) throw err;
    }
  }
}

async function startBaresipCallerOnce(opts: BaresipCallerOptions): Promise<BaresipCaller> {
  const dir = fs.mkdtempSync(path.join(opts.dir, `baresip-${opts.user}-`));
  const sipPort = await freeUdpTcpPort();
  const ctrlPort = await freeUdpTcpPort();
  fs.writeFileSync(
    path.join(dir, 'config'),
    [
      'poll_method\tepoll',
      `sip_listen\t127.0.0.1:${sipPort}`,
      'sip_trans_def\tudp',
      'sip_verify_server\tno',
      'module_path\t/usr/lib/baresip/modules',
      'module\tg711.so',
      'module\tg722.so',
      'module\topus.so',
      'module\taufile.so',
      'module\talsa.so',
      'module\tsndfile.so',
      'module\tsrtp.so',
      'module_app\taccount.so',
      'module_app\tmenu.so',
      'module_app\tctrl_tcp.so',
      `ctrl_tcp_listen\t127.0.0.1:${ctrlPort}`,
      `audio_source\taufile,${opts.sourceWav}`,
      'audio_player\talsa,null',
      'audio_alert\tnone',
      `snd_path\t${dir}`,
      ...(opts.video
        ? [
            'module\tavcodec.so',
            ...(opts.video.codec === 'VP8' ? ['module\tvp8.so'] : []),
            'module\tfakevideo.so',
            ...(opts.video.file ? ['module\tavformat.so', `video_source\tavformat,${opts.video.file}`] : ['video_source\tfakevideo,nil']),
            'video_display\tfakevideo,nil',
            `video_size\t${opts.video.size ?? '640x360'}`,
            `video_fps\t${opts.video.fps ?? 15}`,
            `video_bitrate\t${opts.video.bitrateBps ?? 500_000}`,
            'avcodec_h264enc\tlibx264',
            'avcodec_h264dec\th264',
          ]
        : []),
      '',
    ].join('\n'),
  );
  const params = ['regint=0', ...(opts.video?.codec === 'VP8' ? ['video_codecs=VP8'] : []), ...(opts.audioCodecs ? [`audio_codecs=${opts.audioCodecs.join(',')}`] : []), ...(opts.mediaenc ? [`mediaenc=${opts.mediaenc}`] : [])];
  const name = opts.displayName ? `"${opts.displayName}" ` : '';
  const transport = opts.transport && opts.transport !== 'udp' ? `;transport=${opts.transport}` : '';
  const reg = opts.register;
  const account = reg
    ? `${name}<sip:${reg.address}>;auth_user=${reg.username};auth_pass=${reg.password};outbound="sip:127.0.0.1:${reg.registrarPort}";regint=600;${params.filter((p) => p !== 'regint=0').join(';')}`
    : `${name}<sip:${opts.user}@127.0.0.1${transport}>;${params.join(';')}`;
  fs.writeFileSync(path.join(dir, 'accounts'), `${account}\n`);
  const child = spawn('baresip', ['-f', dir, '-t', '180'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  // The first 200 kB kept whole (one-time lines like the decoded resolution), the tail for diagnostics.
  let fullOutput = '';
  // All of it also goes to `output.log` in its dir (benches count lines over runs longer than the tail).
  const outputLog = fs.createWriteStream(path.join(dir, 'output.log'));
  const keep = (d: Buffer) => {
    outputLog.write(d);
    output = (output + d.toString()).slice(-40_000);
    if (fullOutput.length < 200_000) fullOutput += d.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  child.on('close', () => outputLog.end());

  const command = async (cmd: string, params = ''): Promise<string> => {
    const sock = net.connect(ctrlPort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', () => resolve());
      sock.once('error', reject);
    });
    const json = JSON.stringify({ command: cmd, params, token: String(Date.now()) });
    sock.write(`${Buffer.byteLength(json)}:${json},`);
    const reply = await new Promise<string>((resolve) => {
      let got = '';
      const done = () => resolve(got);
      sock.on('data', (d: Buffer) => {
        got += d.toString();
        if (/"response"\s*:\s*true/.test(got)) sock.end();
      });
      sock.on('close', done);
      setTimeout(() => sock.destroy(), 3000);
    });
    return reply;
  };

  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`baresip exited:\n${output}`);
      return new Promise<boolean>((resolve) => {
        const s = net.connect(ctrlPort, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    }, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }

  return {
    dir,
    output: () => output,
    async dial(uri) {
      await command('dial', uri);
    },
    async sendDigits(digits) {
      for (const d of digits) {
        await command('sndcode', d);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async hangup() {
      await command('hangup');
    },
    videoReceived() {
      const m = /video: receiving with resolution (\d+) x (\d+)/.exec(fullOutput);
      return m ? { width: Number(m[1]), height: Number(m[2]) } : null;
    },
    heardWav() {
      const f = fs.readdirSync(dir).find((n) => n.endsWith('-dec.wav'));
      return f ? path.join(dir, f) : null;
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
