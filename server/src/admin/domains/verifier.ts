import { createHmac, timingSafeEqual } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { normalizeDomain } from './names.js';

/** The DNS label under which the customer publishes the verification TXT record. */
export const VERIFICATION_LABEL = '_convene-verification';

/** Stable reasons a DNS verification did not succeed. */
export type VerifyFailureReason = 'record_missing' | 'record_mismatch' | 'dns_error';

export interface VerifyResult {
  verified: boolean;
  reason?: VerifyFailureReason;
  /** For logs/UI: the DNS error code (e.g. `ESERVFAIL`) or how many TXT records were seen. */
  detail?: string;
}

/** The record a customer must create, as shown in the "New calling domain" email. */
export interface VerificationRecord {
  /** Fully qualified owner name, e.g. `_convene-verification.acme.com`. */
  name: string;
  type: 'TXT';
  value: string;
}

export interface DomainVerifierOptions {
  /** DNS servers as `host:port` (`[::1]:5353` for IPv6). Empty/absent: the system's resolvers. */
  resolverServers?: string[];
  /** HMAC key for tokens. Changing it invalidates every token not yet verified. */
  secret: string;
  /** Per-try timeout (default 3000 ms) and number of tries (default 2) for each lookup. */
  timeoutMs?: number;
  tries?: number;
}

export interface DomainVerifier {
  /** Deterministic per (company, domain): re-sending instructions shows the same token. */
  verificationToken(companyId: string, domain: string): string;
  /** The TXT record (name and value) for the instructions email. */
  verificationRecord(companyId: string, domain: string): VerificationRecord;
  /** Looks the TXT record up through the configured resolver and compares it with `token`. */
  verify(domain: string, token: string): Promise<VerifyResult>;
  /**
   * Evidence that `domain` is verified in Microsoft 365: the `MS=ms…` TXT record Microsoft's
   * domain verification requires, at the domain itself or at a parent (a verified root covers new
   * subdomains; a verified subdomain does not cover its root — seed 001).
   */
  microsoft365Evidence(domain: string): Promise<M365Evidence>;
}

/** What the Microsoft 365 lookup found. `name` is where the record sits (the domain or a parent). */
export type M365Evidence =
  | { found: true; name: string; record: string }
  | { found: false; reason: 'record_missing' | 'dns_error'; detail?: string };

/**
 * The TXT value Microsoft 365 asks a tenant to publish to prove it owns a domain: `MS=ms` and
 * digits (e.g. `MS=ms12345678`). It can only be there if someone who controls the domain's DNS
 * added it for Microsoft 365 — unlike a list a partner types in.
 */
export const M365_TXT = /^MS=ms\d{6,12}$/;

/** The domain and each parent down to two labels: `a.b.acme.com` → a.b.acme.com, b.acme.com, acme.com. */
export function selfAndParents(domain: string): string[] {
  const labels = normalizeDomain(domain).split('.');
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  return out;
}

export function verificationRecordName(domain: string): string {
  return `${VERIFICATION_LABEL}.${normalizeDomain(domain)}`;
}

// DNS answers that mean "this name has no TXT record" rather than "DNS is broken".
const MISSING_CODES = new Set(['ENOTFOUND', 'ENODATA']);

export function createDomainVerifier(opts: DomainVerifierOptions): DomainVerifier {
  if (opts.secret.length < 16) throw new Error('domain verification secret must be at least 16 characters');
  const resolver = new Resolver({ timeout: opts.timeoutMs ?? 3000, tries: opts.tries ?? 2 });
  // setServers validates the addresses and throws on garbage: a config error surfaces at startup.
  if (opts.resolverServers && opts.resolverServers.length > 0) resolver.setServers(opts.resolverServers);

  const verificationToken = (companyId: string, domain: string): string => {
    const mac = createHmac('sha256', opts.secret).update(`${companyId}\n${normalizeDomain(domain)}`).digest('hex');
    return `convene-verify-${mac.slice(0, 40)}`;
  };

  return {
    verificationToken,
    verificationRecord(companyId, domain) {
      return { name: verificationRecordName(domain), type: 'TXT', value: verificationToken(companyId, domain) };
    },
    async verify(domain, token) {
      const name = verificationRecordName(domain);
      let records: string[][];
      try {
        records = await resolver.resolveTxt(name);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
        return { verified: false, reason: MISSING_CODES.has(code) ? 'record_missing' : 'dns_error', detail: code };
      }
      // A TXT record may arrive split into 255-byte strings; its value is their concatenation.
      const values = records.map((chunks) => chunks.join('').trim());
      if (values.length === 0) return { verified: false, reason: 'record_missing', detail: 'no TXT records' };
      const expected = Buffer.from(token.trim());
      const match = values.some((v) => {
        const got = Buffer.from(v);
        return got.length === expected.length && timingSafeEqual(got, expected);
      });
      return match
        ? { verified: true }
        : { verified: false, reason: 'record_mismatch', detail: `${values.length} TXT record(s), none matching` };
    },
    async microsoft365Evidence(domain) {
      const names = selfAndParents(domain);
      const answers = await Promise.all(
        names.map(async (name) => {
          try {
            const values = (await resolver.resolveTxt(name)).map((chunks) => chunks.join('').trim());
            const record = values.find((v) => M365_TXT.test(v));
            return record ? { name, record } : { name, missing: true as const };
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code ?? 'UNKNOWN';
            return MISSING_CODES.has(code) ? { name, missing: true as const } : { name, error: code };
          }
        }),
      );
      for (const a of answers) if ('record' in a && a.record) return { found: true, name: a.name, record: a.record };
      const failed = answers.find((a): a is { name: string; error: string } => 'error' in a);
      return failed ? { found: false, reason: 'dns_error', detail: `${failed.name}: ${failed.error}` } : { found: false, reason: 'record_missing' };
    },
  };
}
