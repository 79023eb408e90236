import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkAddress, checkLocalPart, memberAddresses, parseAddress } from './index.js';
import { normalizeE164 } from './e164.js';

const DEF = 'convene.example';

function reason(local: string, domain = DEF): string {
  const r = checkAddress(local, domain, DEF);
  return r.ok ? 'ok' : r.reason;
}

describe('address rules (seed 001)', () => {
  it('converts capital letters to lower case', () => {
    const r = checkAddress('Alice.Smith', 'Convene.EXAMPLE', DEF);
    expect(r).toEqual({ ok: true, value: { local: 'alice.smith', domain: 'convene.example', address: 'alice.smith@convene.example' } });
  });

  it('accepts only a-z 0-9 . - _', () => {
    expect(reason('alice_smith-1.x')).toBe('ok');
    for (const bad of ['alice smith', 'alice+tag', 'alíce123', 'alice@x', 'alice/x1', 'ålice12']) {
      expect(reason(bad)).toBe('invalid_characters');
    }
  });

  it('refuses a first character that is a digit, dot, dash or underscore', () => {
    for (const bad of ['1alice', '.alice', '-alice', '_alice']) expect(reason(bad)).toBe('invalid_start');
    expect(reason('a1lice')).toBe('ok');
  });

  it('needs 6 characters on the default domain and its subdomains only', () => {
    expect(reason('alice')).toBe('too_short');
    expect(reason('alices')).toBe('ok');
    expect(reason('alice', 'eu.convene.example')).toBe('too_short');
    expect(reason('al', 'acme.com')).toBe('ok');
    expect(reason('a', 'video.acme.com')).toBe('ok');
    // A domain that merely ends with the same letters is not a subdomain.
    expect(reason('al', 'notconvene.example')).toBe('ok');
  });

  it('refuses empty, over-long and bad domains', () => {
    expect(reason('')).toBe('empty');
    expect(reason('a'.repeat(65), 'acme.com')).toBe('too_long');
    expect(reason('alice1', 'localhost')).toBe('invalid_domain');
    expect(reason('alice1', 'acme..com')).toBe('invalid_domain');
    expect(reason('alice1', '-acme.com')).toBe('invalid_domain');
  });

  it('parses full addresses and sip: URIs', () => {
    const r = parseAddress('sip:Room.One@Acme.com', DEF);
    expect(r.ok && r.value.address).toBe('room.one@acme.com');
    expect(parseAddress('roomone', DEF)).toMatchObject({ ok: false, reason: 'missing_at' });
  });

  it('gives a member a personal and a .vmr address', () => {
    const r = memberAddresses('Alice.Smith', 'acme.com', DEF);
    expect(r.ok && r.value.personal.address).toBe('alice.smith@acme.com');
    expect(r.ok && r.value.vmr.address).toBe('alice.smith.vmr@acme.com');
    expect(memberAddresses('alice.vmr', 'acme.com', DEF)).toMatchObject({ ok: false, reason: 'reserved_suffix' });
    expect(memberAddresses('bob', DEF, DEF)).toMatchObject({ ok: false, reason: 'too_short' });
  });

  it('every accepted local part is lower case, allowed characters, allowed start (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.boolean(), (s, onDefault) => {
        const r = checkLocalPart(s, { domain: onDefault ? DEF : 'acme.com', defaultDomain: DEF });
        if (!r.ok) return;
        expect(r.value).toMatch(/^[a-z][a-z0-9._-]*$/);
        if (onDefault) expect(r.value.length).toBeGreaterThanOrEqual(6);
      }),
      { numRuns: 500 },
    );
  });
});

describe('E.164', () => {
  it('normalises typed numbers and refuses the rest', () => {
    expect(normalizeE164('+47 21 00-00 00')).toBe('+4721000000');
    expect(normalizeE164('4721000000')).toBeNull();
    expect(normalizeE164('+0123456789')).toBeNull();
  });
});
