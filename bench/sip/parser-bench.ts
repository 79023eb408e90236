/**
 * SIP parser/serializer micro-bench: messages per second for parseMessage (which also validates
 * every typed header) and serializeMessage, on a few representative messages.
 *
 *   npx tsx bench/sip/parser-bench.ts            # ~1 s per case
 *   BENCH_MS=3000 npx tsx bench/sip/parser-bench.ts
 */
import { raw, validCases } from '../../sip-gateway/src/sip/message/fixtures/torture.js';
import { parseMessage, serializeMessage, type SipMessage } from '../../sip-gateway/src/sip/message/index.js';

const SDP =
  'v=0\r\no=- 3890478563 3890478563 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n' +
  'm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n' +
  'a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n';

const invite = Buffer.from(
  'INVITE sip:room-4711@convene.example.com SIP/2.0\r\n' +
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport\r\n' +
    'Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK2d4790;received=198.51.100.7\r\n' +
    'Max-Forwards: 69\r\n' +
    'Record-Route: <sip:198.51.100.7;lr>\r\n' +
    'From: "Alice Example" <sip:alice@example.org>;tag=9fxced76sl\r\n' +
    'To: <sip:room-4711@convene.example.com>\r\n' +
    'Call-ID: 3848276298220188511@192.0.2.10\r\n' +
    'CSeq: 1 INVITE\r\n' +
    'Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n' +
    'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO\r\n' +
    'Supported: timer, replaces\r\n' +
    'Session-Expires: 1800\r\n' +
    'User-Agent: PolyRoom 9.1\r\n' +
    'Content-Type: application/sdp\r\n' +
    `Content-Length: ${Buffer.byteLength(SDP)}\r\n\r\n${SDP}`,
);
const ok = Buffer.from(
  'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK74bf9;rport=5060;received=192.0.2.10\r\n' +
    'From: "Alice Example" <sip:alice@example.org>;tag=9fxced76sl\r\nTo: <sip:room-4711@convene.example.com>;tag=314159\r\n' +
    'Call-ID: 3848276298220188511@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:convene@203.0.113.5:5060>\r\n' +
    'Content-Type: application/sdp\r\n' +
    `Content-Length: ${Buffer.byteLength(SDP)}\r\n\r\n${SDP}`,
);
const options = Buffer.from(
  'OPTIONS sip:convene.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKopt1\r\nMax-Forwards: 70\r\n' +
    'From: <sip:probe@example.org>;tag=1\r\nTo: <sip:convene.example.com>\r\nCall-ID: opt-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
);
const torture = raw(validCases[0]!);

const budgetMs = Number(process.env.BENCH_MS ?? 1000);

function run(label: string, fn: () => void): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(budgetMs) * 1_000_000n;
  // Bounded: at most 10 million iterations even on a very fast machine.
  while (n < 10_000_000) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    if (process.hrtime.bigint() >= deadline) break;
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = n / secs;
  console.log(`${label.padEnd(36)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} msg/s`);
  return rate;
}

console.log(`SIP parser bench (node ${process.version}, ${budgetMs} ms per case)\n`);
// Reference point for a shared/loaded machine: the same loop around JSON.parse of ~800 bytes.
const doc = JSON.stringify({ a: 'x'.repeat(100), b: [1, 2, 3, 4, 5, 6, 7, 8, 9], c: { d: 'hello', e: 'foo bar baz'.repeat(20) }, f: Array.from({ length: 20 }, (_, i) => ({ k: `key${i}`, v: i })) });
run(`reference: JSON.parse (${doc.length} bytes)`, () => void JSON.parse(doc));
console.log('');
for (const [name, bytes] of [
  ['INVITE + SDP', invite],
  ['200 OK + SDP', ok],
  ['OPTIONS', options],
  ['torture INVITE (folding, compact)', torture],
] as const) {
  const parsed = parseMessage(bytes);
  if (!parsed.ok) throw new Error(`${name}: ${parsed.error.code}`);
  const msg: SipMessage = parsed.message;
  console.log(`${name} (${bytes.length} bytes)`);
  const p = run('  parse + validate', () => void parseMessage(bytes));
  const s = run('  serialize', () => void serializeMessage(msg));
  console.log(`  ${'parse throughput'.padEnd(34)} ${((p * bytes.length) / 1e6).toFixed(1).padStart(12)} MB/s`);
  void s;
  console.log('');
}
