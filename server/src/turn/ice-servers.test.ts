import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import { turnCredential } from './credentials.js';
import { iceConfigSource } from './ice-servers.js';

describe('iceConfigSource', () => {
  const urls = ['turn:203.0.113.7:3478?transport=udp', 'turn:203.0.113.7:3478?transport=tcp'];

  it('hands out nothing when no TURN server is configured', () => {
    const source = iceConfigSource({ urls: [], secret: 'x'.repeat(16), ttlSeconds: 600, forceRelay: true, clock: new ManualClock() });
    expect(source('s1')).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
  });

  it('gives each session its own credential, valid for the TTL from now', () => {
    const clock = new ManualClock();
    const source = iceConfigSource({ urls, secret: 'shared-secret-0123456789', ttlSeconds: 600, forceRelay: false, clock });
    const a = source('session-a');
    clock.advance(30_000);
    const b = source('session-b');
    expect(a.iceTransportPolicy).toBe('all');
    expect(a.iceServers).toEqual([{ urls, ...pick(turnCredential('shared-secret-0123456789', 'session-a', 600, clock.now() - 30_000)) }]);
    expect(b.iceServers[0]?.username).toBe(`${Math.floor(clock.now() / 1000) + 600}:session-b`);
    expect(b.iceServers[0]?.credential).not.toBe(a.iceServers[0]?.credential);
  });

  it('tells browsers to relay only when forceRelay is set', () => {
    const source = iceConfigSource({ urls, secret: 'shared-secret-0123456789', ttlSeconds: 600, forceRelay: true, clock: new ManualClock() });
    expect(source('s').iceTransportPolicy).toBe('relay');
  });
});

const pick = ({ username, credential }: { username: string; credential: string }) => ({ username, credential });
