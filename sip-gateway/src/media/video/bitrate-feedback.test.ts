import { describe, expect, it } from 'vitest';
import { buildRemb, buildTmmbr, parseBitrateRequests, REMB_BYTES, splitBitrate, TMMBR_BYTES } from './bitrate-feedback.js';
import { buildPli } from './rtcp-feedback.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('TMMBR (RFC 5104 §4.2.1)', () => {
  it('encodes 1.5 Mbit/s as exponent 4, mantissa 93750, with the overhead, media SSRC 0 in the header and the target in the FCI', () => {
    const out = new Uint8Array(TMMBR_BYTES);
    expect(buildTmmbr(out, 0x11223344, 0xaabbccdd, 1_500_000, 40)).toBe(20);
    // 1,500,000 = 93,750 · 2^4 → (4 << 26) | (93750 << 9) | 40 = 0x12dc6c28
    expect(hex(out)).toBe('83cd0004' + '11223344' + '00000000' + 'aabbccdd' + '12dc6c28');
  });

  it('rounds the mantissa down so the limit never exceeds the cap', () => {
    const out = new Uint8Array(TMMBR_BYTES);
    buildTmmbr(out, 1, 2, 1_000_001, 0);
    // 1,000,001 needs exponent 3 (2^17 = 131072 > 125000): mantissa floor(1000001 / 8) = 125000 → 1,000,000
    expect(hex(out.subarray(16))).toBe(((3 << 26) | (125_000 << 9)).toString(16).padStart(8, '0'));
    const [req] = parseBitrateRequests(out);
    expect(req).toEqual({ kind: 'tmmbr', senderSsrc: 1, mediaSsrc: 2, bps: 1_000_000, overheadBytes: 0 });
  });

  it('small rates use exponent 0; the overhead field is clamped to 9 bits', () => {
    const out = new Uint8Array(TMMBR_BYTES);
    buildTmmbr(out, 1, 2, 64_000, 9999);
    expect(hex(out.subarray(16))).toBe(((64_000 << 9) | 511).toString(16).padStart(8, '0'));
    expect(parseBitrateRequests(out)[0]).toMatchObject({ bps: 64_000, overheadBytes: 511 });
  });
});

describe('REMB (goog-remb)', () => {
  it('encodes 1.5 Mbit/s as exponent 3, mantissa 187500 with one SSRC', () => {
    const out = new Uint8Array(REMB_BYTES);
    expect(buildRemb(out, 0x11223344, 0xaabbccdd, 1_500_000)).toBe(24);
    // 187,500 = 0x2dc6c; byte 17 = (3 << 2) | 0x2 = 0x0e
    expect(hex(out)).toBe('8fce0005' + '11223344' + '00000000' + '52454d42' + '010edc6c' + 'aabbccdd');
    expect(parseBitrateRequests(out)).toEqual([{ kind: 'remb', senderSsrc: 0x11223344, mediaSsrc: 0xaabbccdd, bps: 1_500_000, overheadBytes: 0 }]);
  });

  it('parses both out of a compound with a PLI before them, and a 10 Gbit/s cap round-trips within the mantissa precision', () => {
    const out = new Uint8Array(12 + TMMBR_BYTES + REMB_BYTES);
    let at = buildPli(out, 5, 6);
    at += buildTmmbr(out.subarray(at), 5, 6, 10e9, 40);
    buildRemb(out.subarray(at), 5, 6, 10e9);
    const reqs = parseBitrateRequests(out);
    expect(reqs.map((r) => r.kind)).toEqual(['tmmbr', 'remb']);
    for (const r of reqs) {
      expect(r.bps).toBeLessThanOrEqual(10e9);
      expect(r.bps).toBeGreaterThan(10e9 * (1 - 2 ** -16));
    }
  });
});

describe('splitBitrate and malformed input', () => {
  it('mantissa · 2^exponent is the largest representable value ≤ bps', () => {
    for (const bps of [0, 1, 131_071, 131_072, 131_073, 2_000_000, 123_456_789]) {
      const { exponent, mantissa } = splitBitrate(bps, 17);
      expect(mantissa).toBeLessThan(2 ** 17);
      expect(mantissa * 2 ** exponent).toBeLessThanOrEqual(bps);
      expect((mantissa + 1) * 2 ** exponent).toBeGreaterThan(bps);
    }
  });

  it('never throws on garbage and finds nothing in it', () => {
    const out = new Uint8Array(TMMBR_BYTES);
    buildTmmbr(out, 1, 2, 1000, 40);
    expect(parseBitrateRequests(out.subarray(0, 16))).toEqual([]);
    const bad = Uint8Array.from(out);
    bad[3] = 9; // length beyond the datagram
    expect(parseBitrateRequests(bad)).toEqual([]);
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const junk = new Uint8Array(4 * (1 + (i % 12)));
      for (let j = 0; j < junk.length; j++) junk[j] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      expect(() => parseBitrateRequests(junk)).not.toThrow();
    }
  });
});
