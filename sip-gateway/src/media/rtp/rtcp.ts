/**
 * RTCP (RFC 3550 §6.4–6.6): compound SR/RR + SDES CNAME and BYE written into caller-owned buffers,
 * and a parser for compound packets from the network (validated per RFC 3550 A.2, null if not).
 */
import { CodedError } from '../../../../common/src/coded-error.js';

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** One reception report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, as a fixed-point number /256 (0–255). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed; negative with duplicates). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | highest). */
  highestSequence: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR from this source (0: none). */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s (0: none). */
  delaySinceLastSr: number;
}

export type RtcpPacket =
  | { type: 'sr'; ssrc: number; ntpMiddle32: number; rtpTimestamp: number; packetCount: number; octetCount: number; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'bye'; ssrcs: number[] }
  | { type: 'sdes' }
  | { type: 'other'; packetType: number };

export type RtcpWriteErrorCode = 'buffer_too_small' | 'too_many_reports' | 'bad_cname';
export class RtcpWriteError extends CodedError<RtcpWriteErrorCode> {
  override readonly name = 'RtcpWriteError';
}

/** Seconds between the NTP era (1900) and the Unix epoch. */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** Unix-epoch ms → NTP 64-bit timestamp as [seconds, fraction]. */
export function ntpFromUnixMs(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - seconds * 1000) / 1000) * 0x1_0000_0000);
  return [(seconds + NTP_UNIX_OFFSET_S) >>> 0, fraction >>> 0];
}

/** Middle 32 bits of the NTP timestamp for Unix-epoch ms: what an RR echoes as LSR. */
export function ntpMiddle32FromUnixMs(ms: number): number {
  const [s, f] = ntpFromUnixMs(ms);
  return (((s & 0xffff) << 16) | (f >>> 16)) >>> 0;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = (v >>> 24) & 0xff;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

function get32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

function need(out: Uint8Array, bytes: number): void {
  if (out.length < bytes) throw new RtcpWriteError('buffer_too_small', `RTCP needs ${bytes} bytes, buffer has ${out.length}`);
}

function writeHeader(out: Uint8Array, at: number, count: number, packetType: number, totalBytes: number): void {
  out[at] = 0x80 | count;
  out[at + 1] = packetType;
  const words = totalBytes / 4 - 1;
  out[at + 2] = words >>> 8;
  out[at + 3] = words & 0xff;
}

function writeReportBlocks(out: Uint8Array, at: number, reports: readonly ReportBlock[]): number {
  for (const r of reports) {
    put32(out, at, r.ssrc >>> 0);
    // 24-bit two's complement, clamped as RFC 3550 A.3 says.
    const lost = Math.max(-0x800000, Math.min(0x7fffff, Math.trunc(r.cumulativeLost))) & 0xffffff;
    put32(out, at + 4, (((r.fractionLost & 0xff) << 24) | lost) >>> 0);
    put32(out, at + 8, r.highestSequence >>> 0);
    put32(out, at + 12, Math.max(0, Math.min(0xffffffff, Math.round(r.jitter))) >>> 0);
    put32(out, at + 16, r.lastSr >>> 0);
    put32(out, at + 20, r.delaySinceLastSr >>> 0);
    at += 24;
  }
  return at;
}

const textEncoder = new TextEncoder();

/** SDES with one chunk holding CNAME, null-terminated and padded to 32 bits. */
function writeSdesCname(out: Uint8Array, at: number, ssrc: number, cname: string): number {
  const name = textEncoder.encode(cname);
  if (name.length < 1 || name.length > 255) throw new RtcpWriteError('bad_cname', 'CNAME must be 1–255 bytes of UTF-8');
  // header(4) + ssrc(4) + type(1) + len(1) + text + at least one null, padded to 4
  const bytes = (4 + 4 + 2 + name.length + 1 + 3) & ~3;
  need(out, at + bytes);
  writeHeader(out, at, 1, RTCP_SDES, bytes);
  put32(out, at + 4, ssrc >>> 0);
  out[at + 8] = 1; // CNAME
  out[at + 9] = name.length;
  out.set(name, at + 10);
  out.fill(0, at + 10 + name.length, at + bytes);
  return at + bytes;
}

/** Compound SR + SDES(CNAME). `ntpTimeMs` is the wall clock in Unix-epoch ms. Returns the length. */
export function buildSenderReport(
  out: Uint8Array,
  sr: { ssrc: number; ntpTimeMs: number; rtpTimestamp: number; packetCount: number; octetCount: number; reports: readonly ReportBlock[]; cname: string },
): number {
  if (sr.reports.length > 31) throw new RtcpWriteError('too_many_reports', 'an SR carries at most 31 report blocks');
  const srBytes = 28 + 24 * sr.reports.length;
  need(out, srBytes);
  writeHeader(out, 0, sr.reports.length, RTCP_SR, srBytes);
  put32(out, 4, sr.ssrc >>> 0);
  const [s, f] = ntpFromUnixMs(sr.ntpTimeMs);
  put32(out, 8, s);
  put32(out, 12, f);
  put32(out, 16, sr.rtpTimestamp >>> 0);
  put32(out, 20, sr.packetCount >>> 0);
  put32(out, 24, sr.octetCount >>> 0);
  writeReportBlocks(out, 28, sr.reports);
  return writeSdesCname(out, srBytes, sr.ssrc, sr.cname);
}

/** Compound RR + SDES(CNAME). Returns the length. */
export function buildReceiverReport(out: Uint8Array, rr: { ssrc: number; reports: readonly ReportBlock[]; cname: string }): number {
  if (rr.reports.length > 31) throw new RtcpWriteError('too_many_reports', 'an RR carries at most 31 report blocks');
  const rrBytes = 8 + 24 * rr.reports.length;
  need(out, rrBytes);
  writeHeader(out, 0, rr.reports.length, RTCP_RR, rrBytes);
  put32(out, 4, rr.ssrc >>> 0);
  writeReportBlocks(out, 8, rr.reports);
  return writeSdesCname(out, rrBytes, rr.ssrc, rr.cname);
}

/**
 * A BYE for one SSRC. RFC 3550 §6.1 wants every compound packet to start with an SR/RR, so a
 * leaving sender puts an empty RR (no reports, no SDES) first. Returns the length.
 */
export function buildBye(out: Uint8Array, ssrc: number, reason?: string): number {
  const text = reason ? textEncoder.encode(reason).subarray(0, 255) : null;
  const byeBytes = (8 + (text ? 1 + text.length : 0) + 3) & ~3;
  const total = 8 + byeBytes;
  need(out, total);
  writeHeader(out, 0, 0, RTCP_RR, 8);
  put32(out, 4, ssrc >>> 0);
  writeHeader(out, 8, 1, RTCP_BYE, byeBytes);
  put32(out, 12, ssrc >>> 0);
  if (text) {
    out[16] = text.length;
    out.set(text, 17);
    out.fill(0, 17 + text.length, total);
  }
  return total;
}

function readReportBlocks(buf: Uint8Array, at: number, count: number): ReportBlock[] {
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++, at += 24) {
    const lostWord = get32(buf, at + 4);
    const lost24 = lostWord & 0xffffff;
    reports.push({
      ssrc: get32(buf, at),
      fractionLost: lostWord >>> 24,
      cumulativeLost: lost24 & 0x800000 ? lost24 - 0x1000000 : lost24,
      highestSequence: get32(buf, at + 8),
      jitter: get32(buf, at + 12),
      lastSr: get32(buf, at + 16),
      delaySinceLastSr: get32(buf, at + 20),
    });
  }
  return reports;
}

