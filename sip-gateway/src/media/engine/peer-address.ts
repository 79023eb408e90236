import { isIPv4, isIPv6 } from 'node:net';
import type { Command } from './protocol.js';

/**
 * How a socket bound to `listenIp` addresses the peer `ip`. A socket bound to an IPv6 address (`::`,
 * dual-stack) hears IPv4 peers as IPv4-mapped IPv6 (`::ffff:a.b.c.d`) and must send to them that
 * way: Node's dgram refuses a plain IPv4 literal there (EINVAL), and a latched source compared with
 * the SDP's address would never match.
 */
export function peerAddress(listenIp: string, ip: string): string {
  return isIPv6(listenIp) && isIPv4(ip) ? `::ffff:${ip}` : ip;
}

/**
 * The command with every peer address in it (callers' SDP addresses, the SFU transports it sends
 * to) in the form the worker's sockets use. Applied once per command, never per packet; the
 * command is returned as is when nothing changes (an IPv4 listen address: always).
 */
export function withPeerAddresses(listenIp: string, c: Command): Command {
  if (!isIPv6(listenIp)) return c;
  const map = <T extends { ip: string }>(x: T): T => (isIPv4(x.ip) ? { ...x, ip: peerAddress(listenIp, x.ip) } : x);
  switch (c.op) {
    case 'configure':
    case 'configureVideo': {
      const remote = c.session.remote && map(c.session.remote);
      return remote === c.session.remote ? c : ({ ...c, session: { ...c.session, remote } } as Command);
    }
    case 'joinRoom': {
      const target = map(c.target);
      return target === c.target ? c : { ...c, target };
    }
    case 'setVideoIngress': {
      const target = c.target && map(c.target);
      return target === c.target ? c : { ...c, target };
    }
    case 'setTapRemote':
    case 'setVideoTapRemote': {
      const remote = map(c.remote);
      return remote === c.remote ? c : { ...c, remote };
    }
    default:
      return c;
  }
}
