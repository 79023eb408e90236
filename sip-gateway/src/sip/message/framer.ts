/**
 * Splits a TCP/TLS byte stream into SIP messages using Content-Length (RFC 3261 §18.3) and
 * recognises RFC 5626 keep-alives: a double CRLF "ping" (answered with a single CRLF "pong").
 * After an error the stream cannot be resynchronised, so the framer stays failed and the
 * connection should be closed.
 *
 * Work is linear in the bytes received, however they are split: chunks are kept in a list (never
 * re-concatenated per chunk) and the search for the end of the head (CRLFCRLF) resumes where the
 * previous chunk left it. A peer trickling a large head one byte at a time therefore costs no more
 * CPU than one sending it at once. `work` counts the bytes scanned and copied, for tests.
 */
import { SipParseError, SipParseErrorCode } from './errors.js';
import type { ParserLimits } from './parser.js';

export type FramerEvent =
  | { type: 'message'; bytes: Buffer }
  | { type: 'ping' }
  | { type: 'pong' }
  | { type: 'error'; error: SipParseError };

const CR = 0x0d;
const LF = 0x0a;
const HEAD_END = [CR, LF, CR, LF] as const;
const CONTENT_LENGTH_RE = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im;

export class StreamFramer {
  /** Received bytes not yet framed, in arrival order. */
  private chunks: Buffer[] = [];
  private held = 0;
  /** Head search: bytes of the current message already scanned, where the scan stands, and how much of CRLFCRLF it has matched. */
  private scanned = 0;
  private scanChunk = 0;
  private scanOffset = 0;
  private matched = 0;
  /** Length of the current message once its head is complete; -1 while the head is incomplete. */
  private messageLength = -1;
  private failed = false;
  /** Bytes examined by the head search and bytes copied out of the chunk list, since construction. */
  readonly work = { bytesScanned: 0, bytesCopied: 0 };

  constructor(private readonly limits: ParserLimits) {}

  push(chunk: Buffer): FramerEvent[] {
    if (this.failed) return [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.held += chunk.length;
    }
    const events: FramerEvent[] = [];
    for (;;) {
      if (this.messageLength < 0) {
        // Keep-alives between messages.
        if (this.scanned === 0 && this.held === 1 && this.byteAt(0) === CR) break; // a keep-alive or not: wait
        if (this.scanned === 0 && this.held >= 2 && this.byteAt(0) === CR && this.byteAt(1) === LF) {
          if (this.held >= 4 && this.byteAt(2) === CR && this.byteAt(3) === LF) {
            events.push({ type: 'ping' });
            this.drop(4);
            continue;
          }
          if (this.held >= 3 && this.byteAt(2) !== CR) {
            events.push({ type: 'pong' });
            this.drop(2);
            continue;
          }
          break; // "\r\n" or "\r\n\r": wait to see whether it is a ping
        }
        const headLength = this.scanForHeadEnd();
        if (headLength < 0) {
          if (this.held > this.limits.maxMessageBytes) return this.fail(events, SipParseErrorCode.MessageTooLarge, 'headers too large');
          break;
        }
        const head = this.copyFront(headLength - 4).toString('latin1').replace(/\r\n[ \t]+/g, ' ');
        const m = CONTENT_LENGTH_RE.exec(head);
        if (!m || !/^\d{1,10}$/.test(m[1] ?? '')) {
          return this.fail(events, SipParseErrorCode.BadContentLength, 'stream message without a valid Content-Length');
        }
        this.messageLength = headLength + Number(m[1]);
        if (this.messageLength > this.limits.maxMessageBytes) return this.fail(events, SipParseErrorCode.MessageTooLarge, 'message too large');
      }
      if (this.held < this.messageLength) break;
      events.push({ type: 'message', bytes: this.copyFront(this.messageLength) });
      this.drop(this.messageLength);
    }
    return events;
  }

  /** Bytes held waiting for the rest of a message (0 between messages). */
  get pendingBytes(): number {
    return this.held;
  }

  /**
   * Continues the CRLFCRLF search from where the last call stopped. Returns the head's length
   * including the CRLFCRLF, or -1 when the held bytes hold no complete head yet.
   */
  private scanForHeadEnd(): number {
    while (this.scanChunk < this.chunks.length) {
      const c = this.chunks[this.scanChunk]!;
      for (let i = this.scanOffset; i < c.length; i++) {
        const b = c[i]!;
        if (b === HEAD_END[this.matched]) this.matched++;
        else this.matched = b === CR ? 1 : 0;
        if (this.matched === 4) {
          const examined = i + 1 - this.scanOffset;
          this.work.bytesScanned += examined;
          this.scanned += examined;
          this.scanOffset = i + 1;
          return this.scanned;
        }
      }
      const examined = c.length - this.scanOffset;
      this.work.bytesScanned += examined;
      this.scanned += examined;
      this.scanChunk++;
      this.scanOffset = 0;
    }
    return -1;
  }

  private byteAt(index: number): number {
    let i = index;
    for (const c of this.chunks) {
      if (i < c.length) return c[i]!;
      i -= c.length;
    }
    return -1;
  }

  /** A copy of the first `n` held bytes (n <= held). */
  private copyFront(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    for (const c of this.chunks) {
      if (at >= n) break;
      const take = Math.min(c.length, n - at);
      c.copy(out, at, 0, take);
      at += take;
    }
    this.work.bytesCopied += n;
    return out;
  }

  /** Forgets the first `n` held bytes (a message or keep-alive) and starts afresh on the next message. */
  private drop(n: number): void {
    let left = n;
    let i = 0;
    while (left > 0) {
      const c = this.chunks[i]!;
      if (c.length <= left) {
        left -= c.length;
        i++;
      } else {
        this.chunks[i] = c.subarray(left);
        left = 0;
      }
    }
    this.chunks = i > 0 ? this.chunks.slice(i) : this.chunks;
    this.held -= n;
    this.scanned = 0;
    this.scanChunk = 0;
    this.scanOffset = 0;
    this.matched = 0;
    this.messageLength = -1;
  }

  private fail(events: FramerEvent[], code: SipParseErrorCode, msg: string): FramerEvent[] {
    this.failed = true;
    this.chunks = [];
    this.held = 0;
    events.push({ type: 'error', error: new SipParseError(code, msg) });
    return events;
  }
}
