import { UNLIMITED, type LicencePool } from './catalog.js';

/** Service-wide ceiling on participants in one meeting (SPEC §3). */
export const SERVICE_MAX_PARTICIPANTS_PER_MEETING = 100;

export interface CompanyLimits {
  /** Participants allowed in one meeting of this company (≤ 100). */
  perMeeting: number;
  /** Concurrent participants across all the company's meetings; null = only the service limits apply. */
  companyConcurrent: number | null;
  /** Concurrent calls into Microsoft / Google meetings (Connect/ERC licences). */
  cviMicrosoft: number;
  cviGoogle: number;
  /** Whether FullHD (1080p) is allowed on CVI calls. */
  fullHdCvi: boolean;
  /** Whether FullHD (1080p) is allowed on Teams Rooms / Zoom Rooms calls (seed 002 add-ons). */
  fullHdTeamsRooms: boolean;
  fullHdZoomRooms: boolean;
  branding: boolean;
  byoc: number;
  /**
   * Call bandwidth (kbps) for browsers and unregistered callers in the company's meetings: the
   * company's own setting, else the service default. Provisioned endpoints get their tier instead.
   */
  maxCallBandwidthKbps: number;
}

export interface LimitPolicy {
  /** Concurrent participants each Enterprise User Licence contributes company-wide. */
  participantsPerEul: number;
  /** Cap on a company in Evaluation Mode without paid licences. */
  evaluationConcurrent: number;
  /** Call bandwidth for browsers/unregistered callers when a company sets none. */
  defaultMaxCallBandwidthKbps: number;
}

/**
 * Derives meeting limits from licence capacities. Why these rules: an EUL is a VMR; a busy VMR
 * seats several people, so each EUL adds `participantsPerEul` company-wide seats; an Enterprise
 * Wide Agreement (unlimited EULs) removes the company-wide cap. Endpoints add one seat each.
 */
export function companyLimits(
  capacity: Partial<Record<LicencePool, number>>,
  opts: { perMeetingOverride: number | null; evaluationOpen: boolean; policy: LimitPolicy; maxCallBandwidthKbps?: number | null | undefined },
): CompanyLimits {
  const eul = capacity.eul ?? 0;
  const endpoints = (capacity.endpoint_basic ?? 0) + (capacity.endpoint_plus ?? 0) + (capacity.endpoint_premium ?? 0);
  let companyConcurrent: number | null;
  if (eul === UNLIMITED) companyConcurrent = null;
  else {
    companyConcurrent = eul * opts.policy.participantsPerEul + endpoints;
    if (opts.evaluationOpen) companyConcurrent = Math.max(companyConcurrent, opts.policy.evaluationConcurrent);
  }
  const perMeeting = Math.min(SERVICE_MAX_PARTICIPANTS_PER_MEETING, opts.perMeetingOverride ?? SERVICE_MAX_PARTICIPANTS_PER_MEETING);
  return {
    perMeeting,
    companyConcurrent,
    cviMicrosoft: Math.max(0, capacity.connect_microsoft ?? 0),
    cviGoogle: Math.max(0, capacity.connect_google ?? 0),
    fullHdCvi: (capacity.fullhd_cvi ?? 0) !== 0,
    fullHdTeamsRooms: (capacity.fullhd_teams_rooms ?? 0) !== 0,
    fullHdZoomRooms: (capacity.fullhd_zoom_rooms ?? 0) !== 0,
    branding: (capacity.branding ?? 0) !== 0,
    // BYOC needs an Endpoint licence each; if endpoint plans lapsed, the usable BYOC count shrinks too.
    byoc: Math.max(0, Math.min(capacity.byoc ?? 0, endpoints)),
    maxCallBandwidthKbps: opts.maxCallBandwidthKbps ?? opts.policy.defaultMaxCallBandwidthKbps,
  };
}
