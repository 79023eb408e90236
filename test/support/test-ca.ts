/**
 * A throwaway certificate authority for HTTPS tests, made with Debian's `openssl` at test time
 * (no key or certificate is committed). Issue leaf certificates for localhost/127.0.0.1 and tell
 * a client (Node's `ca` option) or Chromium (`--ignore-certificate-errors-spki-list`) to trust it.
 */
import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  dir: string;
  certFile: string;
  keyFile: string;
  /** PEM of the CA certificate. */
  pem: string;
}

export interface IssuedCert {
  certFile: string;
  keyFile: string;
  pem: string;
  /** SHA-256 fingerprint as Node prints it (AA:BB:…), to tell certificates apart on the wire. */
  fingerprint256: string;
}

export async function createTestCa(dir: string, name = 'Convene Test CA'): Promise<TestCa> {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'ca.key');
  const certFile = path.join(dir, 'ca.crt');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { dir, keyFile, certFile, pem: fs.readFileSync(certFile, 'utf8') };
}

let serial = 0;

/** A server certificate for `names` (DNS names and IP addresses) signed by `ca`, written as `<base>.crt/.key`. */
export async function issueServerCert(ca: TestCa, base: string, names: string[] = ['localhost', '127.0.0.1']): Promise<IssuedCert> {
  const keyFile = `${base}.key`;
  const certFile = `${base}.crt`;
  const csr = `${base}.csr`;
  const ext = `${base}.ext`;
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  fs.writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n`);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${names[0]}`]);
  await run('openssl', [
    'x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-out', certFile, '-days', '2',
    '-set_serial', String(Date.now() * 1000 + (++serial % 1000)), '-extfile', ext,
  ]);
  fs.rmSync(csr);
  fs.rmSync(ext);
  const pem = fs.readFileSync(certFile, 'utf8');
  return { certFile, keyFile, pem, fingerprint256: new X509Certificate(pem).fingerprint256 };
}

/** Base64 SHA-256 of a certificate's SubjectPublicKeyInfo: the form Chromium's SPKI allow-list takes. */
export function spkiSha256(pem: string): string {
  const der = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64');
}
