/**
 * A throwaway certificate authority for HTTPS tests, made with Debian's `openssl` at test time
 * (no key or certificate is committed). Issue intermediates and leaf certificates for
 * localhost/127.0.0.1, and make a client trust the root: Node's `ca` option, or for Chromium an
 * NSS database (`certutil`, Debian's libnss3-tools) in a private HOME.
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
const nextSerial = () => String(Date.now() * 1000 + (++serial % 1000));

/** An intermediate CA signed by `ca` (a server then sends it after its leaf: http.tls.caFile). */
export async function createIntermediateCa(ca: TestCa, dir: string, name = 'Convene Test Intermediate CA'): Promise<TestCa> {
  fs.mkdirSync(dir, { recursive: true });
  const keyFile = path.join(dir, 'intermediate.key');
  const certFile = path.join(dir, 'intermediate.crt');
  const csr = path.join(dir, 'intermediate.csr');
  const ext = path.join(dir, 'intermediate.ext');
  fs.writeFileSync(ext, 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', `/CN=${name}`]);
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-out', certFile, '-days', '2', '-set_serial', nextSerial(), '-extfile', ext]);
  fs.rmSync(csr);
  fs.rmSync(ext);
  return { dir, keyFile, certFile, pem: fs.readFileSync(certFile, 'utf8') };
}

/**
 * A HOME whose NSS database (~/.pki/nssdb, where Chromium on Linux looks) trusts `ca` to issue
 * server certificates. Launch Chromium with `env: { HOME: home }`.
 */
export async function chromiumHomeTrusting(ca: TestCa, home: string): Promise<string> {
  const db = path.join(home, '.pki', 'nssdb');
  fs.mkdirSync(db, { recursive: true });
  await run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  await run('certutil', ['-A', '-d', `sql:${db}`, '-n', 'convene-test-ca', '-t', 'C,,', '-i', ca.certFile]);
  return home;
}

/** A server certificate for `names` (DNS names and IP addresses) signed by `ca` (a root or an intermediate), written as `<base>.crt/.key`. */
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
    '-set_serial', nextSerial(), '-extfile', ext,
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
