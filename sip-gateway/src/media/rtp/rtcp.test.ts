import { describe, expect, it } from 'vitest';
import { buildBye, buildReceiverReport, buildSenderReport, ntpMiddle32FromUnixMs, parseRtcp, type ReportBlock } from './rtcp.js';
import { isRtcp } from './rtp-packet.js';

const block: ReportBlock = { ssrc: 0x11111111, fractionLost: 64, cumulativeLost: -3, highestSequence: 0x1_0005, jitter: 120, lastSr: 0xabcd1234, delaySinceLastSr: 65536 };

describe('RTCP build/parse', () => {
  it('SR + SDES round trip with report blocks; the NTP middle bits match the wall clock', () => {
    const out = new Uint8Array(256);
    const ms = Date.UTC(2026, 11, 2, 0, 0, 0, 500);
    const n = buildSenderReport(out, { ssrc: 0xdeadbeef, ntpTimeMs: ms, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000, reports: [block, { ...block, ssrc: 2 }], cname: 'gw@convene' });
    expect(n % 4).toBe(0);
    const buf = out.subarray(0, n);
    expect(isRtcp(buf)).toBe(true);
    const parsed = parseRtcp(buf)!;
    expect(parsed).toHaveLength(2);
    expect(parsed[0]).toEqual({ type: 'sr', ssrc: 0xdeadbeef, ntpMiddle32: ntpMiddle32FromUnixMs(ms), rtpTimestamp: 123456, packetCount: 50, octetCount: 8000, reports: [block, { ...block, ssrc: 2 }] });
    expect(parsed[1]).toEqual({ type: 'sdes' });
    // 0.5 s past a whole second: fraction's top 16 bits are 0x8000.
    expect(ntpMiddle32FromUnixMs(ms) & 0xffff).toBe(0x8000);
  });

  it('RR round trip; CNAME text is in the SDES chunk', () => {
    const out = new Uint8Array(256);
    const n = buildReceiverReport(out, { ssrc: 7, reports: [block], cname: 'caller-leg' });
    const buf = out.subarray(0, n);
    expect(parseRtcp(buf)).toEqual([{ type: 'rr', ssrc: 7, reports: [block] }, { type: 'sdes' }]);
    expect(Buffer.from(buf).includes(Buffer.from('caller-leg'))).toBe(true);
  });

  it('BYE (after an empty RR) round trip, with and without a reason', () => {
    const out = new Uint8Array(256);
    expect(parseRtcp(out.subarray(0, buildBye(out, 0xfeedface)))).toEqual([{ type: 'rr', ssrc: 0xfeedface, reports: [] }, { type: 'bye', ssrcs: [0xfeedface] }]);
    const n = buildBye(out, 5, 'call ended');
    expect(n % 4).toBe(0);
    expect(parseRtcp(out.subarray(0, n))![1]).toEqual({ type: 'bye', ssrcs: [5] });
  });

  it('clamps cumulative loss to 24-bit signed', () => {
    const out = new Uint8Array(256);
    const n = buildReceiverReport(out, { ssrc: 1, reports: [{ ...block, cumulativeLost: 1e9 }, { ...block, cumulativeLost: -1e9 }], cname: 'x' });
    const rr = parseRtcp(out.subarray(0, n))![0] as { reports: ReportBlock[] };
    expect(rr.reports.map((r) => r.cumulativeLost)).toEqual([0x7fffff, -0x800000]);
  });

  it('returns null for malformed compounds and never throws on random bytes', () => {
    const out = new Uint8Array(256);
    const n = buildReceiverReport(out, { ssrc: 7, reports: [block], cname: 'c' });
    expect(parseRtcp(out.subarray(0, n - 4))).toBeNull(); // SDES length runs past the end
    const bad = out.slice(0, n);
    bad[0] = 0x80 | 3; // claims 3 report blocks in a 1-block RR
    expect(parseRtcp(bad)).toBeNull();
    const v1 = out.slice(0, n);
    v1[0] = 0x41;
    expect(parseRtcp(v1)).toBeNull();
    expect(parseRtcp(new Uint8Array([0x80, 96, 0, 0]))).toBeNull(); // RTP payload type, not RTCP
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
    for (let i = 0; i < 20000; i++) {
      const junk = new Uint8Array((rand() % 16) * 4).map(rand);
      if (junk.length) junk[0] = (junk[0]! & 0x3f) | 0x80;
      if (junk.length > 1) junk[1] = 200 + (junk[1]! % 4);
      parseRtcp(junk);
    }
  });
});
