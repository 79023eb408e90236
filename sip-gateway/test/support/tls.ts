/** A throwaway self-signed certificate made with the openssl CLI, and a socat TCP→TLS bridge. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  remove(): void;
}

export function makeSelfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'sip-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore', timeout: 30_000 });
  return {
    dir,
    certFile,
    keyFile,
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Debian's sipp is built without TLS, so TLS calls go sipp -t t1 → socat (plain TCP in, TLS out,
 * verifying our certificate against `caFile`) → the stack's TLS listener.
 */
export async function startTlsBridge(listenPort: number, tlsPort: number, caFile: string): Promise<ChildProcess> {
  const child = spawn(
    'socat',
    [`TCP-LISTEN:${listenPort},bind=127.0.0.1,reuseaddr,fork`, `OPENSSL:127.0.0.1:${tlsPort},cafile=${caFile},verify=1`],
    { stdio: 'ignore' },
  );
  // Bounded wait for the listener to come up.
  const net = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(listenPort, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('socat bridge did not start');
}
