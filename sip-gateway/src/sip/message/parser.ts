/**
 * Strict RFC 3261 message parser. Works on one complete datagram or one framed stream message and
 * never throws: the result is either a validated message or a typed error, plus (for requests)
 * enough of the raw headers to build a 400 response.
 */
import { SipParseError, SipParseErrorCode } from './errors.js';
import { canonicalHeaderName, isListHeader } from './headers.js';
import { SipRequest, SipResponse, type HeaderEntry, type SipMessage } from './message.js';
import { isToken, splitComma } from './syntax.js';
import { parseUri } from './uri.js';

export interface ParserLimits {
  /** Whole message, headers + body. */
  maxMessageBytes: number;
  maxHeaders: number;
  /** Longest header line after unfolding. */
  maxLineLength: number;
}

export const defaultParserLimits: ParserLimits = { maxMessageBytes: 65_535, maxHeaders: 128, maxLineLength: 8_192 };

export interface ParseFailure {
  ok: false;
  error: SipParseError;
  /** Present when the start line was a request: the raw headers needed to answer 400 (may be empty). */
  requestContext?: { method: string; headers: HeaderEntry[] };
}
export type ParseResult = { ok: true; message: SipMessage } | ParseFailure;

const CRLFCRLF = Buffer.from('\r\n\r\n');
const REQUEST_LINE_RE = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) (SIP\/\d+\.\d+)$/;
const STATUS_LINE_RE = /^SIP\/2\.0 ([1-6]\d\d) ([^\r\n]*)$/;
const HEADERS_FOR_400 = new Set(['via', 'from', 'to', 'call-id', 'cseq']);

export function parseMessage(buf: Buffer, limits: ParserLimits = defaultParserLimits): ParseResult {
  let requestContext: ParseFailure['requestContext'];
  let unfolded: string[] | undefined;
  try {
    if (buf.length > limits.maxMessageBytes) {
      throw new SipParseError(SipParseErrorCode.MessageTooLarge, 'message too large');
    }
    const headEnd = buf.indexOf(CRLFCRLF);
    if (headEnd < 0) throw new SipParseError(SipParseErrorCode.Incomplete, 'no end of headers');
    const head = buf.subarray(0, headEnd).toString('utf8');
    if (head.includes('\uFFFD')) throw new SipParseError(SipParseErrorCode.BadEncoding, 'headers are not valid UTF-8');
    const rawLines = head.split('\r\n');
    const startLine = rawLines[0] ?? '';
    if (startLine.length > limits.maxLineLength) throw new SipParseError(SipParseErrorCode.LineTooLong, 'start line too long');

    // Start line first, so a bad header in a request can still be answered.
    let message: SipMessage;
    const req = REQUEST_LINE_RE.exec(startLine);
    if (req) {
      const method = req[1] ?? '';
      requestContext = { method, headers: [] };
      const lines = unfold(rawLines, limits);
      unfolded = lines;
      if (req[3] !== 'SIP/2.0') throw new SipParseError(SipParseErrorCode.BadVersion, 'unsupported SIP version');
      let uri;
      try {
        uri = parseUri(req[2] ?? '');
      } catch {
        throw new SipParseError(SipParseErrorCode.BadUri, 'bad Request-URI');
      }
      message = new SipRequest(method, uri);
      message.headers = parseHeaderLines(lines);
    } else {
      const st = STATUS_LINE_RE.exec(startLine);
      if (!st) {
        throw new SipParseError(
          startLine.startsWith('SIP/') && !startLine.startsWith('SIP/2.0 ') ? SipParseErrorCode.BadVersion : SipParseErrorCode.BadStartLine,
          'bad start line',
        );
      }
      const lines = unfold(rawLines, limits);
      message = new SipResponse(Number(st[1]), st[2] ?? '');
      message.headers = parseHeaderLines(lines);
    }
    if (message.headers.length > limits.maxHeaders) throw new SipParseError(SipParseErrorCode.TooManyHeaders, 'too many headers');

    // Mandatory headers (RFC 3261 §8.1.1); Max-Forwards is not required so older UAs interoperate.
    for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
      if (!message.has(name)) throw new SipParseError(SipParseErrorCode.MissingHeader, `missing ${name}`, name);
    }
    for (const name of ['From', 'To', 'Call-ID', 'CSeq', 'Content-Length', 'Content-Type', 'Max-Forwards', 'Expires']) {
      if (message.getAll(name).length > 1) throw new SipParseError(SipParseErrorCode.BadHeader, `duplicate ${name}`, name);
    }
    message.validate();
    if (message.kind === 'request' && message.cseq.method !== message.method) {
      throw new SipParseError(SipParseErrorCode.CSeqMismatch, 'CSeq method does not match request method', 'CSeq');
    }

    const bodyStart = headEnd + 4;
    const available = buf.length - bodyStart;
    const declared = message.contentLength;
    if (declared === undefined) {
      message.body = Buffer.from(buf.subarray(bodyStart));
    } else if (declared > available) {
      throw new SipParseError(SipParseErrorCode.BadContentLength, 'Content-Length larger than the body', 'Content-Length');
    } else {
      // Extra bytes after the declared length are discarded (RFC 3261 §18.3).
      message.body = Buffer.from(buf.subarray(bodyStart, bodyStart + declared));
    }
    return { ok: true, message };
  } catch (err) {
    const error =
      err instanceof SipParseError ? err : new SipParseError(SipParseErrorCode.BadHeader, 'unparseable message');
    if (!requestContext) return { ok: false, error };
    // Only on failure: copy the raw headers a 400 needs.
    if (unfolded) requestContext.headers = collectFor400(unfolded);
    return { ok: false, error, requestContext };
  }
}

