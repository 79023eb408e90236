/**
 * Input generators for the fuzz run: SIP messages (mutations of valid ones, plus random bytes) and
 * malformed signalling messages. Deterministic from a seed, so a failing run can be replayed.
 */
import { validCases, invalidCases, raw } from '../../sip-gateway/src/sip/message/fixtures/torture.js';

/** xorshift32: fast, seedable, good enough for choosing mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % Math.max(1, n);
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

const DOMAIN = 'convene.example';

/** Valid requests and responses aimed at the node's hosted domain, so they get past the first checks. */
function templates(transport: 'UDP' | 'TCP', n: number): string[] {
  const via = `Via: SIP/2.0/${transport} 127.0.0.1:5999;branch=z9hG4bKfz${n};rport`;
  const common = (method: string, uri: string, cseq = 1) => [
    `${method} ${uri} SIP/2.0`,
    via,
    'Max-Forwards: 70',
    `To: <${uri}>`,
    `From: <sip:fuzz@example.org>;tag=f${n}`,
    `Call-ID: fuzz-${n}@127.0.0.1`,
    `CSeq: ${cseq} ${method}`,
    'Contact: <sip:fuzz@127.0.0.1:5999>',
  ];
  const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n';
  const withBody = (lines: string[], body: string, type = 'application/sdp') =>
    [...lines, `Content-Type: ${type}`, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  const noBody = (lines: string[]) => [...lines, 'Content-Length: 0', '', ''].join('\r\n');
  return [
    withBody(common('INVITE', `sip:${100_000_000 + (n % 1000)}@${DOMAIN}`), sdp),
    withBody(common('INVITE', `sip:demo.meeting@${DOMAIN}`), sdp),
    noBody(common('OPTIONS', `sip:${DOMAIN}`)),
    noBody([...common('REGISTER', `sip:${DOMAIN}`), 'Expires: 3600']),
    noBody(common('BYE', `sip:demo.meeting@${DOMAIN}`, 2).map((l) => (l.startsWith('To:') ? `${l};tag=t${n}` : l))),
    noBody(common('CANCEL', `sip:demo.meeting@${DOMAIN}`)),
    noBody(common('ACK', `sip:demo.meeting@${DOMAIN}`)),
    withBody(common('MESSAGE', `sip:demo.meeting@${DOMAIN}`), 'hello', 'text/plain'),
    withBody(common('INFO', `sip:demo.meeting@${DOMAIN}`).map((l) => (l.startsWith('To:') ? `${l};tag=t${n}` : l)), 'Signal=1\r\nDuration=100\r\n', 'application/dtmf-relay'),
    noBody([`SIP/2.0 200 OK`, via, `To: <sip:x@${DOMAIN}>;tag=r${n}`, 'From: <sip:fuzz@example.org>;tag=f1', `Call-ID: fuzz-${n}@127.0.0.1`, 'CSeq: 1 INVITE']),
    noBody([`SIP/2.0 180 Ringing`, via, `To: <sip:x@${DOMAIN}>`, 'From: <sip:fuzz@example.org>;tag=f1', `Call-ID: fuzz-${n}@127.0.0.1`, 'CSeq: 1 INVITE']),
  ];
}

const torture = [...validCases.map(raw), ...invalidCases.map(raw)].map((b) => b.toString('latin1'));
const EXTREMES = ['0', '-1', '4294967296', '99999999999999999999', '', ' ', '0x10', '1e9', 'NaN', '\u0000', '%00'];
const TOKENS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'REGISTER', 'OPTIONS', 'PRACK', 'UPDATE', 'REFER', 'SUBSCRIBE', 'NOTIFY', 'XYZ', 'SIP/2.0', 'sip:', 'sips:', 'tel:', ';', ',', '<', '>', '"', '\\', '\r\n', '\r\n ', ':', '@', '%', '=', 'branch=z9hG4bK', 'tag='];

/** One SIP message: a valid template, a mutation of one (or of a torture case), or random bytes. */
export function sipMessage(rng: Rng, n: number, transport: 'UDP' | 'TCP'): Buffer {
  const roll = rng.int(100);
  if (roll < 8) return rng.bytes(rng.int(1400));
  const seed = roll < 20 ? rng.pick(torture) : rng.pick(templates(transport, n));
  if (roll < 25) return Buffer.from(seed, 'latin1'); // unmutated: keeps the valid paths busy too
  let text = seed;
  const mutations = 1 + rng.int(4);
  for (let i = 0; i < mutations; i++) text = mutateText(rng, text);
  let buf: Buffer = Buffer.from(text, 'latin1');
  if (rng.chance(0.3)) buf = mutateBytes(rng, buf);
  return buf;
}