/**
 * Parse a compound RTCP packet. null when malformed: a part not version 2, lengths that do not
 * add up to the datagram exactly, padding anywhere but the last part, report counts that do not
 * fit. (RFC 5506 reduced-size RTCP is accepted: the first part need not be SR/RR.)
 */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] | null {
  const len = buf.length;
  if (len < 4 || len % 4 !== 0) return null;
  const packets: RtcpPacket[] = [];
  let at = 0;
  while (at < len) {
    if (at + 4 > len) return null;
    const b0 = buf[at]!;
    if (b0 >> 6 !== 2) return null;
    const count = b0 & 0x1f;
    const packetType = buf[at + 1]!;
    if (packetType < 192 || packetType > 223) return null; // RFC 5761 §4: not an RTCP type
    const bytes = (((buf[at + 2]! << 8) | buf[at + 3]!) + 1) * 4;
    const end = at + bytes;
    if (end > len) return null;
    let contentEnd = end;
    if (b0 & 0x20) {
      if (end !== len) return null;
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > bytes - 4) return null;
      contentEnd = end - pad;
    }
    const contentBytes = contentEnd - at;
    switch (packetType) {
      case RTCP_SR:
        if (contentBytes < 28 + 24 * count) return null;
        packets.push({
          type: 'sr',
          ssrc: get32(buf, at + 4),
          ntpMiddle32: (((buf[at + 10]! << 24) | (buf[at + 11]! << 16) | (buf[at + 12]! << 8) | buf[at + 13]!) >>> 0),
          rtpTimestamp: get32(buf, at + 16),
          packetCount: get32(buf, at + 20),
          octetCount: get32(buf, at + 24),
          reports: readReportBlocks(buf, at + 28, count),
        });
        break;
      case RTCP_RR:
        if (contentBytes < 8 + 24 * count) return null;
        packets.push({ type: 'rr', ssrc: get32(buf, at + 4), reports: readReportBlocks(buf, at + 8, count) });
        break;
      case RTCP_BYE: {
        if (contentBytes < 4 + 4 * count) return null;
        const ssrcs: number[] = [];
        for (let i = 0; i < count; i++) ssrcs.push(get32(buf, at + 4 + 4 * i));
        packets.push({ type: 'bye', ssrcs });
        break;
      }
      case RTCP_SDES:
        packets.push({ type: 'sdes' });
        break;
      default:
        packets.push({ type: 'other', packetType });
    }
    at = end;
  }
  return packets;
}
