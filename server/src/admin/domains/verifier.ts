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
  };
}
