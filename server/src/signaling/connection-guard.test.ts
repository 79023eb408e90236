import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConnectionGuard } from './connection-guard.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const guard = (allowedOrigins: string[] = [], allowMissingOrigin = true) => new ConnectionGuard({ maxConnectionsPerAddress: 2, allowedOrigins, allowMissingOrigin });

describe('ConnectionGuard', () => {
  it('accepts the Host the request came to as its own origin, on any scheme, and nothing that only looks like it', () => {
    const g = guard();
    expect(g.admit(req({ host: 'meet.example.com', origin: 'https://meet.example.com' }), '192.0.2.1').ok).toBe(true);
    expect(g.admit(req({ host: 'Meet.Example.com:8080', origin: 'http://meet.example.com:8080' }), '192.0.2.2').ok).toBe(true);
    for (const origin of ['https://meet.example.com.evil.example', 'https://evil.example', 'http://meet.example.com:8081', 'null', 'file://x', 'not a url']) {
      expect(g.admit(req({ host: 'meet.example.com', origin }), '192.0.2.3'), origin).toMatchObject({ ok: false, code: 'origin_not_allowed' });
    }
  });

  it('accepts configured origins in canonical form (default ports, case), "*" for any, and a missing Origin only when allowed', () => {
    const g = guard(['https://Portal.Partner.example:443']);
    expect(g.admit(req({ host: 'a', origin: 'https://portal.partner.example' }), '192.0.2.1').ok).toBe(true);
    expect(g.admit(req({ host: 'a' }), '192.0.2.2').ok).toBe(true);
    expect(guard([], false).admit(req({ host: 'a' }), '192.0.2.3')).toMatchObject({ ok: false, code: 'origin_not_allowed' });
    expect(guard(['*']).admit(req({ host: 'a', origin: 'https://anything.example' }), '192.0.2.4').ok).toBe(true);
  });

  it('caps open connections per address (IPv6 per /64) and frees a slot on release', () => {
    const g = guard();
    const first = g.admit(req({ host: 'a' }), '2001:db8::1');
    expect(g.admit(req({ host: 'a' }), '2001:db8::2').ok).toBe(true);
    expect(g.admit(req({ host: 'a' }), '2001:db8::3')).toMatchObject({ ok: false, code: 'too_many_connections', retryAfterSeconds: 10 });
    expect(g.admit(req({ host: 'a' }), '2001:db8:0:1::1').ok).toBe(true);
    if (first.ok) {
      first.release();
      first.release(); // twice is once
    }
    expect(g.admit(req({ host: 'a' }), '2001:db8::4').ok).toBe(true);
    expect(g.admit(req({ host: 'a' }), '2001:db8::5').ok).toBe(false);
  });
});