function mutateText(rng: Rng, text: string): string {
  const lines = text.split('\r\n');
  const at = rng.int(lines.length);
  switch (rng.int(10)) {
    case 0: // number → extreme
      return text.replace(/\d+/, rng.pick(EXTREMES));
    case 1: // duplicate a line many times
      lines.splice(at, 0, ...Array<string>(1 + rng.int(200)).fill(lines[at] ?? ''));
      return lines.join('\r\n');
    case 2: // drop a line
      lines.splice(at, 1);
      return lines.join('\r\n');
    case 3: // swap two lines
      [lines[at], lines[0]] = [lines[0] ?? '', lines[at] ?? ''];
      return lines.join('\r\n');
    case 4: // insert a token somewhere
      {
        const p = rng.int(text.length);
        return text.slice(0, p) + rng.pick(TOKENS) + text.slice(p);
      }
    case 5: // a long header value
      lines.splice(at, 0, `X-Long: ${'a'.repeat(rng.int(9000))}`);
      return lines.join('\r\n');
    case 6: // truncate
      return text.slice(0, rng.int(text.length));
    case 7: // random header name/value
      lines.splice(1 + rng.int(Math.max(1, lines.length - 2)), 0, `${rng.pick(['Via', 'To', 'From', 'CSeq', 'Call-ID', 'Content-Length', 'l', 'v', 'Max-Forwards', 'Contact', 'Route', 'Require', 'Session-Expires', 'Authorization'])}: ${rng.pick(TOKENS)}${rng.pick(EXTREMES)}`);
      return lines.join('\r\n');
    case 8: // folding and whitespace
      return text.replace(/: /g, () => (rng.chance(0.3) ? ':\r\n  ' : ': '));
    default: // case changes
      return text.replace(/[A-Za-z]+/, (w) => (rng.chance(0.5) ? w.toLowerCase() : w.toUpperCase()));
  }
}

function mutateBytes(rng: Rng, buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  const flips = 1 + rng.int(6);
  for (let i = 0; i < flips && out.length > 0; i++) out[rng.int(out.length)] = rng.next() & 0xff;
  return out;
}

const METHODS = ['hello', 'join', 'leave', 'transport.create', 'transport.connect', 'produce', 'consume', 'chat.send', 'hand.set', 'host.mute', 'host.remove', 'lobby.admit', 'presentation.start', 'nope', '', '__proto__', 'constructor'];
const WEIRD_VALUES: unknown[] = [null, true, 0, -1, 1e308, -0, '', 'x'.repeat(70_000), '\u0000', '💥', [], {}, { __proto__: { polluted: true } }, [[[[[]]]]], 'demo.meeting@convene.example', '123456789', 'a@b', '../../etc/passwd'];

/** One malformed signalling message: a text or binary frame. */
export function wsMessage(rng: Rng): { data: string | Buffer; binary: boolean } {
  switch (rng.int(12)) {
    case 0:
      return { data: rng.bytes(rng.int(512)), binary: true };
    case 1: // not JSON
      return { data: rng.bytes(rng.int(512)).toString('latin1'), binary: false };
    case 2: // truncated JSON
      {
        const s = JSON.stringify({ id: rng.int(1000), method: rng.pick(METHODS), data: { address: 'demo.meeting@convene.example' } });
        return { data: s.slice(0, rng.int(s.length)), binary: false };
      }
    case 3: // JSON that is not an envelope
      return { data: JSON.stringify(rng.pick(WEIRD_VALUES)), binary: false };
    case 4: // deep nesting
      {
        const depth = 1 + rng.int(5000);
        return { data: `${'['.repeat(depth)}${']'.repeat(depth)}`, binary: false };
      }
    case 5: // envelope with wrong types
      return { data: JSON.stringify({ id: rng.pick(WEIRD_VALUES), method: rng.pick(WEIRD_VALUES), data: rng.pick(WEIRD_VALUES) }), binary: false };
    case 6: // hello with garbage
      return { data: JSON.stringify({ id: rng.int(1e6), method: 'hello', data: { protocolVersion: rng.pick(WEIRD_VALUES), resumeToken: rng.pick(WEIRD_VALUES) } }), binary: false };
    case 7: // join with garbage fields
      return {
        data: JSON.stringify({
          id: rng.int(1e6),
          method: 'join',
          data: { address: rng.pick(WEIRD_VALUES), displayName: rng.pick(WEIRD_VALUES), pin: rng.pick(WEIRD_VALUES), mode: rng.pick(['video', 'audio-only', 'x', 1]), bandwidthKbps: rng.pick([256, -1, 1e9, '576']) },
        }),
        binary: false,
      };
    case 8: // known method, random data
      return { data: JSON.stringify({ id: `s${rng.int(1e6)}`, method: rng.pick(METHODS), data: randomObject(rng, 3) }), binary: false };
    case 9: // oversize
      return { data: JSON.stringify({ id: 1, method: 'chat.send', data: { text: 'y'.repeat(65_536 + rng.int(10_000)) } }), binary: false };
    case 10: // random bytes that happen to be valid UTF-8 text
      return { data: Array.from({ length: rng.int(200) }, () => String.fromCharCode(32 + rng.int(95))).join(''), binary: false };
    default: // plausible requests in the wrong state
      return { data: JSON.stringify({ id: rng.int(1e6), method: rng.pick(METHODS), data: { transportId: 'x', producerId: 'y', kind: 'audio', rtpParameters: randomObject(rng, 2) } }), binary: false };
  }
}

function randomObject(rng: Rng, depth: number): unknown {
  if (depth === 0 || rng.chance(0.3)) return rng.pick(WEIRD_VALUES.filter((v) => typeof v !== 'string' || v.length < 100));
  const o: Record<string, unknown> = {};
  const n = rng.int(6);
  for (let i = 0; i < n; i++) o[rng.pick(['address', 'displayName', 'pin', 'id', 'kind', 'text', 'participantId', 'raised', 'dtlsParameters', 'rtpCapabilities', `k${rng.int(100)}`])] = randomObject(rng, depth - 1);
  return o;
}
