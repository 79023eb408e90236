import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDigestCredentials } from './authorization-header.js';
import type { DigestHeaderErrorCode } from './errors.js';

const md5Response = '8ca523f5e9506fed4657c9700eebdbec';
const shaResponse = '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1';

const errorCode = (value: string): DigestHeaderErrorCode | 'ok' => {
  const r = parseDigestCredentials(value);
  return r.ok ? 'ok' : r.error.code;
};

describe('parseDigestCredentials', () => {
  it('parses an RFC 7616-style SHA-256 header with quoted and token values', () => {
    const r = parseDigestCredentials(
      `Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, ` +
        `nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ` +
        `qop=auth, response="${shaResponse}", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      username: 'Mufasa',
      realm: 'http-auth@example.org',
      algorithm: 'SHA-256',
      nc: '00000001',
      ncValue: 1,
      qop: 'auth',
      opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
    });
  });

  it('accepts RFC 2617 clients: MD5 by default, quoted qop/algorithm, odd spacing and case', () => {
    const r = parseDigestCredentials(
      `digest  USERNAME = "alice" ,realm="example.com",nonce="abc",uri="sip:example.com",` +
        `response="${md5Response.toUpperCase()}",qop="auth",nc=0000000a,cnonce="x\\"y"`,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.algorithm).toBe('MD5');
    expect(r.value.ncValue).toBe(10);
    expect(r.value.cnonce).toBe('x"y');
    expect(r.value.response).toBe(md5Response);
  });

  it('decodes username* (RFC 5987 UTF-8 ext-value)', () => {
    const r = parseDigestCredentials(
      `Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm="r", nonce="n", uri="sip:r", response="${md5Response}", qop=auth, nc=00000001, cnonce="c"`,
    );
    expect(r.ok && r.value.username).toBe('J\u00e4s\u00f8n Doe');
  });

  const valid = `realm="r", nonce="n", uri="sip:r", response="${md5Response}", qop=auth, nc=00000001, cnonce="c"`;
  it.each<[string, DigestHeaderErrorCode]>([
    [`Basic dXNlcjpwYXNz`, 'not_digest'],
    [`Digest`, 'malformed'],
    [`Digest username="a", ${valid}, username="b"`, 'duplicate_param'],
    [`Digest username="a" ${valid}`, 'malformed'],
    [`Digest username="a, ${valid}`, 'malformed'],
    [`Digest username=, ${valid}`, 'malformed'],
    [`Digest ${valid}`, 'missing_param'],
    [`Digest username="a", realm="r", nonce="n", uri="sip:r", response="${md5Response}", nc=00000001, cnonce="c"`, 'missing_param'],
    [`Digest username="a", realm="r", nonce="n", uri="sip:r", response="${md5Response}", qop=auth, cnonce="c"`, 'missing_param'],
    [`Digest username="a", ${valid.replace('nc=00000001', 'nc=1')}`, 'bad_nonce_count'],
    [`Digest username="a", ${valid.replace('nc=00000001', 'nc=00000000')}`, 'bad_nonce_count'],
    [`Digest username="a", ${valid.replace('qop=auth', 'qop=auth-int')}`, 'unsupported_qop'],
    [`Digest username="a", algorithm=SHA-512-256, ${valid}`, 'unsupported_algorithm'],
    [`Digest username="a", algorithm=SHA-256, ${valid}`, 'malformed'],
    [`Digest username="a", userhash=true, ${valid}`, 'unsupported_userhash'],
    [`Digest username*=latin1''abc, ${valid}`, 'bad_charset'],
    [`Digest username="a\u0001", ${valid}`, 'malformed'],
    [`Digest username="${'a'.repeat(5000)}", ${valid}`, 'too_long'],
  ])('rejects %s as %s', (header, code) => {
    expect(errorCode(header)).toBe(code);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseDigestCredentials(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.stringMatching(/^[a-z*]{1,8}$/), fc.string({ maxLength: 20 })), { maxLength: 12 }),
        (pairs) => {
          const r = parseDigestCredentials(`Digest ${pairs.map(([k, v]) => `${k}="${v}"`).join(', ')}`);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
