import { domainToASCII } from 'node:url';
import { DomainError, defineErrorCodes } from '../../errors.js';

export const DomainNameErrors = defineErrorCodes({
  calling_domain_invalid: { http: 400, description: 'The calling domain is not a valid DNS name.' },
});

/** Thrown for a string that is not a usable DNS host name. `code` is `calling_domain_invalid`. */
export class InvalidDomainNameError extends DomainError {
  constructor(input: string, why: string) {
    super('calling_domain_invalid', `"${input.slice(0, 300)}" is not a valid domain name: ${why}`, { why });
    this.name = 'InvalidDomainNameError';
  }
}

// One label: letters, digits and inner hyphens, 1–63 characters (RFC 1035 host names; IDNs arrive as punycode).
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Lower-cases a domain, drops one trailing dot, converts an internationalised name to its
 * punycode (A-label) form — the form DNS and SIP use — and checks it is a host name with at least
 * two labels (a calling domain is never a bare TLD). Throws InvalidDomainNameError otherwise.
 */
export function normalizeDomain(input: string): string {
  let d = input.trim().toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.length === 0) throw new InvalidDomainNameError(input, 'empty');
  if (/[^\x00-\x7f]/.test(d)) {
    const ascii = domainToASCII(d);
    if (!ascii) throw new InvalidDomainNameError(input, 'not a valid internationalised domain name');
    d = ascii;
  }
  if (d.length > 253) throw new InvalidDomainNameError(input, 'longer than 253 characters');
  const labels = d.split('.');
  if (labels.length < 2) throw new InvalidDomainNameError(input, 'needs at least two labels');
  for (const label of labels) {
    if (!LABEL.test(label)) throw new InvalidDomainNameError(input, `bad label "${label.slice(0, 70)}"`);
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) throw new InvalidDomainNameError(input, 'numeric top-level label');
  return d;
}

/** True when `name` is `parent` itself or lies below it (`a.b.example.com` is within `example.com`). */
export function isSameOrSubdomain(name: string, parent: string): boolean {
  return name === parent || name.endsWith(`.${parent}`);
}
