/** Property-based fuzzing of the parser: it never throws, and what it accepts round-trips. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { raw, validCases } from './fixtures/torture.js';
import { parseMessage, serializeMessage, SipParseErrorCode, type ParseResult } from './index.js';

const CODES = new Set<string>(Object.values(SipParseErrorCode));

function checkResult(r: ParseResult): void {
  if (r.ok) {
    // Anything accepted must serialise and parse again to the same typed view.
    const again = parseMessage(serializeMessage(r.message));
    expect(again.ok).toBe(true);
    if (again.ok) {
      expect(again.message.callId).toBe(r.message.callId);
      expect(again.message.cseq).toEqual(r.message.cseq);
      expect(again.message.body.equals(r.message.body)).toBe(true);
    }
  } else {
    expect(CODES.has(r.error.code)).toBe(true);
  }
}

const seeds = validCases.map((c) => raw(c));

/** Mutations of valid messages: flip, insert, delete bytes, truncate, duplicate lines. */
const mutated = fc
  .record({
    seed: fc.integer({ min: 0, max: seeds.length - 1 }),
    edits: fc.array(
      fc.record({
        kind: fc.constantFrom('flip', 'insert', 'delete', 'truncate', 'dup'),
        at: fc.nat(),
        byte: fc.constantFrom(0x00, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x3b, 0x3c, 0x3e, 0x40, 0x5b, 0x5d, 0x5c, 0xff, 0x41),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map(({ seed, edits }) => {
    let buf = Buffer.from(seeds[seed] ?? Buffer.alloc(0));
    for (const e of edits) {
      const at = buf.length === 0 ? 0 : e.at % buf.length;
      if (e.kind === 'flip') buf[at] = e.byte;
      else if (e.kind === 'insert') buf = Buffer.concat([buf.subarray(0, at), Buffer.from([e.byte]), buf.subarray(at)]);
      else if (e.kind === 'delete') buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 1)]);
      else if (e.kind === 'truncate') buf = buf.subarray(0, at);
      else {
        const lines = buf.toString('latin1').split('\r\n');
        const i = at % Math.max(1, lines.length);
        lines.splice(i, 0, lines[i] ?? '');
        buf = Buffer.from(lines.join('\r\n'), 'latin1');
      }
    }
    return buf;
  });

/** Structurally plausible messages built from SIP-ish tokens. */
const token = fc.stringMatching(/^[A-Za-z0-9\-.!%*_+`'~]{1,12}$/);
const headerValue = fc.oneof(
  token,
  fc.constantFrom('<sip:a@b>', '"x" <sip:y@[::1]:5060;lr>;tag=1', 'SIP/2.0/UDP h;branch=z9hG4bK1', '1 INVITE', ',', ';;', '""', '"\\"', '<', '>'),
  fc.string({ maxLength: 40 }),
);
const plausible = fc
  .record({
    method: fc.oneof(fc.constantFrom('INVITE', 'ACK', 'BYE', 'OPTIONS', 'REGISTER'), token),
    uri: fc.oneof(fc.constantFrom('sip:a@b', 'sips:x@[2001:db8::1]:5061;transport=tls', 'tel:+1', 'sip:%41@h?x=y'), fc.string({ maxLength: 30 })),
    headers: fc.array(fc.tuple(fc.constantFrom('Via', 'v', 'From', 'f', 'To', 't', 'Call-ID', 'i', 'CSeq', 'Contact', 'm', 'Route', 'l', 'Content-Length', 'Max-Forwards', 'Expires', 'X-Fuzz'), headerValue), { maxLength: 14 }),
    body: fc.string({ maxLength: 50 }),
  })
  .map(({ method, uri, headers, body }) =>
    Buffer.from(`${method} ${uri} SIP/2.0\r\n${headers.map(([n, v]) => `${n}: ${v}`).join('\r\n')}\r\n\r\n${body}`),
  );

describe('parser fuzz (fast-check)', () => {
  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => checkResult(parseMessage(Buffer.from(bytes)))), { numRuns: 2000 });
  });

  it('never throws on mutated valid messages, and whatever it accepts round-trips', () => {
    fc.assert(fc.property(mutated, (buf) => checkResult(parseMessage(buf))), { numRuns: 3000 });
  });

  it('never throws on structurally plausible messages built from SIP tokens', () => {
    fc.assert(fc.property(plausible, (buf) => checkResult(parseMessage(buf))), { numRuns: 3000 });
  });
});
