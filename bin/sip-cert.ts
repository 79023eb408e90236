/**
 * A self-signed certificate for the SIP TLS listener when the operator configured none, so a
 * default install has SIP over TLS (what endpoints are provisioned with) from the first start.
 * Generated once with `openssl` into the data directory and reused on later starts.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';

const run = promisify(execFile);

export interface GeneratedCert {
  certFile: string;
  keyFile: string;
  /** False when an earlier start's certificate was reused. */
  created: boolean;
}

const HOST_NAME = /^[A-Za-z0-9.-]{1,253}$/;

export async function ensureSelfSignedSipCert(dir: string, hostNames: string[], logger: Logger): Promise<GeneratedCert> {
  const certFile = path.resolve(dir, 'sip-cert.pem');
  const keyFile = path.resolve(dir, 'sip-key.pem');
  if (fs.existsSync(certFile) && fs.existsSync(keyFile)) {
    logger.warn({ certFile }, 'SIP over TLS uses the self-signed certificate generated earlier (no sip.tls configured); devices must be told to accept it — configure sip.tls for production');
    return { certFile, keyFile, created: false };
  }
  const names = [...new Set(hostNames.filter((n) => HOST_NAME.test(n)))];
  const cn = names[0] ?? 'localhost';
  fs.mkdirSync(path.resolve(dir), { recursive: true, mode: 0o700 });
  // Written under temporary names and renamed, so a crash never leaves half a pair behind.
  const tmpCert = `${certFile}.${process.pid}.tmp`;
  const tmpKey = `${keyFile}.${process.pid}.tmp`;
  try {
    await run(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', tmpKey, '-out', tmpCert, '-days', '825',
        '-subj', `/CN=${cn}`,
        '-addext', `subjectAltName=${names.length > 0 ? names.map((n) => `DNS:${n}`).join(',') : 'DNS:localhost'}`,
      ],
      { timeout: 30_000 },
    );
    fs.chmodSync(tmpKey, 0o600);
    fs.renameSync(tmpKey, keyFile);
    fs.renameSync(tmpCert, certFile);
  } catch (err) {
    fs.rmSync(tmpCert, { force: true });
    fs.rmSync(tmpKey, { force: true });
    throw new Error(`no sip.tls configured and generating a self-signed certificate with openssl failed: ${(err as Error).message}`);
  }
  logger.warn(
    { certFile, keyFile, names },
    'no sip.tls configured: generated a self-signed certificate for SIP over TLS; devices must be told to accept it — configure sip.tls with a trusted certificate for production',
  );
  return { certFile, keyFile, created: true };
}
