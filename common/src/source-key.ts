/**
 * The key that per-source limits (connection caps, lookup throttles) count under. IPv4 addresses,
 * and IPv4-mapped IPv6 ones (`::ffff:192.0.2.1`, how a dual-stack listener reports IPv4 peers),
 * count per address. IPv6 addresses count per /64: one subscriber usually holds a whole /64, so a
 * cap per single IPv6 address could be sidestepped by rotating through 2^64 addresses.
 */
export function sourceKey(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (mapped) return mapped[1]!;
  if (!a.includes(':')) return a;
  const groups = expandIpv6(a.split('%')[0]!);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : a;
}

/** Eight 16-bit groups (no leading zeros), or null when this is not an IPv6 address. */
function expandIpv6(a: string): string[] | null {
  let text = a;
  // A dotted IPv4 tail is two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, v4.index) + ((b0 << 8) | b1).toString(16) + ':' + ((b2 << 8) | b3).toString(16);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}
