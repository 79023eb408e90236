import { describe, expect, it } from 'vitest';
import { aorDomain, bindingKey, canonicalAor } from './aor.js';

describe('canonicalAor', () => {
  it.each([
    ['sip:alice@Example.COM', 'sip:alice@example.com'],
    ['sip:alice@example.com:5060;transport=tcp?subject=x', 'sip:alice@example.com'],
    ['SIPS:alice@example.com:5061', 'sips:alice@example.com'],
    ['sip:al%69ce@example.com', 'sip:alice@example.com'],
    ['sip:alice:secret@example.com', 'sip:alice@example.com'],
    ['sip:+15551234@[2001:DB8::1]:5070', 'sip:+15551234@[2001:db8::1]:5070'],
    ['sip:Alice@example.com', 'sip:Alice@example.com'],
  ])('%s → %s', (input, aor) => {
    expect(canonicalAor(input)).toBe(aor);
  });

  it.each(['sip:example.com', 'tel:+15551234', 'sip:@example.com', 'sip:a@exa mple.com', 'sip:%zz@example.com', ''])(
    'refuses %j',
    (input) => {
      expect(canonicalAor(input)).toBeUndefined();
    },
  );

  it('gives the domain', () => {
    expect(aorDomain('sip:alice@example.com:5070')).toBe('example.com');
  });
});

describe('bindingKey', () => {
  it('keys by instance when present, else by the URI with case-insensitive parts folded', () => {
    expect(bindingKey({ uri: 'sip:a@1.2.3.4', instanceId: '<urn:uuid:1>' })).toBe('instance:<urn:uuid:1>');
    expect(bindingKey({ uri: 'sip:a@1.2.3.4', instanceId: '<urn:uuid:1>', regId: 2 })).toBe('instance:<urn:uuid:1>;2');
    expect(bindingKey({ uri: 'SIP:Bob@HOST.example:5070;transport=tcp' })).toBe(bindingKey({ uri: 'sip:Bob@host.example:5070;transport=tcp' }));
    expect(bindingKey({ uri: 'sip:Bob@host' })).not.toBe(bindingKey({ uri: 'sip:bob@host' }));
  });
});
