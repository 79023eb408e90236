import { describe, expect, it } from 'vitest';
import { peerAddress, withPeerAddresses } from './peer-address.js';
import type { Command } from './protocol.js';

const configure = (ip: string): Command => ({
  op: 'configure',
  callId: 'c',
  session: { codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 }, telephoneEventPayloadType: null, remote: { ip, rtpPort: 4000, rtcpPort: 4001 }, rtcpMux: false, srtp: null, direction: 'sendrecv', symmetric: true, ptimeMs: 20 },
});

describe('peer addresses for the worker sockets', () => {
  it('on an IPv4 listen address every command passes through untouched (the same object)', () => {
    const c = configure('192.0.2.10');
    expect(withPeerAddresses('0.0.0.0', c)).toBe(c);
    expect(peerAddress('127.0.0.1', '192.0.2.10')).toBe('192.0.2.10');
  });

  it("on '::' IPv4 peers become IPv4-mapped in every command that carries one; IPv6 peers and other commands stay as they are", () => {
    expect(peerAddress('::', '192.0.2.10')).toBe('::ffff:192.0.2.10');
    expect(peerAddress('::', '2001:db8::1')).toBe('2001:db8::1');
    const mapped = withPeerAddresses('::', configure('192.0.2.10'));
    expect(mapped).toMatchObject({ session: { remote: { ip: '::ffff:192.0.2.10', rtpPort: 4000 } } });
    expect(withPeerAddresses('::', { op: 'setTapRemote', meetingId: 'm', remote: { ip: '127.0.0.1', port: 5 } })).toEqual({ op: 'setTapRemote', meetingId: 'm', remote: { ip: '::ffff:127.0.0.1', port: 5 } });
    expect(withPeerAddresses('::', { op: 'joinRoom', callId: 'c', meetingId: 'm', participantId: 'p', target: { ip: '127.0.0.1', port: 6, payloadType: 100, ssrc: 1, audioLevelExtensionId: 1 } })).toMatchObject({ target: { ip: '::ffff:127.0.0.1', port: 6 } });
    const v6 = configure('2001:db8::1');
    expect(withPeerAddresses('::', v6)).toBe(v6);
    const play: Command = { op: 'play', callId: 'c', prompt: 'welcome', loop: false };
    expect(withPeerAddresses('::', play)).toBe(play);
  });
});
