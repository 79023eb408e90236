import type { IncomingMessage } from 'node:http';
import { sourceKey } from '../../../common/src/index.js';
import { defineErrorCodes } from '../errors.js';

/** Why a WebSocket upgrade was refused; also the `reason` label of the refusal counter. */
export const UpgradeRefusals = defineErrorCodes({
  origin_not_allowed: { http: 403, description: 'The page that opened this WebSocket is not on an allowed origin.' },
  too_many_connections: { http: 429, description: 'This address already holds the maximum number of signalling connections.' },
});
export type UpgradeRefusalCode = keyof typeof UpgradeRefusals;

export interface ConnectionGuardConfig {
  maxConnectionsPerAddress: number;
  /** Origins (scheme://host[:port]) allowed besides the node's own; "*" allows every origin. */
  allowedOrigins: string[];
  /** Whether an upgrade without an Origin header (a non-browser client) is accepted. */
  allowMissingOrigin: boolean;
}

export type UpgradeDecision = { ok: true; release: () => void } | { ok: false; code: UpgradeRefusalCode; retryAfterSeconds?: number };

/**
 * Admission of WebSocket upgrades, before any protocol work: the Origin check (a browser always
 * sends Origin, so a page on another site cannot open a socket to us in its visitor's name) and a
 * cap on open sockets per source address (IPv6: per /64). Counting happens synchronously at the
 * upgrade, so a burst of simultaneous connections cannot slip past the cap.
 */
export class ConnectionGuard {
  private readonly perSource = new Map<string, number>();
  private readonly origins: Set<string>;
  private readonly anyOrigin: boolean;

  constructor(private readonly config: ConnectionGuardConfig) {
    this.anyOrigin = config.allowedOrigins.includes('*');
    this.origins = new Set(config.allowedOrigins.filter((o) => o !== '*').map(normaliseOrigin).filter((o): o is string => o !== null));
  }

  admit(req: IncomingMessage, source: string): UpgradeDecision {
    if (!this.originAllowed(req)) return { ok: false, code: 'origin_not_allowed' };
    const key = sourceKey(source);
    const open = this.perSource.get(key) ?? 0;
    if (open >= this.config.maxConnectionsPerAddress) return { ok: false, code: 'too_many_connections', retryAfterSeconds: 10 };
    this.perSource.set(key, open + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        const n = (this.perSource.get(key) ?? 1) - 1;
        if (n <= 0) this.perSource.delete(key);
        else this.perSource.set(key, n);
      },
    };
  }

  /** The node's own origin is the Host the request came to (any scheme: TLS may end at a proxy). */
  private originAllowed(req: IncomingMessage): boolean {
    const header = req.headers.origin;
    if (header === undefined) return this.config.allowMissingOrigin;
    if (this.anyOrigin) return true;
    const origin = normaliseOrigin(header);
    if (origin === null) return false;
    const host = req.headers.host?.toLowerCase();
    if (host && new URL(origin).host === host) return true;
    return this.origins.has(origin);
  }
}

/** scheme://host[:port] in URL's canonical form (default ports dropped), or null when not an origin. */
export function normaliseOrigin(text: string): string | null {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin;
  } catch {
    return null;
  }
}
