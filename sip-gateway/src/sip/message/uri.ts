/**
 * SIP/SIPS URIs (RFC 3261 §19.1) with user info, IPv6 references, ;params and ?headers.
 * Other absolute URIs (tel:, urn:, ...) are kept opaque so name-addr headers still parse.
 */
import { isIP } from 'node:net';
import { SipParseError, SipParseErrorCode } from './errors.js';
import type { Params } from './syntax.js';

export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  user: string | undefined;
  password: string | undefined;
  /** Hostname, IPv4 address, or IPv6 reference WITHOUT brackets. */
  host: string;
  port: number | undefined;
  params: Params;
  headers: Map<string, string>;
}

export interface OpaqueUri {
  readonly scheme: string;
  /** Everything after "scheme:". */
  readonly opaque: string;
}

export type Uri = SipUri | OpaqueUri;

export function isSipUri(u: Uri): u is SipUri {
  return u.scheme === 'sip' || u.scheme === 'sips';
}

const HOSTNAME_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;
const USER_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+$/;
const PASSWORD_RE = /^(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*$/;
const PARAM_RE = /^(?:[A-Za-z0-9\-_.!~*'()\[\]/:&+$]|%[0-9A-Fa-f]{2})+$/;
const HNV_RE = /^(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$]|%[0-9A-Fa-f]{2})*$/;
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+\-.]*$/;

function bad(msg: string): SipParseError {
  return new SipParseError(SipParseErrorCode.BadUri, msg);
}

/** Parses "host[:port]" where host may be a bracketed IPv6 reference. */
export function parseHostPort(s: string): { host: string; port: number | undefined } {
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) throw bad('unterminated IPv6 reference');
    host = s.slice(1, end);
    if (isIP(host) !== 6) throw bad('bad IPv6 reference');
    rest = s.slice(end + 1);
  } else {
    const colon = s.indexOf(':');
    host = colon < 0 ? s : s.slice(0, colon);
    rest = colon < 0 ? '' : s.slice(colon);
    if (!HOSTNAME_RE.test(host) && isIP(host) !== 4) throw bad(`bad host "${host}"`);
    // A bare IPv6 address (no brackets) is not a valid hostport.
  }
  let port: number | undefined;
  if (rest !== '') {
    if (!/^:\d{1,5}$/.test(rest)) throw bad('bad port');
    port = Number(rest.slice(1));
    if (port > 65535) throw bad('port out of range');
  }
  return { host, port };
}

export function formatHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

export function parseUri(input: string): Uri {
  const colon = input.indexOf(':');
  if (colon <= 0) throw bad('missing URI scheme');
  const scheme = input.slice(0, colon);
  if (!SCHEME_RE.test(scheme)) throw bad('bad URI scheme');
  const lower = scheme.toLowerCase();
  const rest = input.slice(colon + 1);
  if (lower !== 'sip' && lower !== 'sips') {
    if (rest === '' || /[\s<>"]/.test(rest)) throw bad('bad absolute URI');
    return { scheme: lower, opaque: rest };
  }
  if (/[\s<>"]/.test(rest)) throw bad('whitespace or delimiter inside SIP URI');
  let user: string | undefined;
  let password: string | undefined;
  let hostPart = rest;
  const at = rest.indexOf('@');
  if (at >= 0) {
    if (rest.indexOf('@', at + 1) >= 0) throw bad('more than one "@" in URI');
    const userinfo = rest.slice(0, at);
    hostPart = rest.slice(at + 1);
    const pc = userinfo.indexOf(':');
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    password = pc < 0 ? undefined : userinfo.slice(pc + 1);
    if (!USER_RE.test(user)) throw bad('bad user part');
    if (password !== undefined && !PASSWORD_RE.test(password)) throw bad('bad password');
  }
  let headersPart = '';
  const q = hostPart.indexOf('?');
  if (q >= 0) {
    headersPart = hostPart.slice(q + 1);
    hostPart = hostPart.slice(0, q);
  }
  const semi = hostPart.indexOf(';');
  const paramsPart = semi >= 0 ? hostPart.slice(semi + 1) : '';
  if (semi >= 0) hostPart = hostPart.slice(0, semi);
  const { host, port } = parseHostPort(hostPart);
  const params: Params = new Map();
  if (semi >= 0) {
    for (const p of paramsPart.split(';')) {
      const eq = p.indexOf('=');
      const name = eq < 0 ? p : p.slice(0, eq);
      const value = eq < 0 ? null : p.slice(eq + 1);
      if (!PARAM_RE.test(name) || (value !== null && !PARAM_RE.test(value))) throw bad('bad URI parameter');
      params.set(name.toLowerCase(), value);
    }
  }
  const headers = new Map<string, string>();
  if (q >= 0) {
    for (const h of headersPart.split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw bad('bad URI header');
      const name = h.slice(0, eq);
      const value = h.slice(eq + 1);
      if (!HNV_RE.test(name) || !HNV_RE.test(value)) throw bad('bad URI header');
      headers.set(name, value);
    }
  }
  return { scheme: lower, user, password, host, port, params, headers };
}

export function formatUri(u: Uri): string {
  if (!isSipUri(u)) return `${u.scheme}:${u.opaque}`;
  let s = `${u.scheme}:`;
  if (u.user !== undefined) s += u.password !== undefined ? `${u.user}:${u.password}@` : `${u.user}@`;
  s += formatHost(u.host);
  if (u.port !== undefined) s += `:${u.port}`;
  for (const [k, v] of u.params) s += v === null ? `;${k}` : `;${k}=${v}`;
  if (u.headers.size > 0) s += `?${[...u.headers].map(([k, v]) => `${k}=${v}`).join('&')}`;
  return s;
}

/** Convenience for building URIs in code. */
export function sipUri(init: {
  scheme?: 'sip' | 'sips';
  user?: string;
  host: string;
  port?: number;
  params?: Record<string, string | null>;
}): SipUri {
  return {
    scheme: init.scheme ?? 'sip',
    user: init.user,
    password: undefined,
    host: init.host,
    port: init.port,
    params: new Map(Object.entries(init.params ?? {})),
    headers: new Map(),
  };
}

export function cloneUri<U extends Uri>(u: U): U {
  if (!isSipUri(u)) return { ...u };
  return { ...u, params: new Map(u.params), headers: new Map(u.headers) } as U;
}
