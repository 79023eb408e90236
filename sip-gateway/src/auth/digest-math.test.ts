import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeBaseHa1, computeDigestResponse, type DigestAlgorithm } from './digest-math.js';

// An independent computation of RFC 7616 §3.4.1 straight from node:crypto, written from the RFC text.
function reference(alg: 'md5' | 'sha256', sess: boolean, v: Record<string, string>): string {
  const h = (s: string) => createHash(alg).update(s).digest('hex');
  let a1 = h([v.username, v.realm, v.password].join(':'));
  if (sess) a1 = h([a1, v.nonce, v.cnonce].join(':'));
  const a2 = h([v.method, v.uri].join(':'));
  return h([a1, v.nonce, v.nc, v.cnonce, 'auth', a2].join(':'));
}

// RFC 7616 §3.9.1 worked example inputs.
const rfc7616 = {
  username: 'Mufasa',
  password: 'Circle of Life',
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  nc: '00000001',
  method: 'GET',
  uri: '/dir/index.html',
};
// RFC 2617 §3.5 example inputs.
const rfc2617 = {
  username: 'Mufasa',
  password: 'Circle Of Life',
  realm: 'testrealm@host.com',
  nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
  cnonce: '0a4f113b',
  nc: '00000001',
  method: 'GET',
  uri: '/dir/index.html',
};

function ours(algorithm: DigestAlgorithm, v: typeof rfc7616): string {
  const hash = algorithm.startsWith('SHA-256') ? 'SHA-256' : 'MD5';
  return computeDigestResponse({
    algorithm,
    baseHa1: computeBaseHa1(hash, v.username, v.realm, v.password),
    nonce: v.nonce,
    nc: v.nc,
    cnonce: v.cnonce,
    qop: 'auth',
    method: v.method,
    uri: v.uri,
  });
}

describe('digest response computation', () => {
  it('matches an independent computation for the RFC 7616 example with SHA-256 and MD5', () => {
    const sha = ours('SHA-256', rfc7616);
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect(sha).toBe(reference('sha256', false, rfc7616));
    const md5 = ours('MD5', rfc7616);
    expect(md5).toMatch(/^[0-9a-f]{32}$/);
    expect(md5).toBe(reference('md5', false, rfc7616));
  });

  it('matches for the RFC 2617 example (MD5, qop=auth)', () => {
    expect(ours('MD5', rfc2617)).toBe(reference('md5', false, rfc2617));
  });

  it('handles the -sess variants', () => {
    expect(ours('SHA-256-sess', rfc7616)).toBe(reference('sha256', true, rfc7616));
    expect(ours('MD5-sess', rfc2617)).toBe(reference('md5', true, rfc2617));
  });

  it('changes with every input (a wrong password, method or nc gives another digest)', () => {
    const base = ours('SHA-256', rfc7616);
    expect(ours('SHA-256', { ...rfc7616, password: 'Circle of life' })).not.toBe(base);
    expect(ours('SHA-256', { ...rfc7616, method: 'REGISTER' })).not.toBe(base);
    expect(ours('SHA-256', { ...rfc7616, nc: '00000002' })).not.toBe(base);
  });

  it('hashes non-ASCII usernames as UTF-8', () => {
    const v = { ...rfc7616, username: 'J\u00e4s\u00f8n Doe' };
    expect(ours('SHA-256', v)).toBe(reference('sha256', false, v));
  });
});
