import { describe, expect, it } from 'vitest';
import { CALL_BANDWIDTHS_KBPS } from '../../server/src/protocol/index.js';
import { cameraConstraints, cameraEncodings, screenMaxBitrate } from '../src/media/encodings.js';

describe('camera simulcast encodings', () => {
  it.each(CALL_BANDWIDTHS_KBPS)('at %i kbps: three VP8 layers, rising, that together fit the call bandwidth', (kbps) => {
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
