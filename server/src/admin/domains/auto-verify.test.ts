import { describe, expect, it } from 'vitest';
import { autoVerifies, autoVerifyReason, normalizeDomain, InvalidDomainNameError } from './index.js';

const base = { defaultDomain: 'convene.example', verifiedDomains: [] as string[], m365DnsEvidence: [] as string[] };

describe('autoVerifies (seed 001)', () => {
  it('verifies the service default domain and its subdomains, in any case', () => {
    expect(autoVerifies('convene.example', base)).toBe(true);
    expect(autoVerifies('acme.convene.example', base)).toBe(true);
    expect(autoVerifies('Deep.Acme.CONVENE.example.', base)).toBe(true);
    expect(autoVerifyReason('acme.convene.example', base)).toBe('default_domain');
  });

  it('does not treat a look-alike of the default domain as its subdomain', () => {
    expect(autoVerifies('evilconvene.example', base)).toBe(false);
    expect(autoVerifies('convene.example.attacker.com', base)).toBe(false);
  });

  it('verifies a domain whose DNS (or a parent\'s) showed the Microsoft 365 MS= record', () => {
    const ctx = { ...base, m365DnsEvidence: ['acme.com'] };
    expect(autoVerifies('acme.com', ctx)).toBe(true);
    expect(autoVerifyReason('ACME.com', ctx)).toBe('m365_domain');
    expect(autoVerifies('video.acme.com', ctx)).toBe(true);
    expect(autoVerifies('other.com', ctx)).toBe(false);
  });

  it('verifies a new subdomain of an already verified root', () => {
    const ctx = { ...base, verifiedDomains: ['acme.com'] };
    expect(autoVerifies('video.acme.com', ctx)).toBe(true);
    expect(autoVerifies('eu.video.acme.com', ctx)).toBe(true);
    expect(autoVerifyReason('video.acme.com', ctx)).toBe('subdomain_of_verified');
  });

  it('does NOT verify a new root when only a subdomain is verified', () => {
    const ctx = { ...base, verifiedDomains: ['video.acme.com'], m365DnsEvidence: ['eu.globex.com'] };
    expect(autoVerifies('acme.com', ctx)).toBe(false);
    expect(autoVerifies('globex.com', ctx)).toBe(false);
    // a sibling subdomain is not covered either
    expect(autoVerifies('audio.acme.com', ctx)).toBe(false);
    expect(autoVerifyReason('acme.com', ctx)).toBe('needs_dns');
  });

  it('never auto-verifies garbage, and ignores garbage in the verified lists', () => {
    const ctx = { ...base, verifiedDomains: ['', 'not a domain'], m365DnsEvidence: ['..'] };
    expect(autoVerifies('', ctx)).toBe(false);
    expect(autoVerifies('bad domain.com', ctx)).toBe(false);
    expect(autoVerifies('acme.com', ctx)).toBe(false);
  });
});

describe('normalizeDomain', () => {
  it('lower-cases and strips one trailing dot', () => {
    expect(normalizeDomain(' Acme.COM. ')).toBe('acme.com');
  });

  it('turns an internationalised name into its punycode form', () => {
    expect(normalizeDomain('Bücher.example')).toBe('xn--bcher-kva.example');
    expect(autoVerifies('video.bücher.example', { ...base, verifiedDomains: ['xn--bcher-kva.example'] })).toBe(true);
  });

  it.each(['', 'com', 'a..b', '-acme.com', 'acme-.com', 'ac me.com', 'acme.com/x', `${'a'.repeat(64)}.com`, '10.0.0.1', 'a_b.com', 'a\u00a0b.com', '\u2603'])(
    'rejects %j with code calling_domain_invalid',
    (input) => {
      let caught: unknown;
      try {
        normalizeDomain(input);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InvalidDomainNameError);
      expect((caught as InvalidDomainNameError).code).toBe('calling_domain_invalid');
      expect((caught as InvalidDomainNameError).httpStatus).toBe(400);
    },
  );
});
