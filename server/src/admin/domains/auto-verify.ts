import { isSameOrSubdomain, normalizeDomain } from './names.js';

export interface AutoVerifyContext {
  /** The service's own default domain (e.g. `convene.example`). */
  defaultDomain: string;
  /** This customer's calling domains that are already verified (by DNS or automatically). */
  verifiedDomains: string[];
  /**
   * Names (the domain or a parent of it) where DNS showed the Microsoft 365 verification record
   * (`MS=ms…`, see verifier.microsoft365Evidence). Never a list someone typed in.
   */
  m365DnsEvidence: string[];
}

/** Why a domain was (or was not) verified without a DNS check. Stable names. */
export type AutoVerifyReason = 'default_domain' | 'm365_domain' | 'subdomain_of_verified' | 'needs_dns';

/**
 * Seed 001's automatic verification, with the reason:
 * - the service's default domain and every subdomain of it;
 * - a domain already verified in Microsoft 365 — shown by the `MS=ms…` TXT record in DNS — (and,
 *   because a verified root verifies new subdomains, any subdomain of such a domain);
 * - a new subdomain of a domain the customer already verified;
 * - NOT a parent ("new root") of something verified: owning `eu.acme.com` proves nothing about `acme.com`.
 * A string that is not a valid domain name is never auto-verified.
 */
export function autoVerifyReason(domain: string, ctx: AutoVerifyContext): AutoVerifyReason {
  let d: string;
  try {
    d = normalizeDomain(domain);
  } catch {
    return 'needs_dns';
  }
  const norm = (list: string[]): string[] =>
    list.flatMap((x) => {
      try {
        return [normalizeDomain(x)];
      } catch {
        return [];
      }
    });
  const [defaultDomain] = norm([ctx.defaultDomain]);
  if (defaultDomain && isSameOrSubdomain(d, defaultDomain)) return 'default_domain';
  if (norm(ctx.verifiedDomains).some((v) => isSameOrSubdomain(d, v))) return 'subdomain_of_verified';
  if (norm(ctx.m365DnsEvidence).some((m) => isSameOrSubdomain(d, m))) return 'm365_domain';
  return 'needs_dns';
}

/** Whether `domain` is verified without a DNS TXT check (see autoVerifyReason for the rules). */
export function autoVerifies(domain: string, ctx: AutoVerifyContext): boolean {
  return autoVerifyReason(domain, ctx) !== 'needs_dns';
}
