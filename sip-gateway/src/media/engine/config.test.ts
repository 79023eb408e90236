import { describe, expect, it } from 'vitest';
import { autoWorkerCount, mediaEngineConfigSchema } from './config.js';
import { PortAllocator } from './port-allocator.js';

describe('mediaEngineConfigSchema', () => {
  it('defaults every key to something that runs on a laptop', () => {
    expect(mediaEngineConfigSchema.parse({})).toEqual({
      workers: 0,
      rtpListenIp: '127.0.0.1',
      announcedIp: null,
      rtpMinPort: 30000,
      rtpMaxPort: 34999,
      inactivityTimeoutMs: 30000,
      maxSpeakers: 4,
      jitterMinMs: 40,
      jitterMaxMs: 120,
      rtcpIntervalMs: 5000,
      threadNice: -10,
      udpIo: 'auto',
    });
  });

  it("refuses port ranges inside mediasoup's media ranges, and accepts 0/0", () => {
    expect(() => mediaEngineConfigSchema.parse({ rtpMinPort: 39000, rtpMaxPort: 40100 })).toThrow(/mediasoup/);
    expect(() => mediaEngineConfigSchema.parse({ rtpMinPort: 50000, rtpMaxPort: 50100 })).toThrow(/mediasoup/);
    expect(mediaEngineConfigSchema.parse({ rtpMinPort: 0, rtpMaxPort: 0 }).rtpMinPort).toBe(0);
    expect(() => mediaEngineConfigSchema.parse({ rtpMinPort: 31000, rtpMaxPort: 30000 })).toThrow();
    expect(() => mediaEngineConfigSchema.parse({ jitterMinMs: 200, jitterMaxMs: 100 })).toThrow();
  });

  it('auto-sizes the pool to half the cores, at least one', () => {
    expect(autoWorkerCount(1)).toBe(1);
    expect(autoWorkerCount(2)).toBe(1);
    expect(autoWorkerCount(8)).toBe(4);
  });
});

describe('PortAllocator.slice', () => {
  it('gives each worker a disjoint even-aligned slice covering the range', () => {
    const slices = [0, 1, 2].map((i) => PortAllocator.slice(30000, 34999, i, 3));
    expect(slices[0]).toEqual({ lo: 30000, hi: 31665 });
    expect(slices[1]!.lo).toBe(31666);
    expect(slices[2]!.hi).toBe(34999);
    for (const s of slices) expect(s.lo % 2).toBe(0);
    expect(slices[1]!.lo).toBeGreaterThan(slices[0]!.hi);
    expect(slices[2]!.lo).toBeGreaterThan(slices[1]!.hi);
  });
});
