import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocateSpatialLayers, layerBitrates, planLayers, type ReceivedStream, type VideoDemand } from './layer-allocation.js';

const cam = (id: string, max = 2): VideoDemand => ({
  consumerId: id,
  layerBitratesBps: [150_000, 500_000, 1_200_000],
  maxSpatialLayer: max,
  priority: 'normal',
});

describe('allocateSpatialLayers', () => {
  it('gives everyone the top layer when the budget is ample', () => {
    const out = allocateSpatialLayers(10_000_000, [cam('a'), cam('b')]);
    expect([...out.values()]).toEqual([2, 2]);
  });

  it('keeps everyone on the lowest layer on a thin pipe rather than starving some', () => {
    const out = allocateSpatialLayers(400_000, [cam('a'), cam('b'), cam('c')]);
    expect([...out.values()]).toEqual([0, 0, 0]);
  });

  it('raises streams in turn, best first, so the remainder is shared', () => {
    // 3×150k = 450k base; 1.3M - 450k = 850k left: a→1 (350k), b→1 (350k), 150k left: c stays.
    const out = allocateSpatialLayers(1_300_000, [cam('a'), cam('b'), cam('c')]);
    expect(Object.fromEntries(out)).toEqual({ a: 1, b: 1, c: 0 });
  });

  it('raises the presentation fully before cameras share the rest', () => {
    const screen: VideoDemand = { consumerId: 's', layerBitratesBps: [200_000, 600_000, 1_500_000], maxSpatialLayer: 2, priority: 'high' };
    const out = allocateSpatialLayers(2_000_000, [cam('a'), screen, cam('b')]);
    expect(Object.fromEntries(out)).toEqual({ a: 0, s: 2, b: 0 });
  });

  it('never exceeds what the client asked for', () => {
    const out = allocateSpatialLayers(10_000_000, [cam('a', 0), cam('b', 1)]);
    expect(Object.fromEntries(out)).toEqual({ a: 0, b: 1 });
  });

  it('property: only base layers exceed the budget, and no stream could still be raised', () => {
    const demand = fc.record({
      rates: fc.array(fc.integer({ min: 10_000, max: 2_000_000 }), { minLength: 1, maxLength: 3 }).map((a) => a.sort((x, y) => x - y)),
      max: fc.integer({ min: 0, max: 3 }),
      high: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20_000_000 }), fc.array(demand, { maxLength: 12 }), (budget, ds) => {
        const demands: VideoDemand[] = ds.map((d, i) => ({ consumerId: `c${i}`, layerBitratesBps: d.rates, maxSpatialLayer: d.max, priority: d.high ? 'high' : 'normal' }));
        const out = allocateSpatialLayers(budget, demands);
        const cost = (d: VideoDemand, l: number) => d.layerBitratesBps[l]!;
        const base = demands.reduce((n, d) => n + cost(d, 0), 0);
        const used = demands.reduce((n, d) => n + cost(d, out.get(d.consumerId)!), 0);
        const top = (d: VideoDemand) => Math.min(d.maxSpatialLayer, d.layerBitratesBps.length - 1);
        expect(used <= Math.max(budget, base)).toBe(true);
        for (const d of demands) {
          const l = out.get(d.consumerId)!;
          expect(l).toBeGreaterThanOrEqual(0);
          expect(l).toBeLessThanOrEqual(top(d));
          if (used > base) expect(l === 0 || used <= budget).toBe(true);
          // Maximality: no single stream could take one more layer within the budget.
          if (l < top(d)) expect(used - cost(d, l) + cost(d, l + 1)).toBeGreaterThan(budget);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('layerBitrates', () => {
  it("uses the sender's maxBitrate per layer where given, typical values elsewhere", () => {
    expect(layerBitrates([{ maxBitrate: 100_000 }, {}, { maxBitrate: 900_000 }], 'camera')).toEqual([100_000, 500_000, 900_000]);
    expect(layerBitrates([{}, {}], 'camera')).toEqual([500_000, 1_200_000]);
    expect(layerBitrates([{}], 'screen')).toEqual([1_500_000]);
    expect(layerBitrates([], 'camera')).toEqual([800_000]);
  });
});

describe('planLayers', () => {
  const rates = [150_000, 500_000, 1_200_000];
  const camera = (participantId: string, extra: Partial<ReceivedStream> = {}): ReceivedStream => ({
    consumerId: `${participantId}-cam`,
    participantId,
    kind: 'video',
    source: 'camera',
    layerBitratesBps: rates,
    layered: true,
    ...extra,
  });
  const mic = (participantId: string): ReceivedStream => ({
    consumerId: `${participantId}-mic`,
    participantId,
    kind: 'audio',
    source: 'mic',
    layerBitratesBps: [],
    layered: false,
  });

  it('keeps the audio budget aside, then raises the most recent speaker first', () => {
    const streams = [mic('a'), mic('b'), camera('a'), camera('b')];
    // 700k − 2×40k audio = 620k; two cameras at 150k leave 320k: no raise (350k) fits.
    expect(Object.fromEntries(planLayers(700_000, 40_000, streams, ['b', 'a']))).toEqual({ 'b-cam': { spatialLayer: 0 }, 'a-cam': { spatialLayer: 0 } });
    // 800k leaves 420k: one raise fits, and it goes to b, who spoke last.
    expect(Object.fromEntries(planLayers(800_000, 40_000, streams, ['b', 'a']))).toEqual({ 'b-cam': { spatialLayer: 1 }, 'a-cam': { spatialLayer: 0 } });
    expect(Object.fromEntries(planLayers(800_000, 40_000, streams, ['a', 'b']))).toEqual({ 'a-cam': { spatialLayer: 1 }, 'b-cam': { spatialLayer: 0 } });
  });

  it('with no cap (0) everyone gets the top layer the client allows, with its temporal wish passed on', () => {
    const plan = planLayers(0, 40_000, [camera('a'), camera('b', { clientLayers: { spatialLayer: 1, temporalLayer: 0 } })], []);
    expect(Object.fromEntries(plan)).toEqual({ 'a-cam': { spatialLayer: 2 }, 'b-cam': { spatialLayer: 1, temporalLayer: 0 } });
  });

  it('counts a non-layered stream against the budget but plans nothing for it', () => {
    const screen: ReceivedStream = { ...camera('p'), consumerId: 'p-screen', source: 'screen', layerBitratesBps: [1_500_000], layered: false };
    const plan = planLayers(1_800_000, 0, [screen, camera('a')], ['a']);
    expect(Object.fromEntries(plan)).toEqual({ 'a-cam': { spatialLayer: 0 } });
  });
});
