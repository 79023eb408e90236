/**
 * Header names (canonical casing, compact forms, which ones are comma-lists) and typed parsers for
 * the headers the stack reads: Via, name-addr headers (From/To/Contact/Route/Record-Route), CSeq.
 */
import { isIP } from 'node:net';
import { SipParseError, SipParseErrorCode } from './errors.js';
import { formatParams, isToken, isWs, parseParams, quote, scanQuoted, type Params } from './syntax.js';
import { formatHost, formatUri, parseHostPort, parseUri, type Uri } from './uri.js';

const COMPACT: Record<string, string> = {
  i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type', f: 'From',
  s: 'Subject', k: 'Supported', t: 'To', v: 'Via', o: 'Event', r: 'Refer-To', b: 'Referred-By',
  u: 'Allow-Events', x: 'Session-Expires', a: 'Accept-Contact', j: 'Reject-Contact', d: 'Request-Disposition',
};

const KNOWN = [
  'Accept', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events', 'Authentication-Info',
  'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition', 'Content-Encoding', 'Content-Language',
  'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info', 'Event', 'Expires', 'From', 'In-Reply-To',
  'Max-Forwards', 'Min-Expires', 'Min-SE', 'MIME-Version', 'Organization', 'Path', 'Priority', 'Proxy-Authenticate',
  'Proxy-Authorization', 'Proxy-Require', 'Reason', 'Record-Route', 'Refer-To', 'Referred-By', 'Reply-To', 'Require',
  'Retry-After', 'Route', 'RSeq', 'RAck', 'Server', 'Service-Route', 'Session-Expires', 'Subject', 'Supported',
  'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning', 'WWW-Authenticate', 'Subscription-State',
];
const CANONICAL = new Map(KNOWN.map((n) => [n.toLowerCase(), n]));

/** Headers whose value is a comma-separated list (RFC 3261 §7.3.1); parsed into one entry per element. */
const LIST_HEADERS = new Set(
  [
    'Via', 'Route', 'Record-Route', 'Contact', 'Allow', 'Supported', 'Require', 'Proxy-Require', 'Unsupported',
    'Accept', 'Accept-Encoding', 'Accept-Language', 'Content-Encoding', 'Content-Language', 'Path', 'Allow-Events',
    'In-Reply-To', 'Alert-Info', 'Call-Info', 'Error-Info', 'Warning', 'Service-Route',
  ].map((n) => n.toLowerCase()),
);

const memo = new Map<string, string>();

/**
 * One spelling per header: compact forms expanded, known names in their RFC casing, unknown names
 * Title-Cased. Because every stored name is canonical, lookups compare strings exactly.
 */
export function canonicalHeaderName(name: string): string {
  const hit = memo.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const canon =
    COMPACT[lower] ?? CANONICAL.get(lower) ?? lower.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
  // Bounded so hostile input with endless header names cannot grow it.
  if (memo.size < 2_000) memo.set(name, canon);
  return canon;
}

const LIST_CANONICAL = new Set([...LIST_HEADERS].map((n) => canonicalHeaderName(n)));
export function isListHeader(canonicalName: string): boolean {
  return LIST_CANONICAL.has(canonicalName);
}

// ---------------------------------------------------------------------------------------------- Via

export interface Via {
  /** "UDP", "TCP", "TLS", ... upper-cased. */
  transport: string;
  host: string;
  port: number | undefined;
  params: Params;
}

