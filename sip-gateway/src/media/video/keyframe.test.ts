import { describe, expect, it } from 'vitest';
import { isH264KeyframeStart, isKeyframeStart, isVp8KeyframeStart } from './keyframe.js';

const h264 = (bytes: number[]): boolean => isH264KeyframeStart(Uint8Array.from(bytes), 0, bytes.length);
const vp8 = (bytes: number[]): boolean => isVp8KeyframeStart(Uint8Array.from(bytes), 0, bytes.length);

describe('H.264 keyframe start (RFC 6184)', () => {
  it('single NAL: IDR (5) and SPS (7) start a keyframe; non-IDR slice (1), PPS (8), SEI (6) do not', () => {
    expect(h264([0x65, 0x88, 0x84])).toBe(true);
    expect(h264([0x67, 0x42, 0xe0, 0x1f])).toBe(true);
    expect(h264([0x41, 0x9a, 0x00])).toBe(false);
    expect(h264([0x68, 0xce, 0x3c, 0x80])).toBe(false);
    expect(h264([0x06, 0x05, 0xff])).toBe(false);
  });

  it('forbidden bit set or empty payload is never a keyframe', () => {
    expect(h264([0xe5, 0x88])).toBe(false);
    expect(h264([])).toBe(false);
  });

  it('STAP-A: an aggregate holding an SPS or IDR is; one of SEI + PPS only is not; a size past the end is not', () => {
    const sps = [0x67, 0x42, 0xe0, 0x1f];
    const pps = [0x68, 0xce, 0x3c, 0x80];
    const sei = [0x06, 0x05, 0x01, 0x80];
    const stap = (...nals: number[][]): number[] => [0x78, ...nals.flatMap((n) => [n.length >> 8, n.length & 0xff, ...n])];
    expect(h264(stap(sei, sps, pps))).toBe(true);
    expect(h264(stap(pps, [0x65, 0x88]))).toBe(true);
    expect(h264(stap(sei, pps))).toBe(false);
    expect(h264([0x78, 0x00, 0x09, 0x67, 0x42])).toBe(false); // claims 9 bytes, has 2
    expect(h264([0x78, 0x00, 0x00, 0x67])).toBe(false); // zero-size NAL
  });

  it('FU-A: the start fragment of an IDR is; middle/end fragments and non-IDR starts are not', () => {
    expect(h264([0x7c, 0x85, 0xb8])).toBe(true); // S=1, type 5
    expect(h264([0x7c, 0x05, 0xb8])).toBe(false); // middle
    expect(h264([0x7c, 0x45, 0xb8])).toBe(false); // end
    expect(h264([0x5c, 0x81, 0x9a])).toBe(false); // S=1, type 1
    expect(h264([0x7c])).toBe(false); // truncated
  });

  it('reads the payload at an offset inside a larger buffer and never past the given length', () => {
    const buf = Uint8Array.from([0, 0, 0, 0x65, 0x41]);
    expect(isKeyframeStart('h264', buf, 3, 1)).toBe(true);
    expect(isKeyframeStart('h264', buf, 4, 1)).toBe(false);
    expect(isKeyframeStart('h264', buf, 4, 5)).toBe(false); // length past the buffer
  });
});

describe('VP8 keyframe start (RFC 7741, RFC 6386)', () => {
  const keyTag = [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01];
  const interTag = [0x31, 0x07, 0x00, 0x14, 0x11, 0x38];

  it('S=1 PID=0 and a key frame tag with the start code is; an inter frame or a continuation packet is not', () => {
    expect(vp8([0x10, ...keyTag])).toBe(true); // minimal descriptor
    expect(vp8([0x10, ...interTag])).toBe(false);
    expect(vp8([0x00, ...keyTag])).toBe(false); // S=0: not the start of the frame
    expect(vp8([0x11, ...keyTag])).toBe(false); // PID=1
  });

  it('walks the extended descriptor: 15- and 7-bit PictureID, TL0PICIDX, TID/KEYIDX', () => {
    expect(vp8([0x90, 0x80, 0x80, 0x01, ...keyTag])).toBe(true); // I, 15-bit
    expect(vp8([0x90, 0x80, 0x05, ...keyTag])).toBe(true); // I, 7-bit
    expect(vp8([0x90, 0xf0, 0x80, 0x01, 0x07, 0x20, ...keyTag])).toBe(true); // I L T K
    expect(vp8([0x90, 0xf0, 0x80, 0x01, 0x07, 0x20, ...interTag])).toBe(false);
  });

  it('a key frame bit without the start code, or a truncated header, is not a keyframe', () => {
    expect(vp8([0x10, 0x50, 0x42, 0x00, 0x00, 0x00, 0x00])).toBe(false);
    expect(vp8([0x10, 0x50, 0x42, 0x00, 0x9d])).toBe(false);
    expect(vp8([0x90, 0x80])).toBe(false);
    expect(vp8([])).toBe(false);
  });
});
