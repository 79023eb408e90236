import { timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { Clock } from '../../../common/src/index.js';
import { type DigestCredentials, parseDigestCredentials, quoteString } from './authorization-header.js';
import type { CredentialStore } from './credential-store.js';
import {
  type DigestAlgorithm,
  type DigestHashName,
  computeBaseHa1,
  computeDigestResponse,
  hashNameOf,
} from './digest-math.js';
import { type AuthFailureReason, AUTH_FAILURE_REASONS, DigestConfigError, type DigestHeaderError } from './errors.js';
import { NonceService } from './nonce.js';
import type { ReplayGuard } from './replay-guard.js';

/** 401 with WWW-Authenticate/Authorization, or 407 with Proxy-Authenticate/Proxy-Authorization. */
export type ChallengeKind = 'www' | 'proxy';

/** The request header that answers a challenge of this kind. */
export function credentialsHeaderName(kind: ChallengeKind): 'Authorization' | 'Proxy-Authorization' {
  return kind === 'proxy' ? 'Proxy-Authorization' : 'Authorization';
}

/** What the caller should answer, independent of 401 (registrar/UAS) vs 407 (proxy). */
export type AuthOutcome = 'challenge' | 'challenge_stale' | 'forbidden' | 'bad_request' | 'unavailable';

export type DigestVerification =
  | { ok: true; username: string; realm: string; algorithm: DigestAlgorithm }
  | {
      ok: false;
      reason: AuthFailureReason;
      outcome: AuthOutcome;
      /** Set when the header failed to parse. */
      error?: DigestHeaderError;
      /** The username the client claimed, when we got that far (for logs only). */
      username?: string;
      /** The digest-uri the client used (for logs only). */
      digestUri?: string;
    };

export interface VerifyInput {
  realm: string;
  method: string;
  /** The Request-URI exactly as it appears in the request line. */
  requestUri: string;
  /** Every `Authorization` (or `Proxy-Authorization`) header value in the request. */
  credentials: readonly string[];
  /**
   * Whether the credentials' digest-uri names the Request-URI. Defaults to a case-insensitive
   * string comparison; the SIP layer passes a URI-aware one.
   */
  uriMatches?: (digestUri: string) => boolean;
}

export interface DigestAuthenticatorOptions {
  /** Shared secret for nonces (same on every node). */
  nonceSecret: string;
  nonceLifetimeMs: number;
  /** Offered in this order, most preferred first (RFC 7616 §3.7). */
  algorithms: readonly ('MD5' | 'SHA-256')[];
  credentialStore: CredentialStore;
  replayGuard: ReplayGuard;
  clock: Clock;
  logger: Logger;
  metrics: Registry;
}

const OUTCOME_BY_REASON: Record<AuthFailureReason, AuthOutcome> = {
  missing_credentials: 'challenge',
  realm_mismatch: 'challenge',
  unsupported_algorithm: 'challenge',
  invalid_nonce: 'challenge',
  nonce_replayed: 'challenge',
  stale_nonce: 'challenge_stale',
  unknown_user: 'forbidden',
  bad_response: 'forbidden',
  malformed_header: 'bad_request',
  unsupported_qop: 'bad_request',
  uri_mismatch: 'bad_request',
  store_unavailable: 'unavailable',
};

function counter(registry: Registry, name: string, help: string, labelNames: string[] = []): Counter<string> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<string>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

/**
 * Digest authentication of SIP requests (RFC 7616 with RFC 2617 MD5 compatibility, qop=auth).
 * Nonces are stateless HMACs (any node validates them); nonce-counts live in Redis so a replayed
 * request is refused on every node.
 */
export class DigestAuthenticator {
  private readonly nonces: NonceService;
  private readonly failures: Counter<string>;
  private readonly successes: Counter<string>;

  constructor(private readonly options: DigestAuthenticatorOptions) {
    if (options.algorithms.length === 0) throw new DigestConfigError('at least one digest algorithm is required');
    this.nonces = new NonceService({ secret: options.nonceSecret, lifetimeMs: options.nonceLifetimeMs, clock: options.clock });
    this.failures = counter(options.metrics, 'sip_auth_failures_total', 'Digest authentication failures by reason', ['reason']);
    this.successes = counter(options.metrics, 'sip_auth_successes_total', 'Successful digest authentications');
    // Zero every reason so dashboards see the full label set from the start.
    for (const reason of AUTH_FAILURE_REASONS) this.failures.inc({ reason }, 0);
  }

  /**
   * Challenge headers ready to append: `WWW-Authenticate` for a 401 (registrar, UAS) or
   * `Proxy-Authenticate` for a 407 (proxy), one per offered algorithm.
   */
  challengeHeaders(kind: ChallengeKind, realm: string, opts: { stale?: boolean } = {}): [name: string, value: string][] {
    const name = kind === 'proxy' ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    return this.challenge(realm, opts).map((value): [string, string] => [name, value]);
  }

  /** One challenge header value per offered algorithm, most preferred first. */
  challenge(realm: string, opts: { stale?: boolean } = {}): string[] {
    const nonce = this.nonces.issue(realm);
    return this.options.algorithms.map(
      (algorithm) =>
        `Digest realm=${quoteString(realm)}, nonce=${quoteString(nonce)}, algorithm=${algorithm}, qop="auth"` +
        (opts.stale ? ', stale=true' : ''),
    );
  }

  async verify(input: VerifyInput): Promise<DigestVerification> {
    const result = await this.check(input);
    if (result.ok) {
      this.successes.inc();
    } else {
      this.failures.inc({ reason: result.reason });
      this.options.logger.debug(
        { reason: result.reason, username: result.username, realm: input.realm, code: result.error?.code, digestUri: result.digestUri },
        'digest authentication failed',
      );
    }
    return result;
  }

  private async check(input: VerifyInput): Promise<DigestVerification> {
    const picked = this.pick(input);
    if ('reason' in picked) return picked;
    const cred = picked.cred;
    const failed = (reason: AuthFailureReason): DigestVerification => ({
      ok: false,
      reason,
      outcome: OUTCOME_BY_REASON[reason],
      username: cred.username,
      digestUri: cred.uri,
    });

    const hash = hashNameOf(cred.algorithm);
    if (!(this.options.algorithms as readonly string[]).includes(hash)) return failed('unsupported_algorithm');
    // RFC 2617 §3.2.2.5: the digest-uri must name the same resource as the Request-URI.
    const uriMatches = input.uriMatches ?? ((uri: string) => uri.toLowerCase() === input.requestUri.toLowerCase());
    let sameUri = false;
    try {
      sameUri = uriMatches(cred.uri);
    } catch {
      // A digest-uri the caller cannot even parse names nothing we serve.
    }
    if (!sameUri) return failed('uri_mismatch');
    const nonce = this.nonces.check(cred.nonce, input.realm);
    if (nonce.status === 'invalid') return failed('invalid_nonce');

    let baseHa1: string | undefined;
    try {
      baseHa1 = await this.baseHa1(cred.username, input.realm, hash);
    } catch (err) {
      this.options.logger.warn({ err, realm: input.realm }, 'credential lookup failed');
      return failed('store_unavailable');
    }
    if (baseHa1 === undefined) return failed('unknown_user');
    const expected = computeDigestResponse({
      algorithm: cred.algorithm,
      baseHa1,
      nonce: cred.nonce,
      nc: cred.nc,
      cnonce: cred.cnonce,
      qop: cred.qop,
      method: input.method,
      uri: cred.uri,
    });
    if (!timingSafeEqual(Buffer.from(expected, 'utf8'), Buffer.from(cred.response, 'utf8'))) return failed('bad_response');
    // Only a client that knows the password learns its nonce is merely stale (RFC 7616 §3.3).
    if (nonce.status === 'stale') return failed('stale_nonce');

    let fresh: boolean;
    try {
      const ttl = nonce.expiresAt - this.options.clock.now() + 1_000;
      fresh = await this.options.replayGuard.claim(cred.nonce, cred.ncValue, ttl);
    } catch (err) {
      this.options.logger.warn({ err }, 'nonce-count store failed');
      return failed('store_unavailable');
    }
    if (!fresh) return failed('nonce_replayed');
    return { ok: true, username: cred.username, realm: input.realm, algorithm: cred.algorithm };
  }

  /** Picks the credentials meant for our realm (a request may carry several, RFC 3261 §22.4). */
  private pick(input: VerifyInput): { cred: DigestCredentials } | Extract<DigestVerification, { ok: false }> {
    if (input.credentials.length === 0) {
      return { ok: false, reason: 'missing_credentials', outcome: 'challenge' };
    }
    let firstError: DigestHeaderError | undefined;
    let otherRealm = false;
    for (const value of input.credentials) {
      const parsed = parseDigestCredentials(value);
      if (!parsed.ok) {
        firstError ??= parsed.error;
        continue;
      }
      if (parsed.value.realm === input.realm) return { cred: parsed.value };
      otherRealm = true;
    }
    if (firstError) {
      const reason: AuthFailureReason =
        firstError.code === 'unsupported_algorithm'
          ? 'unsupported_algorithm'
          : firstError.code === 'unsupported_qop'
            ? 'unsupported_qop'
            : firstError.code === 'not_digest'
              ? 'missing_credentials'
              : 'malformed_header';
      return { ok: false, reason, outcome: OUTCOME_BY_REASON[reason], error: firstError };
    }
    return otherRealm
      ? { ok: false, reason: 'realm_mismatch', outcome: 'challenge' }
      : { ok: false, reason: 'missing_credentials', outcome: 'challenge' };
  }

  private async baseHa1(username: string, realm: string, hash: DigestHashName): Promise<string | undefined> {
    const stored = await this.options.credentialStore.lookup(username, realm);
    if (!stored) return undefined;
    if (stored.kind === 'password') return computeBaseHa1(hash, username, realm, stored.password);
    return stored.ha1[hash]?.toLowerCase();
  }
}
