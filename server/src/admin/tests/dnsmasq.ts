/** A real DNS server (Debian's dnsmasq) on loopback serving TXT records, for Verify tests. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Resolver } from 'node:dns/promises';
import { freeUdpTcpPort } from '../../../../test/support/ports.js';

/** A port free for UDP and TCP on 127.0.0.1 (dnsmasq cannot take port 0, so we ask the OS first). */
export const freeDnsPort = freeUdpTcpPort;

/** Starts dnsmasq authoritative for `.test` on `port` with the given `name,value` TXT records. */
export async function startDnsmasq(port: number, txtRecords: string[]): Promise<{ stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-admin-dns-'));
  const conf = path.join(dir, 'dnsmasq.conf');
  fs.writeFileSync(conf, ['local=/test/', ...txtRecords.map((r) => `txt-record=${r}`)].join('\n') + '\n');
  const child = spawn(
    '/usr/sbin/dnsmasq',
    ['--no-daemon', `--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', `--conf-file=${conf}`, '--pid-file=', '--user=root'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = new Resolver({ timeout: 200, tries: 1 });
  probe.setServers([`127.0.0.1:${port}`]);
  for (let i = 0; i < 50 && child.exitCode === null; i++) {
    const up = await probe.resolveTxt('_probe.test').then(
      () => true,
      (err: NodeJS.ErrnoException) => err.code === 'ENOTFOUND' || err.code === 'ENODATA',
    );
    if (up) {
      return {
        async stop() {
          child.kill('SIGTERM');
          await exited;
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  await exited;
  throw new Error(`dnsmasq did not start: ${stderr}`);
}