export function parseVia(value: string): Via {
  const h = 'Via';
  // sent-protocol allows LWS around each "/" (RFC 4475 §3.1.1.1 style).
  const m = /^SIP[ \t]*\/[ \t]*2\.0[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+(.*)$/i.exec(value);
  if (!m) throw new SipParseError(SipParseErrorCode.BadHeader, 'bad Via sent-protocol', h);
  const transport = (m[1] ?? '').toUpperCase();
  const rest = (m[2] ?? '').trim();
  let i = 0;
  if (rest.startsWith('[')) i = rest.indexOf(']') + 1;
  while (i > 0 && i < rest.length && rest[i] !== ';' && !isWs(rest[i])) i++;
  if (i === 0) while (i < rest.length && rest[i] !== ';' && !isWs(rest[i])) i++;
  let hostport = rest.slice(0, i);
  let tail = rest.slice(i).trim();
  // LWS is allowed around ":" in sent-by.
  if (tail.startsWith(':')) {
    const pm = /^:[ \t]*(\d+)(.*)$/.exec(tail);
    if (!pm) throw new SipParseError(SipParseErrorCode.BadHeader, 'bad Via port', h);
    hostport += `:${pm[1]}`;
    tail = (pm[2] ?? '').trim();
  }
  let hp: { host: string; port: number | undefined };
  try {
    hp = parseHostPort(hostport);
  } catch {
    throw new SipParseError(SipParseErrorCode.BadHeader, 'bad Via sent-by', h);
  }
  const params = tail === '' ? new Map() : parseParams(tail, h);
  const branch = params.get('branch');
  if (branch === null) throw new SipParseError(SipParseErrorCode.BadHeader, 'Via branch without value', h);
  const received = params.get('received');
  if (received !== undefined && (received === null || isIP(received.replace(/^\[|\]$/g, '')) === 0)) {
    throw new SipParseError(SipParseErrorCode.BadHeader, 'bad Via received', h);
  }
  const rport = params.get('rport');
  if (rport !== undefined && rport !== null && !/^\d{1,5}$/.test(rport)) {
    throw new SipParseError(SipParseErrorCode.BadHeader, 'bad Via rport', h);
  }
  return { transport, host: hp.host, port: hp.port, params };
}

export function formatVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${formatHost(v.host)}${v.port !== undefined ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

// ------------------------------------------------------------------------------------ name-addr

export interface NameAddr {
  displayName: string | undefined;
  uri: Uri;
  params: Params;
}

export function parseNameAddr(value: string, header: string): NameAddr {
  const v = value.trim();
  let displayName: string | undefined;
  let uriText: string;
  let paramText: string;
  let i = 0;
  if (v.startsWith('"')) {
    const end = scanQuoted(v, 0, header);
    displayName = v.slice(0, end);
    i = end;
    while (isWs(v[i])) i++;
    if (v[i] !== '<') throw new SipParseError(SipParseErrorCode.BadHeader, 'expected "<" after display name', header);
  }
  const lt = v.indexOf('<', i);
  const semi = v.indexOf(';');
  if (lt >= 0 && (displayName !== undefined || semi < 0 || lt < semi)) {
    if (displayName === undefined) {
      const dn = v.slice(0, lt).trim();
      if (dn !== '') {
        for (const word of dn.split(/[ \t]+/)) {
          if (!isToken(word)) throw new SipParseError(SipParseErrorCode.BadHeader, 'bad display name', header);
        }
        displayName = dn;
      }
    }
    const gt = v.indexOf('>', lt);
    if (gt < 0) throw new SipParseError(SipParseErrorCode.BadHeader, 'unterminated "<"', header);
    uriText = v.slice(lt + 1, gt);
    paramText = v.slice(gt + 1);
  } else {
    // addr-spec form: params after the URI belong to the header, so the URI ends at the first ';'.
    uriText = semi >= 0 ? v.slice(0, semi) : v;
    paramText = semi >= 0 ? v.slice(semi) : '';
    if (/[ \t]/.test(uriText.trim())) throw new SipParseError(SipParseErrorCode.BadHeader, 'bad addr-spec', header);
    uriText = uriText.trim();
  }
  let uri: Uri;
  try {
    uri = parseUri(uriText);
  } catch {
    throw new SipParseError(SipParseErrorCode.BadHeader, `bad URI in ${header}`, header);
  }
  const pt = paramText.trim();
  if (pt !== '' && !pt.startsWith(';')) throw new SipParseError(SipParseErrorCode.BadHeader, 'junk after URI', header);
  const params = pt === '' ? new Map() : parseParams(pt, header);
  return { displayName, uri, params };
}

export function formatNameAddr(a: NameAddr): string {
  const dn = a.displayName === undefined ? '' : `${a.displayName.startsWith('"') ? a.displayName : quote(a.displayName)} `;
  return `${dn}<${formatUri(a.uri)}>${formatParams(a.params)}`;
}

export function tagOf(a: NameAddr): string | undefined {
  return a.params.get('tag') ?? undefined;
}

// -------------------------------------------------------------------------------------------- CSeq

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): CSeq {
  const m = /^(\d{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(value.trim());
  if (!m) throw new SipParseError(SipParseErrorCode.BadHeader, 'bad CSeq', 'CSeq');
  const seq = Number(m[1]);
  if (seq > 2 ** 31 - 1) throw new SipParseError(SipParseErrorCode.BadHeader, 'CSeq number out of range', 'CSeq');
  return { seq, method: m[2] ?? '' };
}

export function parseUnsigned(value: string, header: string, max = 2 ** 32 - 1): number {
  const t = value.trim();
  if (!/^\d{1,10}$/.test(t)) throw new SipParseError(SipParseErrorCode.BadHeader, `bad ${header}`, header);
  const n = Number(t);
  if (n > max) throw new SipParseError(SipParseErrorCode.BadHeader, `${header} out of range`, header);
  return n;
}

export interface ContentType {
  type: string;
  subtype: string;
  params: Params;
}

export function parseContentType(value: string): ContentType {
  const m = /^([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*\/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)(.*)$/.exec(value.trim());
  if (!m) throw new SipParseError(SipParseErrorCode.BadHeader, 'bad Content-Type', 'Content-Type');
  const tail = (m[3] ?? '').trim();
  return {
    type: (m[1] ?? '').toLowerCase(),
    subtype: (m[2] ?? '').toLowerCase(),
    params: tail === '' ? new Map() : parseParams(tail, 'Content-Type'),
  };
}
