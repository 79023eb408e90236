/**
 * SDP Security Descriptions (RFC 4568): read a peer's `a=crypto:` value and make our own. We take
 * exactly one inline key without MKI and no session parameters — anything else is refused with a
 * code so the offer/answer layer can pick another line or reject the call.
 */
import { randomBytes } from 'node:crypto';
import { SRTP_KEY_AND_SALT_BYTES, SRTP_SUITES, type SrtpSuite } from './srtp-context.js';

export interface SdesCrypto {
  tag: number;
  suite: SrtpSuite;
  /** Master key (16) || master salt (14). */
  keyAndSalt: Uint8Array;
  keyBase64: string;
}

export const SDES_CRYPTO_ERROR_CODES = ['unsupported_suite', 'bad_key', 'mki_unsupported', 'session_params_unsupported', 'malformed'] as const;
export type SdesCryptoErrorCode = (typeof SDES_CRYPTO_ERROR_CODES)[number];

export interface SdesCryptoError {
  code: SdesCryptoErrorCode;
  message: string;
}

export function isSdesCryptoError(v: SdesCrypto | SdesCryptoError): v is SdesCryptoError {
  return 'code' in v;
}

/** An SDP attribute line is short; anything longer is not a crypto attribute we would accept. */
const MAX_ATTRIBUTE_CHARS = 1024;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** SRTP's limit on packets per key is 2^48 (RFC 3711 §9.2); longer lifetimes are malformed. */
const MAX_LIFETIME_EXPONENT = 48;

function fail(code: SdesCryptoErrorCode, message: string): SdesCryptoError {
  return { code, message };
}

/** Parse the value of `a=crypto:` (without the `a=crypto:` prefix). */
export function parseCryptoAttribute(value: string): SdesCrypto | SdesCryptoError {
  if (typeof value !== 'string' || value.length > MAX_ATTRIBUTE_CHARS) return fail('malformed', 'crypto attribute missing or too long');
  const parts = value.trim().split(/[ \t]+/);
  if (parts.length < 3) return fail('malformed', 'crypto attribute needs a tag, a suite and key parameters');
  const [tagText, suiteText, keyParams] = parts as [string, string, string];
  if (!/^[0-9]{1,9}$/.test(tagText)) return fail('malformed', `crypto tag "${tagText}" is not 1–9 digits`);
  const tag = Number(tagText);
  if (!(SRTP_SUITES as readonly string[]).includes(suiteText)) return fail('unsupported_suite', `crypto suite ${suiteText} is not supported`);
  if (parts.length > 3) return fail('session_params_unsupported', `session parameters are not supported: ${parts.slice(3).join(' ')}`);
  // Several keys (";"-separated) only make sense with MKIs, which we do not support.
  if (keyParams.includes(';')) return fail('mki_unsupported', 'more than one master key (MKI) is not supported');
  if (!keyParams.startsWith('inline:')) return fail('malformed', 'key parameters must use the inline: method');
  const fields = keyParams.slice('inline:'.length).split('|');
  if (fields.length > 3) return fail('malformed', 'too many "|" fields in the key parameters');
  const keyBase64 = fields[0]!;
  let lifetime: string | undefined;
  let mki: string | undefined;
  for (const field of fields.slice(1)) {
    if (field.includes(':')) {
      if (mki !== undefined) return fail('malformed', 'two MKI fields');
      mki = field;
    } else {
      if (lifetime !== undefined || mki !== undefined) return fail('malformed', 'lifetime must come once, before the MKI');
      lifetime = field;
    }
  }
  if (lifetime !== undefined) {
    const pow = /^2\^([0-9]{1,2})$/.exec(lifetime);
    const ok = pow ? Number(pow[1]) <= MAX_LIFETIME_EXPONENT : /^[0-9]{1,15}$/.test(lifetime) && Number(lifetime) > 0 && Number(lifetime) <= 2 ** MAX_LIFETIME_EXPONENT;
    if (!ok) return fail('malformed', `key lifetime "${lifetime}" is not valid`);
  }
  if (mki !== undefined) {
    if (!/^[0-9]{1,10}:[0-9]{1,3}$/.test(mki)) return fail('malformed', `MKI "${mki}" is not value:length`);
    return fail('mki_unsupported', 'keys with an MKI are not supported');
  }
  if (!BASE64.test(keyBase64) || keyBase64.length % 4 !== 0) return fail('bad_key', 'key is not base64');
  const keyAndSalt = new Uint8Array(Buffer.from(keyBase64, 'base64'));
  if (keyAndSalt.length !== SRTP_KEY_AND_SALT_BYTES) {
    return fail('bad_key', `key||salt must be ${SRTP_KEY_AND_SALT_BYTES} bytes, got ${keyAndSalt.length}`);
  }
  return { tag, suite: suiteText as SrtpSuite, keyAndSalt, keyBase64 };
}

/** Our own `a=crypto:` value with a fresh random master key and salt. */
export function makeCryptoAttribute(tag: number, suite: SrtpSuite): { value: string; keyAndSalt: Uint8Array; keyBase64: string } {
  const keyAndSalt = new Uint8Array(randomBytes(SRTP_KEY_AND_SALT_BYTES));
  const keyBase64 = Buffer.from(keyAndSalt).toString('base64');
  return { value: `${tag} ${suite} inline:${keyBase64}`, keyAndSalt, keyBase64 };
}
