import os from 'node:os';

const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * The address browsers are told to send media to. A wildcard listen address cannot be
 * announced, so pick this machine's first non-internal IPv4 (loopback when there is none:
 * a laptop with no network still works for local tabs).
 */
export function resolveAnnouncedAddress(listenIp: string, announced: string | null): string | undefined {
  if (announced) return announced;
  if (!WILDCARDS.has(listenIp)) return undefined;
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
