import { describe, expect, it } from 'vitest';
import { UNLIMITED, addTerm, companyLimits, planType, planTypes, sumCapacity } from './index.js';

const policy = { participantsPerEul: 10, evaluationConcurrent: 20, defaultMaxCallBandwidthKbps: 4000 };

describe('plan catalog (seed 002)', () => {
  it('ERC Basic is renewal-only; Connect Standard/Essentials and ERC include one Domain Hosting licence', () => {
    expect(planTypes().filter((t) => !t.orderable).map((t) => t.id)).toEqual(['erc_basic_microsoft', 'erc_basic_google']);
    for (const id of ['connect_standard_microsoft', 'connect_standard_google', 'connect_essentials_microsoft', 'connect_essentials_google', 'erc_basic_microsoft', 'erc_basic_google']) {
      expect(planType(id)?.provides(7).domain_hosting).toBe(1);
    }
    expect(planType('enterprise_wide')?.provides(1)).toEqual({ eul: UNLIMITED });
    expect(new Set(planTypes().map((t) => t.sku)).size).toBe(planTypes().length);
  });

  it('adds billing terms in UTC months, clamping to the month end', () => {
    expect(new Date(addTerm(Date.UTC(2026, 0, 31), 'monthly')).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(new Date(addTerm(Date.UTC(2026, 0, 15, 12), 'quarterly')).toISOString()).toBe('2026-04-15T12:00:00.000Z');
    expect(new Date(addTerm(Date.UTC(2024, 1, 29), 'annual')).toISOString()).toBe('2025-02-28T00:00:00.000Z');
  });

  it('sums capacities; unlimited wins', () => {
    expect(sumCapacity([{ pools: { eul: 3 } }, { pools: { eul: 2, byoc: 1 } }])).toEqual({ eul: 5, byoc: 1 });
    expect(sumCapacity([{ pools: { eul: 3 } }, { pools: { eul: UNLIMITED } }])).toEqual({ eul: UNLIMITED });
  });
});

describe('company limits from licences', () => {
  it('derives per-meeting and company-wide limits', () => {
    expect(companyLimits({ eul: 3, endpoint_basic: 2 }, { perMeetingOverride: null, evaluationOpen: false, policy })).toMatchObject({ perMeeting: 100, companyConcurrent: 32 });
    expect(companyLimits({ eul: 3 }, { perMeetingOverride: 25, evaluationOpen: false, policy }).perMeeting).toBe(25);
    expect(companyLimits({ eul: 3 }, { perMeetingOverride: 500, evaluationOpen: false, policy }).perMeeting).toBe(100);
    expect(companyLimits({ eul: UNLIMITED }, { perMeetingOverride: null, evaluationOpen: false, policy }).companyConcurrent).toBeNull();
    expect(companyLimits({}, { perMeetingOverride: null, evaluationOpen: true, policy }).companyConcurrent).toBe(20);
    expect(companyLimits({}, { perMeetingOverride: null, evaluationOpen: false, policy }).companyConcurrent).toBe(0);
    expect(companyLimits({ connect_microsoft: 4, fullhd_cvi: 1, byoc: 2, endpoint_plus: 3 }, { perMeetingOverride: null, evaluationOpen: false, policy })).toMatchObject({ cviMicrosoft: 4, fullHdCvi: true, byoc: 2 });
    // BYOC is usable only up to the Endpoint licences (1 per endpoint licence), e.g. after an endpoint plan lapsed.
    expect(companyLimits({ byoc: 2, endpoint_basic: 1 }, { perMeetingOverride: null, evaluationOpen: false, policy }).byoc).toBe(1);
  });

  it("gives the company's call bandwidth policy, else the service default, and each FullHD add-on separately", () => {
    const opts = { perMeetingOverride: null, evaluationOpen: false, policy };
    expect(companyLimits({ eul: 1 }, opts).maxCallBandwidthKbps).toBe(4000);
    expect(companyLimits({ eul: 1 }, { ...opts, maxCallBandwidthKbps: null }).maxCallBandwidthKbps).toBe(4000);
    expect(companyLimits({ eul: 1 }, { ...opts, maxCallBandwidthKbps: 576 }).maxCallBandwidthKbps).toBe(576);
    expect(companyLimits({ eul: 1 }, { ...opts, policy: { ...policy, defaultMaxCallBandwidthKbps: 1200 } }).maxCallBandwidthKbps).toBe(1200);
    expect(companyLimits({ fullhd_teams_rooms: 2 }, opts)).toMatchObject({ fullHdCvi: false, fullHdTeamsRooms: true, fullHdZoomRooms: false });
    expect(companyLimits({ fullhd_zoom_rooms: 1 }, opts)).toMatchObject({ fullHdCvi: false, fullHdTeamsRooms: false, fullHdZoomRooms: true });
  });
});
