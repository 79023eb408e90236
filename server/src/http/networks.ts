import type { IncomingMessage } from 'node:http';
import net from 'node:net';

/** `::ffff:10.1.2.3` (an IPv4 peer on a dual-stack socket) → `10.1.2.3`; other addresses unchanged. */
export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** A set of IP addresses and CIDR blocks (already validated by the config schema). */
export class NetworkList {
  private readonly list = new net.BlockList();
  readonly empty: boolean;

  constructor(entries: readonly string[]) {
    this.empty = entries.length === 0;
    for (const entry of entries) {
      const [addr, bits] = entry.split('/') as [string, string | undefined];
      const type = net.isIP(addr) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) this.list.addAddress(addr, type);
      else this.list.addSubnet(addr, Number(bits), type);
    }
  }

  has(address: string): boolean {
    if (this.empty) return false;
    const a = normalizeAddress(address);
    const family = net.isIP(a);
    if (family === 0) return false;
    return this.list.check(a, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/**
 * Which X-Forwarded-* headers to believe. Walking X-Forwarded-For from the right (the entry the
 * nearest proxy appended), each hop is believed only while the address that sent it is a trusted
 * proxy; the first untrusted address is the client. So a client cannot pick its own address by
 * sending the header itself, and with no trusted proxies the headers are ignored entirely.
 */
export class ProxyTrust {
  private readonly proxies: NetworkList;

  constructor(trustedProxies: readonly string[]) {
    this.proxies = new NetworkList(trustedProxies);
  }

  /** For fastify's `trustProxy` (request.ip, request.protocol, request.host follow the same rule). */
  readonly trusts = (address: string): boolean => this.proxies.has(address);

  /** The client's address for limits, access checks and logs. */
  clientAddress(req: IncomingMessage): string {
    let address = normalizeAddress(req.socket.remoteAddress ?? 'unknown');
    if (!this.trusts(address)) return address;
    const hops = forwardedFor(req);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = normalizeAddress(hops[i]!);
      if (net.isIP(hop) === 0) return address; // garbage from beyond the last trusted proxy
      address = hop;
      if (!this.trusts(address)) return address;
    }
    return address;
  }
}

function forwardedFor(req: IncomingMessage): string[] {
  const raw = req.headers['x-forwarded-for'];
  const joined = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
  return joined
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
