/**
 * Splits a TCP/TLS byte stream into SIP messages using Content-Length (RFC 3261 §18.3) and
 * recognises RFC 5626 keep-alives: a double CRLF "ping" (answered with a single CRLF "pong").
 * After an error the stream cannot be resynchronised, so the framer stays failed and the
 * connection should be closed.
 */
import { SipParseError, SipParseErrorCode } from './errors.js';
import type { ParserLimits } from './parser.js';

export type FramerEvent =
  | { type: 'message'; bytes: Buffer }
  | { type: 'ping' }
  | { type: 'pong' }
  | { type: 'error'; error: SipParseError };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH_RE = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im;

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly limits: ParserLimits) {}

  push(chunk: Buffer): FramerEvent[] {
    if (this.failed) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: FramerEvent[] = [];
    for (;;) {
      // Keep-alives between messages.
      if (this.buf.length >= 2 && this.buf[0] === 0x0d && this.buf[1] === 0x0a) {
        if (this.buf.length >= 4 && this.buf[2] === 0x0d && this.buf[3] === 0x0a) {
          events.push({ type: 'ping' });
          this.buf = this.buf.subarray(4);
          continue;
        }
        if (this.buf.length >= 3 && this.buf[2] !== 0x0d) {
          events.push({ type: 'pong' });
          this.buf = this.buf.subarray(2);
          continue;
        }
        break; // "\r\n" or "\r\n\r": wait to see whether it is a ping
      }
      const headEnd = this.buf.indexOf(CRLFCRLF);
      if (headEnd < 0) {
        if (this.buf.length > this.limits.maxMessageBytes) return this.fail(events, SipParseErrorCode.MessageTooLarge, 'headers too large');
        break;
      }
      const head = this.buf.subarray(0, headEnd).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
      const m = CONTENT_LENGTH_RE.exec(head);
      if (!m || !/^\d{1,10}$/.test(m[1] ?? '')) {
        return this.fail(events, SipParseErrorCode.BadContentLength, 'stream message without a valid Content-Length');
      }
      const total = headEnd + 4 + Number(m[1]);
      if (total > this.limits.maxMessageBytes) return this.fail(events, SipParseErrorCode.MessageTooLarge, 'message too large');
      if (this.buf.length < total) break;
      events.push({ type: 'message', bytes: Buffer.from(this.buf.subarray(0, total)) });
      this.buf = this.buf.subarray(total);
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return events;
  }

  /** Bytes held waiting for the rest of a message. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  private fail(events: FramerEvent[], code: SipParseErrorCode, msg: string): FramerEvent[] {
    this.failed = true;
    this.buf = Buffer.alloc(0);
    events.push({ type: 'error', error: new SipParseError(code, msg) });
    return events;
  }
}
