/**
 * Low-level RFC 3261 §25 grammar helpers shared by the URI and header parsers: token checks,
 * quoted strings, comma splitting that respects quotes and angle brackets, and ;param lists.
 */
import { SipParseError, SipParseErrorCode } from './errors.js';

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
export function isToken(s: string): boolean {
  return TOKEN_RE.test(s);
}

/** Linear whitespace after unfolding is SP / HTAB only. */
export function isWs(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/** Ordered, case-insensitive-by-name parameter list; values are kept as written (quotes included). */
export type Params = Map<string, string | null>;

const PARAM_VALUE_RE = /^[A-Za-z0-9\-.!%*_+`'~:\[\]]+$/;

/**
 * Reads a quoted-string starting at `s[start] === '"'`; returns the index just past the closing quote.
 * Throws SipParseError if unterminated.
 */
export function scanQuoted(s: string, start: number, header?: string): number {
  let i = start + 1;
  while (i < s.length) {
    const ch = s[i];
    if (ch === '\\') {
      if (i + 1 >= s.length) break;
      i += 2;
      continue;
    }
    if (ch === '"') return i + 1;
    i++;
  }
  throw new SipParseError(SipParseErrorCode.BadHeader, 'unterminated quoted string', header);
}

/** Removes surrounding quotes and quoted-pair escapes. */
export function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    return s.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return s;
}

export function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}

/** Splits a header value on top-level commas (not inside quotes or <...>). */
export function splitComma(value: string, header?: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let startIdx = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"') {
      i = scanQuoted(value, i, header) - 1;
    } else if (ch === '<') {
      depth++;
    } else if (ch === '>') {
      depth = Math.max(0, depth - 1);
    } else if (ch === ',' && depth === 0) {
      parts.push(value.slice(startIdx, i).trim());
      startIdx = i + 1;
    }
  }
  parts.push(value.slice(startIdx).trim());
  for (const p of parts) {
    if (p === '') throw new SipParseError(SipParseErrorCode.BadHeader, 'empty element in comma-separated list', header);
  }
  return parts;
}

/**
 * Parses `;name=value;flag` (the leading ';' optional) into a Params map. Values may be tokens,
 * quoted strings or bracketed IPv6 references.
 */
export function parseParams(s: string, header?: string): Params {
  const params: Params = new Map();
  const n = s.length;
  let i = 0;
  // Plain loops instead of helper closures: this runs for every Via, name-addr and URI parameter.
  while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  if (i < n && s[i] === ';') i++;
  while (i < n) {
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    let j = i;
    while (j < n) {
      const c = s.charCodeAt(j);
      if (c === 61 /* = */ || c === 59 /* ; */ || c === 32 || c === 9) break;
      j++;
    }
    const name = s.slice(i, j);
    if (!isToken(name)) throw new SipParseError(SipParseErrorCode.BadHeader, `bad parameter name "${name}"`, header);
    i = j;
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    let value: string | null = null;
    if (i < n && s[i] === '=') {
      i++;
      while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
      if (s[i] === '"') {
        const end = scanQuoted(s, i, header);
        value = s.slice(i, end);
        i = end;
      } else {
        let k = i;
        while (k < n) {
          const c = s.charCodeAt(k);
          if (c === 59 || c === 32 || c === 9) break;
          k++;
        }
        value = s.slice(i, k);
        if (value === '' || !PARAM_VALUE_RE.test(value)) {
          throw new SipParseError(SipParseErrorCode.BadHeader, `bad value for parameter "${name}"`, header);
        }
        i = k;
      }
    }
    params.set(name.toLowerCase(), value);
    while (i < n && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
    if (i < n) {
      if (s[i] !== ';') throw new SipParseError(SipParseErrorCode.BadHeader, 'expected ";" between parameters', header);
      i++;
      if (i >= n) throw new SipParseError(SipParseErrorCode.BadHeader, 'trailing ";"', header);
    }
  }
  return params;
}

export function formatParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}
