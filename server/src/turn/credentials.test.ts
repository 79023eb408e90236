import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { turnCredential } from './credentials.js';

describe('turnCredential (TURN REST shared-secret scheme)', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);

  it('puts the expiry (unix seconds) and the subject in the username', () => {
    const c = turnCredential('a-shared-secret-of-some-length', 'session-1', 3600, now);
    expect(c.username).toBe(`${now / 1000 + 3600}:session-1`);
    expect(c.expiresAt).toBe(now / 1000 + 3600);
  });

  it('makes the password base64(HMAC-SHA1(secret, username)), as OpenSSL computes it', () => {
    const secret = 'a-shared-secret-of-some-length';
    const c = turnCredential(secret, 'b4c1e0d2-participant', 86_400, now);
    // An independent implementation of the same formula: openssl's HMAC and base64.
    const expected = execFileSync('sh', ['-c', 'printf %s "$U" | openssl dgst -sha1 -hmac "$S" -binary | base64'], {
      env: { ...process.env, U: c.username, S: secret },
    })
      .toString()
      .trim();
    expect(c.credential).toBe(expected);
  });

  it('gives different passwords for different secrets, subjects and expiries', () => {
    const base = turnCredential('secret-number-one-xxxx', 's1', 600, now).credential;
    expect(turnCredential('secret-number-two-xxxx', 's1', 600, now).credential).not.toBe(base);
    expect(turnCredential('secret-number-one-xxxx', 's2', 600, now).credential).not.toBe(base);
    expect(turnCredential('secret-number-one-xxxx', 's1', 601, now).credential).not.toBe(base);
  });

  it('refuses a subject with ":" (it would shift the expiry the TURN server reads)', () => {
    expect(() => turnCredential('secret-number-one-xxxx', 'a:b', 600, now)).toThrow(/must not contain/);
  });
});
