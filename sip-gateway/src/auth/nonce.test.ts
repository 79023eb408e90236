import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import { DigestConfigError } from './errors.js';
import { NonceService } from './nonce.js';

const secret = 'a-shared-secret-for-tests';

describe('NonceService', () => {
  it('validates its own nonces and those of another node with the same secret', () => {
    const clock = new ManualClock();
    const nodeA = new NonceService({ secret, lifetimeMs: 30_000, clock });
    const nodeB = new NonceService({ secret, lifetimeMs: 30_000, clock });
    const nonce = nodeA.issue('example.com');
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nodeA.check(nonce, 'example.com').status).toBe('valid');
    expect(nodeB.check(nonce, 'example.com').status).toBe('valid');
    expect(nodeA.issue('example.com')).not.toBe(nonce);
  });

  it('turns stale after its lifetime', () => {
    const clock = new ManualClock();
    const nonces = new NonceService({ secret, lifetimeMs: 30_000, clock });
    const nonce = nonces.issue('example.com');
    clock.advance(29_999);
    expect(nonces.check(nonce, 'example.com').status).toBe('valid');
    clock.advance(1);
    expect(nonces.check(nonce, 'example.com').status).toBe('stale');
  });

  it('refuses tampered nonces, other realms, other secrets and garbage', () => {
    const clock = new ManualClock();
    const nonces = new NonceService({ secret, lifetimeMs: 30_000, clock });
    const other = new NonceService({ secret: 'another-secret-entirely', lifetimeMs: 30_000, clock });
    const nonce = nonces.issue('example.com');
    const flipped = (nonce[5] === 'A' ? 'B' : 'A');
    expect(nonces.check(nonce.slice(0, 5) + flipped + nonce.slice(6), 'example.com').status).toBe('invalid');
    expect(nonces.check(nonce, 'example.org').status).toBe('invalid');
    expect(other.check(nonce, 'example.com').status).toBe('invalid');
    for (const junk of ['', 'abc', '!!!!', 'x'.repeat(500), nonce + 'AA']) {
      expect(nonces.check(junk, 'example.com').status).toBe('invalid');
    }
  });

  it('refuses nonces dated in the future (forged clocks)', () => {
    const later = new ManualClock(Date.UTC(2026, 5, 1));
    const issued = new NonceService({ secret, lifetimeMs: 30_000, clock: later }).issue('r');
    const now = new NonceService({ secret, lifetimeMs: 30_000, clock: new ManualClock(Date.UTC(2026, 0, 1)) });
    expect(now.check(issued, 'r').status).toBe('invalid');
  });

  it('rejects a weak secret at construction', () => {
    expect(() => new NonceService({ secret: 'short', lifetimeMs: 1, clock: new ManualClock() })).toThrow(DigestConfigError);
  });
});
