import { describe, expect, it } from 'vitest';
import { isRtcp, parseRtp, readAudioLevel, rtpHeaderLength, writeRtpPacket, RtpWriteError } from './rtp-packet.js';

/** Build a packet by hand (independent of writeRtpPacket) from its parts. */
function packet(opts: { csrcs?: number[]; ext?: { profile: number; body: number[] }; payload?: number[]; padding?: number; marker?: boolean; pt?: number }): Uint8Array {
  const bytes: number[] = [];
  const cc = opts.csrcs?.length ?? 0;
  bytes.push(0x80 | (opts.padding ? 0x20 : 0) | (opts.ext ? 0x10 : 0) | cc, (opts.marker ? 0x80 : 0) | (opts.pt ?? 96));
  bytes.push(0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04);
  for (const c of opts.csrcs ?? []) bytes.push(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff);
  if (opts.ext) {
    const words = Math.ceil(opts.ext.body.length / 4);
    bytes.push(opts.ext.profile >> 8, opts.ext.profile & 0xff, words >> 8, words & 0xff, ...opts.ext.body);
    for (let i = opts.ext.body.length; i < words * 4; i++) bytes.push(0);
  }
  bytes.push(...(opts.payload ?? [1, 2, 3]));
  if (opts.padding) {
    for (let i = 1; i < opts.padding; i++) bytes.push(0);
    bytes.push(opts.padding);
  }
  return new Uint8Array(bytes);
}

describe('parseRtp', () => {
  it('reads the fixed header', () => {
    const v = parseRtp(packet({ marker: true, pt: 8 }))!;
    expect(v).toMatchObject({ marker: true, payloadType: 8, sequenceNumber: 0x1234, timestamp: 0xdeadbeef, ssrc: 0x01020304, csrcCount: 0, payloadOffset: 12, payloadLength: 3, extensionOffset: -1, extensionLength: 0, extensionProfile: -1 });
  });

  it('skips CSRCs, the extension, and excludes padding from the payload', () => {
    const buf = packet({ csrcs: [1, 2], ext: { profile: 0xbede, body: [0x10, 0x85] }, payload: [9, 8, 7, 6, 5], padding: 3 });
    const v = parseRtp(buf)!;
    expect(v.csrcCount).toBe(2);
    expect(v.extensionProfile).toBe(0xbede);
    expect(v.extensionOffset).toBe(12 + 8 + 4);
    expect(v.extensionLength).toBe(4);
    expect(v.payloadOffset).toBe(12 + 8 + 8);
    expect(v.payloadLength).toBe(5);
    expect([...buf.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength)]).toEqual([9, 8, 7, 6, 5]);
  });

  it('returns null for short, wrong-version, overlong CSRC/extension/padding and RTCP', () => {
    expect(parseRtp(new Uint8Array(11))).toBeNull();
    const v1 = packet({});
    v1[0] = 0x40;
    expect(parseRtp(v1)).toBeNull();
    const cc = packet({ payload: [] });
    cc[0] = 0x80 | 2; // claims two CSRCs, has none
    expect(parseRtp(cc)).toBeNull();
    const ext = packet({ ext: { profile: 0xbede, body: [0, 0, 0, 0] }, payload: [] });
    ext[15] = 2; // claims 2 words of extension, has 1
    expect(parseRtp(ext)).toBeNull();
    const pad = packet({ payload: [1, 2] });
    pad[0]! |= 0x20;
    pad[pad.length - 1] = 50;
    expect(parseRtp(pad)).toBeNull();
    pad[pad.length - 1] = 0;
    expect(parseRtp(pad)).toBeNull();
    expect(parseRtp(packet({ marker: true, pt: 72 }))).toBeNull(); // second byte 200: an SR
  });

  it('never throws on random bytes, and every view it returns stays inside the buffer', () => {
    let seed = 99;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff;
    let parsed = 0;
    for (let i = 0; i < 20000; i++) {
      const buf = new Uint8Array(rand() % 64).map(rand);
      if (buf.length > 0) buf[0] = (buf[0]! & 0x3f) | 0x80; // mostly version 2, so the length checks get exercised
      const v = parseRtp(buf);
      if (!v) continue;
      parsed++;
      expect(v.payloadOffset + v.payloadLength).toBeLessThanOrEqual(buf.length);
      expect(v.payloadLength).toBeGreaterThanOrEqual(0);
      readAudioLevel(buf, v, 1);
      readAudioLevel(buf, v, 0);
    }
    expect(parsed).toBeGreaterThan(100);
  });
});

