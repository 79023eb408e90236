/**
 * DNS verification against a REAL DNS server: Debian's dnsmasq on loopback, serving TXT records
 * from a temp config. dnsmasq is authoritative (`local=`) for `.test`, so unknown names there get
 * NXDOMAIN, and it REFUSES anything else (no upstream) — which must read as a DNS error, not as
 * "record missing".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeDnsPort, startDnsmasq as startDnsmasqOn } from '../tests/dnsmasq.js';
import { createDomainVerifier } from './index.js';

const SECRET = 'test-secret-0123456789abcdef';

interface Dnsmasq {
  server: string;
  stop(): Promise<void>;
}

async function startDnsmasq(txtRecords: string[]): Promise<Dnsmasq> {
  const port = await freeDnsPort();
  const dns = await startDnsmasqOn(port, txtRecords);
  return { server: `127.0.0.1:${port}`, stop: () => dns.stop() };
}

describe('domain verification over real DNS (dnsmasq)', () => {
  const verifier = createDomainVerifier({ secret: SECRET, resolverServers: [], timeoutMs: 1000, tries: 1 });
  const acmeToken = verifier.verificationToken('company-acme', 'acme.test');
  const globexToken = verifier.verificationToken('company-globex', 'globex.test');
  let dns: Dnsmasq;
  let live: ReturnType<typeof createDomainVerifier>;

  beforeAll(async () => {
    dns = await startDnsmasq([
      `_convene-verification.acme.test,"${acmeToken}"`,
      // The customer published a token that is not this company's one.
      `_convene-verification.wrong.test,"convene-verify-0000000000000000000000000000000000000000"`,
      // A token split in two strings, next to an unrelated TXT record at the same name.
      `_convene-verification.globex.test,"${globexToken.slice(0, 20)}","${globexToken.slice(20)}"`,
      `_convene-verification.globex.test,"v=spf1 -all"`,
      // Microsoft 365's domain verification record at a root.
      `m365.test,"v=spf1 -all"`,
      `m365.test,"MS=ms12345678"`,
      `notms.test,"MS=ms"`,
    ]);
    live = createDomainVerifier({ secret: SECRET, resolverServers: [dns.server], timeoutMs: 1000, tries: 2 });
  });

  afterAll(async () => {
    await dns?.stop();
  });

  it('verifies a domain whose TXT record carries the token (domain case does not matter)', async () => {
    expect(await live.verify('acme.test', acmeToken)).toEqual({ verified: true });
    expect(await live.verify('ACME.Test.', acmeToken)).toEqual({ verified: true });
  });

  it('joins a TXT record split into several strings and ignores unrelated TXT records', async () => {
    expect((await live.verify('globex.test', globexToken)).verified).toBe(true);
  });

  it('leaves the domain unverified when the record holds another token', async () => {
    const token = live.verificationToken('company-wrong', 'wrong.test');
    expect(await live.verify('wrong.test', token)).toMatchObject({ verified: false, reason: 'record_mismatch' });
    // Another company's token for the same name does not verify it either.
    expect(await live.verify('acme.test', live.verificationToken('company-other', 'acme.test'))).toMatchObject({
      verified: false,
      reason: 'record_mismatch',
    });
  });

  it('leaves the domain unverified when there is no record', async () => {
    const token = live.verificationToken('company-acme', 'missing.test');
    expect(await live.verify('missing.test', token)).toMatchObject({ verified: false, reason: 'record_missing' });
  });

  it('reports a refusing server as dns_error, not as a missing record', async () => {
    const r = await live.verify('example.org', live.verificationToken('c', 'example.org'));
    expect(r).toMatchObject({ verified: false, reason: 'dns_error', detail: 'EREFUSED' });
  });

  it('reports an unreachable resolver as dns_error', async () => {
    const port = await freeDnsPort();
    const dead = createDomainVerifier({ secret: SECRET, resolverServers: [`127.0.0.1:${port}`], timeoutMs: 300, tries: 1 });
    const r = await dead.verify('acme.test', acmeToken);
    expect(r.verified).toBe(false);
    expect(r.reason).toBe('dns_error');
  });

  it('finds the Microsoft 365 MS=ms… record at the domain or a parent, never at a child', async () => {
    expect(await live.microsoft365Evidence('m365.test')).toEqual({ found: true, name: 'm365.test', record: 'MS=ms12345678' });
    expect(await live.microsoft365Evidence('eu.video.M365.test')).toEqual({ found: true, name: 'm365.test', record: 'MS=ms12345678' });
    expect(await live.microsoft365Evidence('notms.test')).toEqual({ found: false, reason: 'record_missing' });
    expect(await live.microsoft365Evidence('acme.test')).toEqual({ found: false, reason: 'record_missing' });
    // A refusing server is a DNS error, not evidence.
    expect(await live.microsoft365Evidence('example.org')).toMatchObject({ found: false, reason: 'dns_error' });
  });

  it('gives the same token each time (resent instructions) and a different one per company and domain', () => {
    const again = createDomainVerifier({ secret: SECRET });
    expect(again.verificationToken('company-acme', 'Acme.Test')).toBe(acmeToken);
    expect(again.verificationToken('company-acme', 'other.test')).not.toBe(acmeToken);
    expect(again.verificationToken('company-x', 'acme.test')).not.toBe(acmeToken);
    expect(createDomainVerifier({ secret: `${SECRET}-rotated` }).verificationToken('company-acme', 'acme.test')).not.toBe(acmeToken);
    expect(again.verificationRecord('company-acme', 'ACME.test')).toEqual({
      name: '_convene-verification.acme.test',
      type: 'TXT',
      value: acmeToken,
    });
  });

  it('refuses a short secret and bad resolver addresses at construction', () => {
    expect(() => createDomainVerifier({ secret: 'short' })).toThrow(/secret/);
    expect(() => createDomainVerifier({ secret: SECRET, resolverServers: ['not an address'] })).toThrow();
  });
});
