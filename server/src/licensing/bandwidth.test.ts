import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENDPOINT_TIER_KBPS, MIN_CALL_KBPS, SERVICE_MAX_CALL_KBPS, callBandwidthCap } from './index.js';

const none = { requestedKbps: null, endpointTier: null, companyMaxKbps: null, sdpAsKbps: null };

describe('callBandwidthCap (SPEC §4)', () => {
  it('gives each endpoint tier its seed 002 rate: Basic 768, Plus 1500, Premium 4000 kbps', () => {
    expect(ENDPOINT_TIER_KBPS).toEqual({ basic: 768, plus: 1500, premium: 4000 });
    for (const [tier, kbps] of Object.entries(ENDPOINT_TIER_KBPS)) {
      expect(callBandwidthCap({ ...none, endpointTier: tier, sdpAsKbps: 6000 })).toEqual({ kbps, cappedBy: 'endpoint_tier', requestedKbps: null });
    }
  });

  it("caps a browser's choice by its company's policy, and says so", () => {
    expect(callBandwidthCap({ ...none, requestedKbps: 2400, companyMaxKbps: 576 })).toEqual({ kbps: 576, cappedBy: 'company_policy', requestedKbps: 2400 });
    // A choice under the policy stands.
    expect(callBandwidthCap({ ...none, requestedKbps: 256, companyMaxKbps: 576 })).toEqual({ kbps: 256, cappedBy: 'requested', requestedKbps: 256 });
    // Equal: the participant's own choice is what binds (nothing was taken away).
    expect(callBandwidthCap({ ...none, requestedKbps: 576, companyMaxKbps: 576 }).cappedBy).toBe('requested');
  });

  it("an unregistered caller: the company default, or its SDP's b=AS when lower", () => {
    expect(callBandwidthCap({ ...none, companyMaxKbps: 1200, sdpAsKbps: 2048 })).toMatchObject({ kbps: 1200, cappedBy: 'company_policy' });
    expect(callBandwidthCap({ ...none, companyMaxKbps: 1200, sdpAsKbps: 512 })).toMatchObject({ kbps: 512, cappedBy: 'sdp' });
  });

  it('a provisioned endpoint: its tier, not the company policy for browsers; a lower SDP rate still wins', () => {
    expect(callBandwidthCap({ ...none, endpointTier: 'premium', companyMaxKbps: 576 })).toMatchObject({ kbps: 4000, cappedBy: 'endpoint_tier' });
    expect(callBandwidthCap({ ...none, endpointTier: 'plus', sdpAsKbps: 1024 })).toMatchObject({ kbps: 1024, cappedBy: 'sdp' });
    expect(callBandwidthCap({ ...none, endpointTier: 'basic', requestedKbps: 256 })).toMatchObject({ kbps: 256, cappedBy: 'requested' });
  });

  it('an unknown tier name buys no more than Basic', () => {
    expect(callBandwidthCap({ ...none, endpointTier: 'platinum' })).toMatchObject({ kbps: 768, cappedBy: 'endpoint_tier' });
    expect(callBandwidthCap({ ...none, endpointTier: '__proto__' })).toMatchObject({ kbps: 768 });
  });

  it('nothing given: the service ceiling; nonsense limits are ignored; never below the audio floor', () => {
    expect(callBandwidthCap(none)).toMatchObject({ kbps: SERVICE_MAX_CALL_KBPS, cappedBy: 'service_max' });
    expect(callBandwidthCap({ ...none, requestedKbps: 10_000 })).toMatchObject({ kbps: 4000, cappedBy: 'service_max' });
    expect(callBandwidthCap({ ...none, requestedKbps: 1200, sdpAsKbps: 0, companyMaxKbps: Number.NaN })).toMatchObject({ kbps: 1200, cappedBy: 'requested' });
    expect(callBandwidthCap({ ...none, requestedKbps: 1200, sdpAsKbps: -5 })).toMatchObject({ kbps: 1200 });
    expect(callBandwidthCap({ ...none, requestedKbps: 1200, sdpAsKbps: 16 })).toMatchObject({ kbps: MIN_CALL_KBPS, cappedBy: 'sdp' });
    expect(callBandwidthCap({ ...none, sdpAsKbps: 999.7 }).kbps).toBe(999);
  });

  it('the result is never above any usable limit that applies, nor above the ceiling (property)', () => {
    const limit = fc.option(fc.oneof(fc.integer({ min: -10, max: 20_000 }), fc.constant(Number.NaN)), { nil: null });
    fc.assert(
      fc.property(limit, limit, limit, fc.option(fc.constantFrom('basic', 'plus', 'premium', 'x'), { nil: null }), (requestedKbps, companyMaxKbps, sdpAsKbps, endpointTier) => {
        const r = callBandwidthCap({ requestedKbps, companyMaxKbps, sdpAsKbps, endpointTier });
        const applies = [requestedKbps, sdpAsKbps, endpointTier === null ? companyMaxKbps : null].filter((v): v is number => v !== null && v > 0);
        for (const v of applies) expect(r.kbps).toBeLessThanOrEqual(Math.max(MIN_CALL_KBPS, v));
        expect(r.kbps).toBeLessThanOrEqual(SERVICE_MAX_CALL_KBPS);
        expect(r.kbps).toBeGreaterThanOrEqual(MIN_CALL_KBPS);
        if (endpointTier !== null) expect(r.kbps).toBeLessThanOrEqual(endpointTier === 'x' ? 768 : ENDPOINT_TIER_KBPS[endpointTier as 'basic']);
      }),
      { numRuns: 500 },
    );
  });
});
