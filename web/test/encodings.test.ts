import { describe, expect, it } from 'vitest';
import { CALL_BANDWIDTHS_KBPS } from '../../server/src/protocol/index.js';
import { cameraConstraints, cameraEncodings, chooseVideoCodec, screenMaxBitrate } from '../src/media/encodings.js';

describe('camera simulcast encodings', () => {
  it.each(CALL_BANDWIDTHS_KBPS)('at %i kbps: three layers, rising, that together fit the call bandwidth', (kbps) => {
    const layers = cameraEncodings(kbps);
    expect(layers.map((l) => l.rid)).toEqual(['r0', 'r1', 'r2']);
    expect(layers.map((l) => l.scaleResolutionDownBy)).toEqual([4, 2, 1]);
    const rates = layers.map((l) => l.maxBitrate);
    expect([...rates].sort((a, b) => a - b)).toEqual(rates);
    expect(rates.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(kbps * 1000);
    expect(screenMaxBitrate(kbps)).toBeLessThanOrEqual(kbps * 1000);
  });

  it('gives a faster call a better top layer', () => {
    expect(cameraEncodings(4000)[2]!.maxBitrate).toBeGreaterThan(cameraEncodings(576)[2]!.maxBitrate);
  });
});

describe('camera capture size', () => {
  it('never asks for more than 720p unless the join answer allows 1080p (a FullHD add-on)', () => {
    expect(cameraConstraints(4000)).toMatchObject({ height: { ideal: 720, max: 720 } });
    expect(cameraConstraints(4000, 720)).toMatchObject({ height: { ideal: 720, max: 720 } });
    expect(cameraConstraints(4000, 1080)).toMatchObject({ height: { ideal: 1080, max: 1080 } });
    expect(cameraConstraints(576, 1080)).toMatchObject({ height: { ideal: 360 } });
  });
});

describe('camera codec', () => {
  const vp8 = { mimeType: 'video/VP8', parameters: {} };
  const h264 = { mimeType: 'video/H264', parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 } };
  const h264Mode0 = { mimeType: 'video/H264', parameters: { 'packetization-mode': 0, 'profile-level-id': '42e01f' } };
  const high = { mimeType: 'video/H264', parameters: { 'packetization-mode': 1, 'profile-level-id': '640c1f' } };
  // What Debian's Chromium reports (RTCRtpSender.getCapabilities('video')), H.264 part.
  const chromiumSender = [
    { mimeType: 'video/VP8' },
    { mimeType: 'video/H264', sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f' },
    { mimeType: 'video/H264', sdpFmtpLine: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f' },
  ];

  it('H.264 constrained baseline (packetization-mode 1) when the router offers it and the browser encodes it', () => {
    expect(chooseVideoCodec([vp8, h264], chromiumSender)).toBe(h264);
  });

  it('VP8 when the browser cannot encode H.264, or the router offers no usable H.264', () => {
    expect(chooseVideoCodec([vp8, h264], [{ mimeType: 'video/VP8' }])).toBe(vp8);
    expect(chooseVideoCodec([vp8, h264], null)).toBe(vp8);
    expect(chooseVideoCodec([vp8, h264], [{ mimeType: 'video/H264', sdpFmtpLine: 'packetization-mode=0;profile-level-id=42e01f' }])).toBe(vp8);
    expect(chooseVideoCodec([vp8, h264Mode0, high], chromiumSender)).toBe(vp8);
    expect(chooseVideoCodec([vp8], chromiumSender)).toBe(vp8);
    expect(chooseVideoCodec([], chromiumSender)).toBeUndefined();
  });
});