/** Joins folded continuation lines (leading SP/HTAB) into their header line. */
function unfold(rawLines: string[], limits: ParserLimits): string[] {
  const out: string[] = [];
  for (let i = 1; i < rawLines.length; i++) {
    const line = rawLines[i] ?? '';
    if (line.length > limits.maxLineLength) throw new SipParseError(SipParseErrorCode.LineTooLong, 'header line too long');
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (out.length === 0) throw new SipParseError(SipParseErrorCode.BadHeader, 'continuation line before any header');
      const joined = `${(out[out.length - 1] ?? '').trimEnd()} ${line.trim()}`;
      if (joined.length > limits.maxLineLength) throw new SipParseError(SipParseErrorCode.LineTooLong, 'header line too long');
      out[out.length - 1] = joined;
    } else {
      out.push(line);
    }
    if (out.length > limits.maxHeaders) throw new SipParseError(SipParseErrorCode.TooManyHeaders, 'too many headers');
  }
  return out;
}

function splitHeaderLine(line: string): { name: string; value: string } {
  const colon = line.indexOf(':');
  if (colon <= 0) throw new SipParseError(SipParseErrorCode.BadHeader, 'header line without ":"');
  const name = line.slice(0, colon).replace(/[ \t]+$/, '');
  if (!isToken(name)) throw new SipParseError(SipParseErrorCode.BadHeader, 'bad header name');
  return { name: canonicalHeaderName(name), value: line.slice(colon + 1).trim() };
}

function parseHeaderLines(lines: string[]): HeaderEntry[] {
  const headers: HeaderEntry[] = [];
  for (const line of lines) {
    const { name, value } = splitHeaderLine(line);
    if (isListHeader(name) && value !== '') {
      for (const part of splitComma(value, name)) headers.push({ name, value: part });
    } else {
      headers.push({ name, value });
    }
  }
  return headers;
}

/** Best-effort raw copy of the headers a 400 needs; lines that do not even split are skipped. */
function collectFor400(lines: string[]): HeaderEntry[] {
  const out: HeaderEntry[] = [];
  for (const line of lines) {
    try {
      const h = splitHeaderLine(line);
      if (HEADERS_FOR_400.has(h.name.toLowerCase())) out.push(h);
    } catch {
      // skipped: not usable in a response
    }
  }
  return out;
}
