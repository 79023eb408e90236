/**
 * Address rules (SPEC §2, seed 001). An address is `local@domain`, lower case. The local part may
 * contain only a-z, 0-9, `.`, `-`, `_`; it may not start with a digit, `.`, `-` or `_`; on the
 * service's default domain (and its subdomains) it must be at least 6 characters. Custom hosted
 * domains have no minimum ("only applies if you do not have custom domain hosting").
 * Pure functions: callers translate a rejection into their own error.
 */

/** Stable names for why an address was refused. */
export type AddressRejection =
  | 'empty'
  | 'invalid_characters'
  | 'invalid_start'
  | 'too_short'
  | 'too_long'
  | 'invalid_domain'
  | 'missing_at'
  | 'reserved_suffix';

export const MIN_LOCAL_LENGTH_ON_DEFAULT_DOMAIN = 6;
/** RFC 5321 limit for a local part. */
export const MAX_LOCAL_LENGTH = 64;
/** The suffix that turns a member's personal local part into their VMR local part. */
export const VMR_SUFFIX = '.vmr';

export type AddressCheck<T> = { ok: true; value: T } | { ok: false; reason: AddressRejection; message: string };

const LOCAL_CHARS = /^[a-z0-9._-]+$/;
const BAD_START = /^[0-9._-]/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function fail<T>(reason: AddressRejection, message: string): AddressCheck<T> {
  return { ok: false, reason, message };
}

/** Lower-cases and trims a domain; checks it is a host name with at least two labels. */
export function checkDomain(input: string): AddressCheck<string> {
  let d = input.trim().toLowerCase();
  if (d.endsWith('.')) d = d.slice(0, -1);
  if (d.length === 0 || d.length > 253) return fail('invalid_domain', 'domain must be 1-253 characters');
  const labels = d.split('.');
  if (labels.length < 2) return fail('invalid_domain', 'domain needs at least two labels');
  if (!labels.every((l) => LABEL.test(l))) return fail('invalid_domain', `"${d.slice(0, 100)}" is not a valid domain name`);
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return fail('invalid_domain', 'numeric top-level label');
  return { ok: true, value: d };
}

/** True when `domain` is `parent` or a subdomain of it. Both must already be normalised. */
export function isWithinDomain(domain: string, parent: string): boolean {
  return domain === parent || domain.endsWith(`.${parent}`);
}

export interface LocalPartContext {
  /** Normalised domain the address is on. */
  domain: string;
  /** The service's default domain (normalised); the 6-character minimum applies on it and below it. */
  defaultDomain: string;
}

/**
 * Lower-cases a local part (capital letters are converted, seed 001) and checks the rules.
 * Upper-case input is accepted and converted; anything outside a-z 0-9 . - _ is refused, never stripped.
 */
export function checkLocalPart(input: string, ctx: LocalPartContext): AddressCheck<string> {
  const local = input.trim().toLowerCase();
  if (local.length === 0) return fail('empty', 'the part before @ is empty');
  if (local.length > MAX_LOCAL_LENGTH) return fail('too_long', `at most ${MAX_LOCAL_LENGTH} characters before @`);
  if (!LOCAL_CHARS.test(local)) {
    return fail('invalid_characters', 'only letters a-z, digits 0-9 and . - _ are allowed before @');
  }
  if (BAD_START.test(local)) return fail('invalid_start', 'may not start with a digit, dot, dash or underscore');
  if (isWithinDomain(ctx.domain, ctx.defaultDomain) && local.length < MIN_LOCAL_LENGTH_ON_DEFAULT_DOMAIN) {
    return fail('too_short', `at least ${MIN_LOCAL_LENGTH_ON_DEFAULT_DOMAIN} characters before @ on ${ctx.defaultDomain}`);
  }
  return { ok: true, value: local };
}

export interface Address {
  local: string;
  domain: string;
  /** `local@domain`, lower case. */
  address: string;
}

/** Checks a local part and domain together and returns the normalised address. */
export function checkAddress(local: string, domain: string, defaultDomain: string): AddressCheck<Address> {
  const d = checkDomain(domain);
  if (!d.ok) return d;
  const def = checkDomain(defaultDomain);
  if (!def.ok) return def;
  const l = checkLocalPart(local, { domain: d.value, defaultDomain: def.value });
  if (!l.ok) return l;
  return { ok: true, value: { local: l.value, domain: d.value, address: `${l.value}@${d.value}` } };
}

/** Parses and checks a full `local@domain` string (the last `@` separates, as in SIP URIs' user part). */
export function parseAddress(input: string, defaultDomain: string): AddressCheck<Address> {
  const s = input.trim().replace(/^sips?:/i, '');
  const at = s.lastIndexOf('@');
  if (at < 0) return fail('missing_at', 'an address needs the form name@domain');
  return checkAddress(s.slice(0, at), s.slice(at + 1), defaultDomain);
}

export interface MemberAddresses {
  /** `name@domain`: rings the member's registered endpoints/apps. */
  personal: Address;
  /** `name.vmr@domain`: the member's personal VMR. */
  vmr: Address;
}

/**
 * A member's two addresses from one chosen name. The name itself may not end in `.vmr`
 * (it would collide with another member's VMR address).
 */
export function memberAddresses(local: string, domain: string, defaultDomain: string): AddressCheck<MemberAddresses> {
  const personal = checkAddress(local, domain, defaultDomain);
  if (!personal.ok) return personal;
  if (personal.value.local.endsWith(VMR_SUFFIX)) {
    return fail('reserved_suffix', `a personal address may not end in "${VMR_SUFFIX}"`);
  }
  const vmr = checkAddress(`${personal.value.local}${VMR_SUFFIX}`, personal.value.domain, defaultDomain);
  if (!vmr.ok) return vmr;
  return { ok: true, value: { personal: personal.value, vmr: vmr.value } };
}

/** The VMR address for a personal address (`alice.smith@d` → `alice.smith.vmr@d`). */
export function vmrAddressFor(personal: Address): string {
  return `${personal.local}${VMR_SUFFIX}@${personal.domain}`;
}
