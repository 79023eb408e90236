/**
 * Reads an SDP body into the few facts offer/answer needs, validating every field we use.
 * sdp-transform does the line grammar; it is lenient (lines it does not understand are skipped,
 * numbers may come back as strings), so everything it returns is checked again here.
 */
import { isIP } from 'node:net';
import sdpTransform from 'sdp-transform';
import type { MediaDirection } from '../engine/types.js';
import type { OfferedFormat } from './codecs.js';

/** Far above any real audio/video offer (a browser's is ~6 KB), low enough that parsing stays cheap. */
export const MAX_SDP_BYTES = 32 * 1024;

export interface SdpConnection {
  ip: string;
  /** c=0.0.0.0 (or ::): RFC 2543-style hold, no address to send to. */
  held: boolean;
}

export interface SdpMedia {
  type: string;
  port: number;
  protocol: string;
  /** The m-line's format list as written (echoed on rejected lines). */
  formats: string;
  /** Payload types of the format list, in order (RTP profiles). */
  payloadTypes: number[];
  /** Formats by payload type: rtpmap lines, or the static type when none. */
  rtpmap: Map<number, OfferedFormat>;
  /** null when absent; 'invalid' when present but not an address we can send to. */
  connection: SdpConnection | null | 'invalid';
  direction: MediaDirection;
  rtcpPort: number | null;
  rtcpMux: boolean;
  ptime: number | null;
  /** Raw a=crypto values (after "crypto:"), in order; parsed by crypto.ts. */
  crypto: string[];
  /** a=fmtp parameter strings by payload type (the first line per type). */
  fmtp: Map<number, string>;
  /** a=rtcp-fb lines (RFC 4585): payload type or '*' for all, type ("nack", "ccm", …), subtype or null. */
  rtcpFb: RtcpFbLine[];
  /** a=content (RFC 4796) values, lower-cased; empty when absent. */
  content: string[];
  /** a=label (RFC 4574), or null. */
  label: string | null;
  bandwidth: SdpBandwidth;
}

export interface RtcpFbLine {
  payloadType: number | '*';
  type: string;
  subtype: string | null;
}

/** b=AS (kbps, with IP/UDP overhead) and b=TIAS (bps, without, RFC 3890); null when absent or unreadable. */
export interface SdpBandwidth {
  asKbps: number | null;
  tiasBps: number | null;
}

export type SdpReadResult = { ok: true; media: SdpMedia[]; bandwidth: SdpBandwidth } | { ok: false; reason: 'malformed' | 'too_large'; detail: string };

const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

