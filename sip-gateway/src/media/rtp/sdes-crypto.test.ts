import { describe, expect, it } from 'vitest';
import { isSdesCryptoError, makeCryptoAttribute, parseCryptoAttribute } from './sdes-crypto.js';
import { SrtpContext } from './srtp-context.js';

const KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'; // 30 bytes

describe('parseCryptoAttribute (RFC 4568)', () => {
  it('reads tag, suite and key, with or without a lifetime', () => {
    for (const value of [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`, `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^20`, `  1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^31 `, `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|1048576`]) {
      const c = parseCryptoAttribute(value);
      expect(isSdesCryptoError(c), value).toBe(false);
      expect(c).toMatchObject({ tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: KEY });
      if (!isSdesCryptoError(c)) expect(Buffer.from(c.keyAndSalt).toString('base64')).toBe(KEY);
    }
    expect(parseCryptoAttribute(`42 AES_CM_128_HMAC_SHA1_32 inline:${KEY}`)).toMatchObject({ tag: 42, suite: 'AES_CM_128_HMAC_SHA1_32' });
  });

  it.each([
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^20|1:32`, 'mki_unsupported'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|1:4`, 'mki_unsupported'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^20|1:4;inline:${KEY}|2^20|2:4`, 'mki_unsupported'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} UNENCRYPTED_SRTP`, 'session_params_unsupported'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY} KDR=1`, 'session_params_unsupported'],
    [`1 AES_256_CM_HMAC_SHA1_80 inline:${KEY}`, 'unsupported_suite'],
    [`1 F8_128_HMAC_SHA1_80 inline:${KEY}`, 'unsupported_suite'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=', 'bad_key'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:not*base64!not*base64!not*base64!not*', 'bad_key'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^99`, 'malformed'],
    [`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|abc`, 'malformed'],
    [`x AES_CM_128_HMAC_SHA1_80 inline:${KEY}`, 'malformed'],
    [`1 AES_CM_128_HMAC_SHA1_80 uri:${KEY}`, 'malformed'],
    ['1 AES_CM_128_HMAC_SHA1_80', 'malformed'],
    ['', 'malformed'],
    ['1 AES_CM_128_HMAC_SHA1_80 inline:' + 'A'.repeat(2000), 'malformed'],
  ])('%s → %s', (value, code) => {
    const c = parseCryptoAttribute(value);
    expect(isSdesCryptoError(c) && c.code).toBe(code);
  });
});

describe('makeCryptoAttribute', () => {
  it('makes a fresh key each time that parses back and keys a working SRTP context', () => {
    const a = makeCryptoAttribute(1, 'AES_CM_128_HMAC_SHA1_80');
    const b = makeCryptoAttribute(1, 'AES_CM_128_HMAC_SHA1_80');
    expect(a.keyBase64).not.toBe(b.keyBase64);
    expect(a.value).toBe(`1 AES_CM_128_HMAC_SHA1_80 inline:${a.keyBase64}`);
    const parsed = parseCryptoAttribute(a.value);
    if (isSdesCryptoError(parsed)) throw new Error(parsed.message);
    expect(Buffer.from(parsed.keyAndSalt).equals(Buffer.from(a.keyAndSalt))).toBe(true);
    const rtp = new Uint8Array([0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 42, 43]);
    expect(new SrtpContext(parsed.suite, parsed.keyAndSalt).unprotectRtp(new SrtpContext('AES_CM_128_HMAC_SHA1_80', a.keyAndSalt).protectRtp(rtp))).toEqual(rtp);
  });
});
