import { describe, expect, it } from 'vitest';
import { buildReceiverReport } from '../rtp/index.js';
import { FIR_BYTES, PLI_BYTES, RtcpFeedbackError, buildFir, buildPli, keyframeRequestFor } from './rtcp-feedback.js';

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

function rr(): Uint8Array {
  const buf = new Uint8Array(128);
  return buf.slice(0, buildReceiverReport(buf, { ssrc: 0x0e0e0e0e, reports: [], cname: 'roomsystem' }));
}

describe('PLI and FIR', () => {
  it('builds a PLI as RFC 4585 lays it out (V=2, FMT=1, PT=206, length 2, sender, media)', () => {
    const out = new Uint8Array(PLI_BYTES);
    expect(buildPli(out, 0x11223344, 0xaabbccdd)).toBe(12);
    expect(Buffer.from(out).toString('hex')).toBe('81ce000211223344aabbccdd');
  });

  it('builds a FIR as RFC 5104 lays it out (FMT=4, media source 0, FCI = SSRC + seq nr)', () => {
    const out = new Uint8Array(FIR_BYTES);
    expect(buildFir(out, 0x11223344, 0xaabbccdd, 257)).toBe(20);
    expect(Buffer.from(out).toString('hex')).toBe('84ce00041122334400000000aabbccdd01000000');
  });

  it('refuses a buffer too small with a coded error', () => {
    expect(() => buildPli(new Uint8Array(11), 1, 2)).toThrow(RtcpFeedbackError);
    try {
      buildFir(new Uint8Array(19), 1, 2, 0);
    } catch (e) {
      expect((e as RtcpFeedbackError).code).toBe('buffer_too_small');
    }
  });

  it('finds a PLI or FIR for our SSRC inside a compound packet (after RR + SDES), and ignores ones for others', () => {
    const pli = new Uint8Array(PLI_BYTES);
    buildPli(pli, 0x0e0e0e0e, 0xaabbccdd);
    const fir = new Uint8Array(FIR_BYTES);
    buildFir(fir, 0x0e0e0e0e, 0xaabbccdd, 3);
    expect(keyframeRequestFor(concat(rr(), pli), 0xaabbccdd)).toBe('pli');
    expect(keyframeRequestFor(concat(rr(), fir), 0xaabbccdd)).toBe('fir');
    expect(keyframeRequestFor(concat(rr(), pli, fir), 0xaabbccdd)).toBe('fir');
    expect(keyframeRequestFor(concat(rr(), pli), 0x12345678)).toBeNull();
    expect(keyframeRequestFor(rr(), 0xaabbccdd)).toBeNull();
    expect(keyframeRequestFor(pli, 0xaabbccdd)).toBe('pli'); // reduced-size RTCP (RFC 5506)
  });

  it('a FIR naming several SSRCs matches any of them', () => {
    const fir = new Uint8Array(28);
    buildFir(fir, 1, 0x01010101, 0);
    fir[3] = 6; // one more FCI entry
    fir.set([0x02, 0x02, 0x02, 0x02, 7, 0, 0, 0], 20);
    expect(keyframeRequestFor(fir, 0x02020202)).toBe('fir');
    expect(keyframeRequestFor(fir, 0x01010101)).toBe('fir');
    expect(keyframeRequestFor(fir, 0x03030303)).toBeNull();
  });

  it('malformed compounds are null, never a throw: bad version, short, lengths that overrun, odd sizes, not RTCP', () => {
    const pli = new Uint8Array(PLI_BYTES);
    buildPli(pli, 1, 2);
    const badVersion = pli.slice();
    badVersion[0] = 0x41;
    const overrun = pli.slice();
    overrun[3] = 9;
    const rtp = pli.slice();
    rtp[1] = 96;
    for (const bad of [badVersion, overrun, rtp, pli.subarray(0, 8), pli.subarray(0, 10), new Uint8Array(0), concat(pli, new Uint8Array(2))]) {
      expect(keyframeRequestFor(bad, 2)).toBeNull();
    }
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 2000; i++) {
      const junk = Uint8Array.from({ length: 4 + (rand() % 60) }, rand);
      expect(() => keyframeRequestFor(junk, 2)).not.toThrow();
    }
  });
});
