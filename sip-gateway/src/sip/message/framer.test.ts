import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultParserLimits, parseMessage, StreamFramer, type FramerEvent } from './index.js';

const INVITE = Buffer.from(
  'INVITE sip:room@convene.test SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKf1\r\nMax-Forwards: 70\r\n' +
    'To: <sip:room@convene.test>\r\nFrom: <sip:a@example.org>;tag=1\r\nCall-ID: framer-1\r\nCSeq: 1 INVITE\r\n' +
    'Content-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\ns=-\r\n',
);
// Compact Content-Length and a body containing a blank line, to prove framing trusts the length.
const MESSAGE = Buffer.from(
  'MESSAGE sip:room@convene.test SIP/2.0\r\nv: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKf2\r\nt: <sip:room@convene.test>\r\n' +
    'f: <sip:a@example.org>;tag=1\r\ni: framer-2\r\nCSeq: 2 MESSAGE\r\nc: text/plain\r\nl: 8\r\n\r\nab\r\n\r\ncd',
);
const PING = Buffer.from('\r\n\r\n');

function messages(events: FramerEvent[]): string[] {
  return events.filter((e) => e.type === 'message').map((e) => (e.type === 'message' ? e.bytes.toString() : ''));
}

describe('StreamFramer', () => {
  it('frames back-to-back messages by Content-Length and answers keep-alive pings', () => {
    const f = new StreamFramer(defaultParserLimits);
    const events = f.push(Buffer.concat([PING, INVITE, MESSAGE, PING]));
    expect(events.map((e) => e.type)).toEqual(['ping', 'message', 'message', 'ping']);
    expect(messages(events)).toEqual([INVITE.toString(), MESSAGE.toString()]);
    expect(f.pendingBytes).toBe(0);
  });

  it('reassembles messages split at every possible byte boundary', () => {
    const stream = Buffer.concat([INVITE, PING, MESSAGE]);
    for (let cut = 1; cut < stream.length; cut++) {
      const f = new StreamFramer(defaultParserLimits);
      const events = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
      expect(messages(events), `cut at ${cut}`).toEqual([INVITE.toString(), MESSAGE.toString()]);
      expect(events.filter((e) => e.type === 'ping')).toHaveLength(1);
    }
  });

  it('reassembles any split into many writes (property)', () => {
    const stream = Buffer.concat([MESSAGE, INVITE, PING, INVITE]);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const f = new StreamFramer(defaultParserLimits);
        const events: FramerEvent[] = [];
        for (let i = 0; i + 1 < points.length; i++) events.push(...f.push(stream.subarray(points[i], points[i + 1])));
        expect(messages(events)).toEqual([MESSAGE.toString(), INVITE.toString(), INVITE.toString()]);
        for (const m of messages(events)) expect(parseMessage(Buffer.from(m)).ok).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('treats a lone CRLF followed by a message as a pong', () => {
    const f = new StreamFramer(defaultParserLimits);
    expect(f.push(Buffer.concat([Buffer.from('\r\n'), INVITE])).map((e) => e.type)).toEqual(['pong', 'message']);
  });

  it('fails (and stays failed) on a stream message without Content-Length or over the size limit', () => {
    const noLength = Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n');
    const f = new StreamFramer(defaultParserLimits);
    expect(f.push(noLength)).toMatchObject([{ type: 'error', error: { code: 'BAD_CONTENT_LENGTH' } }]);
    expect(f.push(INVITE)).toEqual([]);
    const small = new StreamFramer({ ...defaultParserLimits, maxMessageBytes: 100 });
    expect(small.push(INVITE)).toMatchObject([{ type: 'error', error: { code: 'MESSAGE_TOO_LARGE' } }]);
    const endless = new StreamFramer({ ...defaultParserLimits, maxMessageBytes: 100 });
    expect(endless.push(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'y'.repeat(200)}`))).toMatchObject([
      { type: 'error', error: { code: 'MESSAGE_TOO_LARGE' } },
    ]);
  });

  it('does work linear in the bytes received when a large head trickles in one byte at a time', () => {
    // A 60 KB head (many headers) sent byte by byte: the old framer re-concatenated and re-scanned
    // its whole buffer per byte (≈1.8 GB copied for this); now each byte is scanned once and
    // copied at most twice (once for the head's Content-Length, once into the message).
    const filler = Array.from({ length: 600 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(80)}\r\n`).join('');
    const big = Buffer.from(
      'MESSAGE sip:room@convene.test SIP/2.0\r\nVia: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bKbig\r\n' +
        `${filler}Content-Length: 4\r\n\r\nbody`,
    );
    expect(big.length).toBeGreaterThan(55_000);
    const f = new StreamFramer(defaultParserLimits);
    const events: FramerEvent[] = [];
    for (let i = 0; i < big.length; i++) events.push(...f.push(big.subarray(i, i + 1)));
    expect(messages(events)).toEqual([big.toString()]);
    expect(f.work.bytesScanned).toBeLessThanOrEqual(big.length);
    expect(f.work.bytesCopied).toBeLessThanOrEqual(2 * big.length);
    expect(f.pendingBytes).toBe(0);
  });

  it('scans a pipelined stream once in total, whatever the chunk size', () => {
    const stream = Buffer.concat(Array.from({ length: 50 }, () => Buffer.concat([INVITE, PING, MESSAGE])));
    for (const size of [1, 7, 64, 1500, stream.length]) {
      const f = new StreamFramer(defaultParserLimits);
      const events: FramerEvent[] = [];
      for (let i = 0; i < stream.length; i += size) events.push(...f.push(stream.subarray(i, i + size)));
      expect(messages(events), `chunks of ${size}`).toHaveLength(100);
      expect(f.work.bytesScanned, `chunks of ${size}`).toBeLessThanOrEqual(stream.length);
      expect(f.work.bytesCopied, `chunks of ${size}`).toBeLessThanOrEqual(2 * stream.length);
    }
  });
});