function intIn(v: unknown, min: number, max: number): number | null {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : '';
  if (!/^\d{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

function readConnection(c: { version?: unknown; ip?: unknown } | undefined): SdpConnection | null | 'invalid' {
  if (!c) return null;
  const ip = typeof c.ip === 'string' ? c.ip : '';
  const version = intIn(c.version, 4, 6);
  // Multicast TTL suffixes, hostnames (RFC 4566 allows an FQDN; resolving one here is not worth it) and version mismatches are refused.
  if ((version === 4 && isIP(ip) === 4) || (version === 6 && isIP(ip) === 6)) {
    return { ip, held: ip === '0.0.0.0' || ip === '::' };
  }
  return 'invalid';
}

/** Splits the raw text by m= section, keeping each section's a=crypto values whole (sdp-transform keeps only one session parameter). */
function rawCryptoBySection(lines: string[]): string[][] {
  const out: string[][] = [];
  for (const line of lines) {
    if (line.startsWith('m=')) out.push([]);
    else if (line.startsWith('a=crypto:') && out.length > 0) out[out.length - 1]!.push(line.slice('a=crypto:'.length).trim());
  }
  return out;
}

function readBandwidth(raw: unknown): SdpBandwidth {
  const out: SdpBandwidth = { asKbps: null, tiasBps: null };
  if (!Array.isArray(raw)) return out;
  for (const b of raw as { type?: unknown; limit?: unknown }[]) {
    // Zero is legal (RFC 3556 uses it for RTCP) but means "no media" for AS/TIAS: kept, the caller decides.
    if (b.type === 'AS' && out.asKbps === null) out.asKbps = intIn(b.limit, 0, 100_000_000);
    else if (b.type === 'TIAS' && out.tiasBps === null) out.tiasBps = intIn(b.limit, 0, 100_000_000_000);
  }
  return out;
}

const TOKEN = /^[A-Za-z0-9_.+-]{1,32}$/;

function readRtcpFb(raw: unknown): RtcpFbLine[] {
  const out: RtcpFbLine[] = [];
  if (!Array.isArray(raw)) return out;
  for (const f of raw as { payload?: unknown; type?: unknown; subtype?: unknown }[]) {
    const payloadType = f.payload === '*' ? '*' : intIn(f.payload, 0, 127);
    if (payloadType === null || typeof f.type !== 'string' || !TOKEN.test(f.type)) continue;
    const subtype = typeof f.subtype === 'string' && TOKEN.test(f.subtype) ? f.subtype.toLowerCase() : null;
    if (out.length < 64) out.push({ payloadType, type: f.type.toLowerCase(), subtype });
  }
  return out;
}

function readFmtp(raw: unknown): Map<number, string> {
  const out = new Map<number, string>();
  if (!Array.isArray(raw)) return out;
  for (const f of raw as { payload?: unknown; config?: unknown }[]) {
    const pt = intIn(f.payload, 0, 127);
    if (pt !== null && typeof f.config === 'string' && !out.has(pt)) out.set(pt, f.config.slice(0, 1024));
  }
  return out;
}

/** a=content:slides,main → ['slides', 'main'] (RFC 4796 allows a list). */
function readContent(raw: unknown): string[] {
  if (typeof raw !== 'string') return [];
  return raw.toLowerCase().split(',').map((c) => c.trim()).filter((c) => TOKEN.test(c)).slice(0, 8);
}

export function readSdp(body: string | Buffer): SdpReadResult {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  if (size > MAX_SDP_BYTES) return { ok: false, reason: 'too_large', detail: `SDP body larger than ${MAX_SDP_BYTES} bytes` };
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const lines = text.split(/\r\n|\r|\n/).filter((l) => l.length > 0);
  if (lines[0]?.trim() !== 'v=0') return { ok: false, reason: 'malformed', detail: 'SDP does not start with v=0' };

  const parsed = sdpTransform.parse(text);
  const crypto = rawCryptoBySection(lines);
  const rawMedia = Array.isArray(parsed.media) ? parsed.media : [];
  if (rawMedia.length !== crypto.length) return { ok: false, reason: 'malformed', detail: 'unreadable m= line' };
  const sessionConnection = readConnection(parsed.connection);
  const sessionDirection = typeof parsed.direction === 'string' && DIRECTIONS.has(parsed.direction) ? parsed.direction : 'sendrecv';

  const media: SdpMedia[] = [];
  for (let i = 0; i < rawMedia.length; i++) {
    const m = rawMedia[i]!;
    const port = intIn(m.port, 0, 65535);
    const type = typeof m.type === 'string' ? m.type : '';
    const protocol = typeof m.protocol === 'string' ? m.protocol : '';
    if (port === null || !/^[A-Za-z0-9_-]+$/.test(type) || protocol === '') {
      return { ok: false, reason: 'malformed', detail: `m= line ${i + 1} is not "m=<media> <port> <proto> <fmt>…"` };
    }
    const formats = typeof m.payloads === 'string' ? m.payloads.trim() : m.payloads === undefined ? '' : String(m.payloads);
    const payloadTypes: number[] = [];
    for (const tok of formats.split(/\s+/)) {
      const pt = intIn(tok, 0, 127);
      if (pt !== null && !payloadTypes.includes(pt)) payloadTypes.push(pt);
    }
    const rtpmap = new Map<number, OfferedFormat>();
    for (const r of Array.isArray(m.rtp) ? m.rtp : []) {
      const pt = intIn(r.payload, 0, 127);
      const rate = intIn(r.rate, 1, 1_000_000);
      const channels = r.encoding === undefined ? null : intIn(r.encoding, 1, 8);
      if (pt === null || rate === null || typeof r.codec !== 'string' || (r.encoding !== undefined && channels === null)) continue;
      if (!rtpmap.has(pt)) rtpmap.set(pt, { payloadType: pt, encoding: r.codec, clockRate: rate, channels });
    }
    const direction = typeof m.direction === 'string' && DIRECTIONS.has(m.direction) ? m.direction : sessionDirection;
    const ptimeRaw = typeof m.ptime === 'number' ? m.ptime : typeof m.ptime === 'string' ? Number(m.ptime) : NaN;
    media.push({
      type,
      port,
      protocol,
      formats,
      payloadTypes,
      rtpmap,
      connection: m.connection ? readConnection(m.connection) : sessionConnection,
      direction: direction as MediaDirection,
      rtcpPort: m.rtcp ? intIn(m.rtcp.port, 1, 65535) : null,
      rtcpMux: m.rtcpMux === 'rtcp-mux',
      ptime: Number.isFinite(ptimeRaw) && ptimeRaw > 0 ? ptimeRaw : null,
      crypto: crypto[i]!,
      fmtp: readFmtp(m.fmtp),
      rtcpFb: readRtcpFb(m.rtcpFb),
      content: readContent((m as { content?: unknown }).content),
      label: (typeof m.label === 'string' || typeof m.label === 'number') && /^[\x21-\x7e]{1,64}$/.test(String(m.label)) ? String(m.label) : null,
      bandwidth: readBandwidth(m.bandwidth),
    });
  }
  return { ok: true, media, bandwidth: readBandwidth(parsed.bandwidth) };
}
