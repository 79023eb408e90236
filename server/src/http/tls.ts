import fs from 'node:fs';
import type https from 'node:https';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { HttpTlsConfig } from './config.js';

export interface CertificatePair {
  key: string;
  /** Leaf first, then any intermediates from caFile. */
  cert: string;
  /** SHA-256 fingerprint of the leaf (to tell a real change from a touched file). */
  fingerprint: string;
  /** The leaf's expiry, ms since the epoch. */
  validToMs: number;
}

type TlsFiles = HttpTlsConfig & { certFile: string; keyFile: string };

export function tlsEnabled(config: HttpTlsConfig): config is TlsFiles {
  return config.certFile !== null && config.keyFile !== null;
}

/**
 * Reads the PEM files and checks they form a usable pair (createSecureContext throws on a key
 * that does not match the certificate), so a half-written renewal is never put in service.
 */
export function readCertificatePair(config: TlsFiles): CertificatePair {
  const key = fs.readFileSync(config.keyFile, 'utf8');
  const leaf = fs.readFileSync(config.certFile, 'utf8');
  const chain = config.caFile ? fs.readFileSync(config.caFile, 'utf8') : '';
  const cert = chain ? `${leaf.trimEnd()}\n${chain}` : leaf;
  tls.createSecureContext({ key, cert });
  const x509 = new X509Certificate(leaf);
  return { key, cert, fingerprint: x509.fingerprint256, validToMs: Date.parse(x509.validTo) };
}

/**
 * Puts a renewed certificate in service without a restart: the files are polled (stat, so a
 * certbot-style symlink swap is seen too) and, when any changed and the pair is valid, the
 * server's secure context is replaced. Connections already open keep their session.
 */
export class CertificateReloader {
  private current: CertificatePair;
  private readonly files: string[];

  constructor(
    private readonly server: https.Server,
    private readonly config: TlsFiles,
    initial: CertificatePair,
    private readonly logger: Logger,
    private readonly onLoaded: (pair: CertificatePair) => void = () => undefined,
  ) {
    this.current = initial;
    this.files = [config.certFile, config.keyFile, ...(config.caFile ? [config.caFile] : [])];
    for (const file of this.files) {
      fs.watchFile(file, { interval: config.reloadCheckIntervalMs, persistent: false }, this.onChange);
    }
  }

  get certificate(): CertificatePair {
    return this.current;
  }

  private readonly onChange = (curr: fs.Stats, prev: fs.Stats) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size) return;
    this.reload();
  };

  /** Loads the files now; keeps the old certificate (and says why) if they are not a valid pair. */
  reload(): boolean {
    let pair: CertificatePair;
    try {
      pair = readCertificatePair(this.config);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, certFile: this.config.certFile }, 'TLS files changed but are not a usable pair yet; keeping the current certificate');
      return false;
    }
    if (pair.fingerprint === this.current.fingerprint && pair.cert === this.current.cert) return false;
    this.server.setSecureContext({ key: pair.key, cert: pair.cert });
    this.current = pair;
    this.onLoaded(pair);
    this.logger.info({ fingerprint: pair.fingerprint, validTo: new Date(pair.validToMs).toISOString() }, 'TLS certificate reloaded');
    return true;
  }

  close(): void {
    for (const file of this.files) fs.unwatchFile(file, this.onChange);
  }
}
