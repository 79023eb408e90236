/**
 * The parts of a CallAudioSession read the same way from an offer and from an answer: the
 * profile, where to send, which way media flows, RTCP and ptime.
 */
import { isIP } from 'node:net';
import type { CallAudioSession, MediaDirection } from '../engine/types.js';
import type { SdpMedia } from './parse.js';
import { refuse } from './refusal.js';
import type { SdpRefusal } from './types.js';

export type Profile = { kind: 'rtp'; secure: boolean } | { kind: 'dtls' } | { kind: 'other' };

/** RTP/AVPF and RTP/SAVPF are AVP/SAVP plus optional feedback we simply never send: accepted, answered with the same profile. */
export function classifyProfile(protocol: string): Profile {
  const p = protocol.toUpperCase();
  if (p === 'RTP/AVP' || p === 'RTP/AVPF') return { kind: 'rtp', secure: false };
  if (p === 'RTP/SAVP' || p === 'RTP/SAVPF') return { kind: 'rtp', secure: true };
  if (p.includes('DTLS') || p.startsWith('UDP/TLS/')) return { kind: 'dtls' };
  return { kind: 'other' };
}

export function profileRefusal(protocol: string, profile: Profile): SdpRefusal | null {
  if (profile.kind === 'dtls') {
    return refuse(488, 'unsupported_profile', 302, `DTLS-SRTP (${protocol}) is not supported; offer RTP/SAVP with a=crypto (SDES)`);
  }
  if (profile.kind === 'other') return refuse(488, 'unsupported_profile', 302, `Transport protocol ${protocol.slice(0, 40)} is not supported; use RTP/AVP or RTP/SAVP`);
  return null;
}

/**
 * Our direction is the mirror of theirs (RFC 3264 §6.1: their sendonly → our recvonly, recvonly →
 * sendonly, inactive → inactive). With c=0.0.0.0 (RFC 2543 hold, RFC 3264 §8.4) there is no address
 * to send to, so we never send: sendrecv → recvonly (we still take what they send), and their
 * recvonly (our sendonly) → inactive.
 */
export function ourDirection(theirs: MediaDirection, held: boolean): MediaDirection {
  const mirrored: MediaDirection = theirs === 'sendonly' ? 'recvonly' : theirs === 'recvonly' ? 'sendonly' : theirs;
  if (!held) return mirrored;
  return mirrored === 'sendrecv' ? 'recvonly' : mirrored === 'sendonly' ? 'inactive' : mirrored;
}

const OPUS_PTIMES = new Set([10, 20, 40, 60]);

/** a=ptime when it is one we can packetise (whole 10 ms frames up to 120 ms; Opus frame sizes for Opus), else 20. */
export function choosePtime(asked: number | null, codec: CallAudioSession['codec']): number {
  if (asked === null || !Number.isInteger(asked)) return 20;
  if (codec.name === 'opus') return OPUS_PTIMES.has(asked) ? asked : 20;
  return asked >= 10 && asked <= 120 && asked % 10 === 0 ? asked : 20;
}

export type Transport = Pick<CallAudioSession, 'remote' | 'direction' | 'rtcpMux'>;

/** Where to send (RTP and RTCP) and which way media flows, from an audio m-line with a non-zero port. */
export function readTransport(m: SdpMedia, addressFamily?: 4 | 6): Transport | SdpRefusal {
  if (m.connection === null) return refuse(400, 'malformed', 399, 'Malformed SDP: no c= line for the audio stream');
  if (m.connection === 'invalid') {
    return refuse(488, 'unsupported_address', 301, 'Only unicast IPv4/IPv6 addresses are supported in c=');
  }
  if (addressFamily && !m.connection.held && isIP(m.connection.ip) !== addressFamily) {
    return refuse(488, 'unsupported_address', 301, `Incompatible network address format: this server has IPv${addressFamily} media only`);
  }
  const rtcpMux = m.rtcpMux;
  let remote: CallAudioSession['remote'] = null;
  if (!m.connection.held) {
    // Without a=rtcp, RTCP goes to the next port (RFC 3550 §11).
    const rtcpPort = rtcpMux ? m.port : (m.rtcpPort ?? m.port + 1);
    if (rtcpPort > 65535) return refuse(488, 'unsupported_address', 301, 'RTP port 65535 leaves no port for RTCP; add a=rtcp');
    remote = { ip: m.connection.ip, rtpPort: m.port, rtcpPort };
  }
  return { remote, direction: ourDirection(m.direction, m.connection.held), rtcpMux };
}