describe('RFC 8285 extensions and RFC 6464 audio level', () => {
  it('finds the level among other one-byte elements and padding', () => {
    // id 3 (2 bytes), padding 0, id 1 level: V=1, 42
    const buf = packet({ ext: { profile: 0xbede, body: [0x31, 0xaa, 0xbb, 0x00, 0x10, 0x80 | 42] } });
    const v = parseRtp(buf)!;
    expect(readAudioLevel(buf, v, 1)).toEqual({ level: 42, voice: true });
    expect(readAudioLevel(buf, v, 5)).toBeNull();
  });

  it('reads the two-byte form', () => {
    const buf = packet({ ext: { profile: 0x1000, body: [7, 2, 0xee, 0xff, 0, 4, 1, 90] } });
    const v = parseRtp(buf)!;
    expect(readAudioLevel(buf, v, 4)).toEqual({ level: 90, voice: false });
  });

  it('stops at id 15 and refuses an element running past the block', () => {
    const stop = packet({ ext: { profile: 0xbede, body: [0xf0, 0x10, 0x05, 0] } });
    expect(readAudioLevel(stop, parseRtp(stop)!, 1)).toBeNull();
    const over = packet({ ext: { profile: 0xbede, body: [0x2f, 0, 0, 0] } }); // id 2 claims 16 bytes
    expect(readAudioLevel(over, parseRtp(over)!, 2)).toBeNull();
  });

  it('ignores a non-RFC 8285 profile', () => {
    const buf = packet({ ext: { profile: 0x1234, body: [0x10, 0x80, 0, 0] } });
    expect(readAudioLevel(buf, parseRtp(buf)!, 1)).toBeNull();
  });
});

describe('writeRtpPacket', () => {
  it('writes a header + payload that parseRtp reads back, without audio level', () => {
    const out = new Uint8Array(100);
    const n = writeRtpPacket(out, { marker: true, payloadType: 0, sequenceNumber: 65535, timestamp: 0xffffffff, ssrc: 0x80000001 }, new Uint8Array([5, 6, 7]));
    expect(n).toBe(15);
    const v = parseRtp(out.subarray(0, n))!;
    expect(v).toMatchObject({ marker: true, payloadType: 0, sequenceNumber: 65535, timestamp: 0xffffffff, ssrc: 0x80000001, payloadOffset: 12, payloadLength: 3, extensionOffset: -1 });
  });

  it('writes the audio level as a one-byte extension that readAudioLevel reads back', () => {
    const out = new Uint8Array(200);
    const payload = new Uint8Array(160).fill(0xff);
    const n = writeRtpPacket(out, { marker: false, payloadType: 9, sequenceNumber: 1, timestamp: 2, ssrc: 3, audioLevel: { extensionId: 14, level: 127, voice: false } }, payload);
    expect(n).toBe(12 + 8 + 160);
    const buf = out.subarray(0, n);
    const v = parseRtp(buf)!;
    expect(v.extensionProfile).toBe(0xbede);
    expect(v.payloadOffset).toBe(20);
    expect(v.payloadLength).toBe(160);
    expect(readAudioLevel(buf, v, 14)).toEqual({ level: 127, voice: false });
    expect(rtpHeaderLength(buf)).toBe(20);
  });

  it('refuses a small buffer or an id outside 1–14 with a coded error', () => {
    const h = { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 };
    expect(() => writeRtpPacket(new Uint8Array(14), h, new Uint8Array(3))).toThrow(RtpWriteError);
    expect(() => writeRtpPacket(new Uint8Array(40), { ...h, audioLevel: { extensionId: 15, level: 0, voice: true } }, new Uint8Array(3))).toThrow(/1–14/);
  });
});

describe('isRtcp (RFC 5761 §4)', () => {
  it('tells RTCP packet types 192–223 from RTP payload types', () => {
    expect(isRtcp(new Uint8Array([0x80, 200]))).toBe(true);
    expect(isRtcp(new Uint8Array([0x81, 201]))).toBe(true);
    expect(isRtcp(new Uint8Array([0x80, 0]))).toBe(false);
    expect(isRtcp(new Uint8Array([0x80, 0x80 | 111]))).toBe(false); // Opus with marker: 239
    expect(isRtcp(new Uint8Array([0x80]))).toBe(false);
  });
});
