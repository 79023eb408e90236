import { type DigestAlgorithm, hashNameOf, parseAlgorithm } from './digest-math.js';
import { DigestHeaderError, type DigestHeaderErrorCode } from './errors.js';

/** Longest header value we look at; real digest credentials are a few hundred bytes. */
export const MAX_AUTHORIZATION_LENGTH = 4096;
/** Bound on parameters so a hostile header cannot make us build a huge map. */
const MAX_PARAMS = 32;

/** A parsed `Authorization`/`Proxy-Authorization` header with the Digest scheme and qop=auth. */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  /** Lower-case hex. */
  response: string;
  algorithm: DigestAlgorithm;
  cnonce: string;
  /** As sent (8 hex digits): it is hashed verbatim. */
  nc: string;
  /** nc as a number, for the replay check. */
  ncValue: number;
  qop: 'auth';
  opaque?: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: DigestHeaderError };

const fail = (code: DigestHeaderErrorCode, message: string): ParseResult<never> => ({
  ok: false,
  error: new DigestHeaderError(code, message),
});

const TOKEN_CHAR = /[A-Za-z0-9\-.!%*_+`'~]/;
const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';

/**
 * Splits `name=value, name="quoted \" value", ...` (RFC 3261 §25.1 auth-param list) into a
 * map with lower-cased names. Strict: every parameter must be `token = token|quoted-string`,
 * separated by commas, with no duplicates.
 */
function parseAuthParams(text: string, start: number): ParseResult<Map<string, string>> {
  const params = new Map<string, string>();
  let i = start;
  const skipWs = (): void => {
    while (isWs(text[i])) i++;
  };
  for (;;) {
    skipWs();
    const nameStart = i;
    while (i < text.length && TOKEN_CHAR.test(text[i] as string)) i++;
    if (i === nameStart) return fail('malformed', `expected a parameter name at offset ${i}`);
    const name = text.slice(nameStart, i).toLowerCase();
    skipWs();
    if (text[i] !== '=') return fail('malformed', `expected "=" after "${name}"`);
    i++;
    skipWs();
    let value: string;
    if (text[i] === '"') {
      i++;
      let out = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) return fail('malformed', `unterminated quoted string for "${name}"`);
        if (c === '"') break;
        if (c === '\\') {
          const next = text[i + 1];
          // quoted-pair excludes CR/LF (RFC 3261 §25.1).
          if (next === undefined || next === '\r' || next === '\n') return fail('malformed', 'bad escape');
          out += next;
          i += 2;
          continue;
        }
        if (c.charCodeAt(0) < 0x20 && c !== '\t') return fail('malformed', `control character in "${name}"`);
        out += c;
        i++;
      }
      i++;
      value = out;
    } else {
      const valueStart = i;
      while (i < text.length && TOKEN_CHAR.test(text[i] as string)) i++;
      if (i === valueStart) return fail('malformed', `empty value for "${name}"`);
      value = text.slice(valueStart, i);
    }
    if (params.has(name)) return fail('duplicate_param', `parameter "${name}" appears twice`);
    if (params.size >= MAX_PARAMS) return fail('malformed', 'too many parameters');
    params.set(name, value);
    skipWs();
    if (i >= text.length) return { ok: true, value: params };
    if (text[i] !== ',') return fail('malformed', `expected "," at offset ${i}`);
    i++;
  }
}

/** RFC 5987 ext-value `UTF-8''percent-encoded` (used by `username*`, RFC 7616 §3.4.4). */
function decodeExtValue(value: string): string | undefined {
  const m = /^UTF-8'[A-Za-z0-9-]*'(.*)$/i.exec(value);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1] as string);
  } catch {
    return undefined;
  }
}

/**
 * Parses one `Authorization` or `Proxy-Authorization` header value. Never throws: malformed,
 * incomplete or unsupported credentials come back as a typed `DigestHeaderError`.
 */
export function parseDigestCredentials(headerValue: string): ParseResult<DigestCredentials> {
  if (headerValue.length > MAX_AUTHORIZATION_LENGTH) return fail('too_long', 'credentials too long');
  const trimmed = headerValue.replace(/^[ \t\r\n]+/, '');
  const scheme = /^([A-Za-z0-9\-.!%*_+`'~]+)/.exec(trimmed)?.[1];
  if (!scheme || scheme.toLowerCase() !== 'digest') return fail('not_digest', 'scheme is not Digest');
  if (!isWs(trimmed[scheme.length])) return fail('malformed', 'expected whitespace after "Digest"');
  const parsed = parseAuthParams(trimmed, scheme.length);
  if (!parsed.ok) return parsed;
  const p = parsed.value;

  if (p.get('userhash')?.toLowerCase() === 'true') {
    return fail('unsupported_userhash', 'userhash=true was not offered');
  }
  let username = p.get('username');
  const extUsername = p.get('username*');
  if (extUsername !== undefined) {
    if (username !== undefined) return fail('duplicate_param', 'both username and username* present');
    username = decodeExtValue(extUsername);
    if (username === undefined) return fail('bad_charset', 'username* is not a UTF-8 ext-value');
  }
  const required = { username, realm: p.get('realm'), nonce: p.get('nonce'), uri: p.get('uri'), response: p.get('response') };
  for (const [key, value] of Object.entries(required)) {
    if (value === undefined || value === '') return fail('missing_param', `"${key}" is missing`);
  }

  const algorithmText = p.get('algorithm') ?? 'MD5';
  const algorithm = parseAlgorithm(algorithmText);
  if (!algorithm) return fail('unsupported_algorithm', `algorithm "${algorithmText}" is not supported`);

  const qop = p.get('qop');
  // We always challenge with qop="auth"; RFC 2617 §3.2.2 makes qop mandatory in the answer then.
  if (qop === undefined) return fail('missing_param', '"qop" is missing');
  if (qop.toLowerCase() !== 'auth') return fail('unsupported_qop', `qop "${qop}" is not supported`);
  const nc = p.get('nc');
  const cnonce = p.get('cnonce');
  if (nc === undefined) return fail('missing_param', '"nc" is missing');
  if (cnonce === undefined || cnonce === '') return fail('missing_param', '"cnonce" is missing');
  if (!/^[0-9a-fA-F]{8}$/.test(nc)) return fail('bad_nonce_count', 'nc must be 8 hex digits');
  const ncValue = Number.parseInt(nc, 16);
  if (ncValue === 0) return fail('bad_nonce_count', 'nc must start at 1');

  const response = (required.response as string).toLowerCase();
  const hexLength = hashNameOf(algorithm) === 'SHA-256' ? 64 : 32;
  if (!new RegExp(`^[0-9a-f]{${hexLength}}$`).test(response)) {
    return fail('malformed', `response must be ${hexLength} hex digits for ${algorithm}`);
  }

  const value: DigestCredentials = {
    username: username as string,
    realm: required.realm as string,
    nonce: required.nonce as string,
    uri: required.uri as string,
    response,
    algorithm,
    cnonce,
    nc,
    ncValue,
    qop: 'auth',
  };
  const opaque = p.get('opaque');
  if (opaque !== undefined) value.opaque = opaque;
  return { ok: true, value };
}

/** Quotes a value as an RFC 3261 quoted-string. */
export function quoteString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
