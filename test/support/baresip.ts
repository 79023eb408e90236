import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { eventually } from './convene-process.js';
import { freeUdpTcpPort } from './ports.js';

/** A port free for UDP and TCP alike: baresip binds UDP, TCP and TLS listeners on it. */
export const freeUdpPort = freeUdpTcpPort;

export interface RunningBaresip {
  /** Where baresip sends from (its UDP listener). */
  localPort: number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a real baresip (Debian's 1.0) with one account registering over UDP at `registrarPort`
 * on loopback, and waits until `registered()` holds (20 s at most). The caller stops it.
 */
export async function startBaresip(opts: {
  dir: string;
  address: string;
  username: string;
  password: string;
  registrarPort: number;
  registered: () => Promise<boolean> | boolean;
}): Promise<RunningBaresip> {
  for (let attempt = 1; ; attempt++) {
    const dir = fs.mkdtempSync(path.join(opts.dir, 'baresip-'));
    const localPort = await freeUdpPort();
    fs.writeFileSync(
      path.join(dir, 'config'),
      ['poll_method\tepoll', `sip_listen\t127.0.0.1:${localPort}`, 'sip_trans_def\tudp', 'module_path\t/usr/lib/baresip/modules',
        'module_app\taccount.so', 'audio_player\tnone', 'audio_source\tnone', 'audio_alert\tnone', ''].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'accounts'),
      `<sip:${opts.address}>;auth_user=${opts.username};auth_pass=${opts.password};outbound="sip:127.0.0.1:${opts.registrarPort}";regint=600\n`,
    );
    const child = spawn('baresip', ['-f', dir, '-t', '120'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const stop = async () => {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    const ok = await eventually(opts.registered, 20_000).then(
      () => true,
      () => false,
    );
    if (ok) return { localPort, output: () => output, stop };
    await stop();
    // Another process may have taken one of its ports meanwhile: try another.
    if (attempt === 3 || !/Address already in use/.test(output)) throw new Error(`baresip did not register:\n${output}`);
  }
}
