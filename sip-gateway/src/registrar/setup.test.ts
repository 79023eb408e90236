import { describe, expect, it } from 'vitest';
import { registrarConfigSchema } from './setup.js';

describe('registrarConfigSchema', () => {
  it('fills defaults around a nonce secret', () => {
    const c = registrarConfigSchema.parse({ auth: { nonceSecret: 'a-secret-of-16-chars' } });
    expect(c).toMatchObject({
      domains: [],
      defaultExpires: 3600,
      minExpires: 60,
      maxExpires: 7200,
      maxContactsPerAor: 10,
      auth: { nonceLifetimeSeconds: 300, algorithms: ['MD5'] },
    });
  });

  it.each([
    ['no secret', {}],
    ['a short secret', { auth: { nonceSecret: 'short' } }],
    ['an unknown algorithm', { auth: { nonceSecret: 'a-secret-of-16-chars', algorithms: ['SHA-512-256'] } }],
    ['min above default', { minExpires: 4000, auth: { nonceSecret: 'a-secret-of-16-chars' } }],
    ['default above max', { defaultExpires: 9000, auth: { nonceSecret: 'a-secret-of-16-chars' } }],
  ])('refuses %s', (_, raw) => {
    expect(registrarConfigSchema.safeParse(raw).success).toBe(false);
  });
});
