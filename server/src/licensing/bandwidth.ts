/**
 * Call bandwidth policy (SPEC §4, seed 002): which rate a participant's call may use, both ways.
 * Pure: the meetings core asks it at join with what the entry point, the licences and the company
 * settings say; the SFU (transport max bitrates, simulcast layers) and the SIP gateway (b=AS/TIAS,
 * TMMBR/REMB) enforce the answer.
 */

/** Endpoint licence tiers and the call rate each buys (seed 002: Basic 768 kbps, Plus 1.5 Mbps, Premium 4 Mbps). */
export const ENDPOINT_TIER_KBPS = { basic: 768, plus: 1500, premium: 4000 } as const;
export type EndpointTierName = keyof typeof ENDPOINT_TIER_KBPS;

/**
 * The most any call gets: the Premium tier and the highest browser choice. 1080p H.264 fits in it,
 * so FullHD add-ons raise the resolution, not this ceiling.
 */
export const SERVICE_MAX_CALL_KBPS = 4000;
/** The least a call is given, whatever an SDP or a setting says: audio (Opus/G.722 + RTCP) must still fit. */
export const MIN_CALL_KBPS = 64;

/** What set a participant's rate. `requested`: its own choice (or nothing lower applied). */
export type BandwidthCapSource = 'requested' | 'endpoint_tier' | 'company_policy' | 'sdp' | 'service_max';

export interface CallBandwidthInput {
  /** What the participant chose (browser) or the entry point asks for; null = no preference. */
  requestedKbps: number | null;
  /**
   * A provisioned endpoint's licence tier; null for browsers and unregistered callers. An unknown
   * name counts as Basic: a tier we cannot read must not buy more than the cheapest licence.
   */
  endpointTier: string | null;
  /**
   * The room's company policy for browsers and unregistered callers; null = none. It does not
   * lower a provisioned endpoint, whose tier is a licence bought for exactly that rate.
   */
  companyMaxKbps: number | null;
  /** The call bandwidth the caller's SDP asks for (b=AS, or b=TIAS / 1000); null = not given. */
  sdpAsKbps: number | null;
}

export interface CallBandwidthCap {
  /** The rate the call may use, both ways. */
  kbps: number;
  /** The limit that set `kbps` (the lowest one; on a tie the participant's own choice wins, then tier, policy, SDP). */
  cappedBy: BandwidthCapSource;
  /** The participant's own choice, as given (null = none). */
  requestedKbps: number | null;
}

/** A usable limit: a finite positive number; anything else (NaN, 0, negative) is ignored. */
function usable(v: number | null): number | null {
  return v !== null && Number.isFinite(v) && v > 0 ? v : null;
}

/** The endpoint tier's rate; unknown names get Basic's. */
export function tierKbps(tier: string): number {
  return Object.hasOwn(ENDPOINT_TIER_KBPS, tier) ? ENDPOINT_TIER_KBPS[tier as EndpointTierName] : ENDPOINT_TIER_KBPS.basic;
}

/**
 * The lowest of: the participant's own choice, its endpoint tier (provisioned endpoints) or its
 * company's policy (browsers, unregistered callers), the rate its SDP asks for, and the service
 * ceiling; never below MIN_CALL_KBPS. Whole kbps.
 */
export function callBandwidthCap(input: CallBandwidthInput): CallBandwidthCap {
  const requested = usable(input.requestedKbps);
  const candidates: Array<[number | null, BandwidthCapSource]> = [
    [requested, 'requested'],
    [input.endpointTier !== null ? tierKbps(input.endpointTier) : null, 'endpoint_tier'],
    [input.endpointTier === null ? usable(input.companyMaxKbps) : null, 'company_policy'],
    [usable(input.sdpAsKbps), 'sdp'],
    [SERVICE_MAX_CALL_KBPS, 'service_max'],
  ];
  let kbps = Number.POSITIVE_INFINITY;
  let cappedBy: BandwidthCapSource = 'service_max';
  for (const [limit, source] of candidates) {
    if (limit !== null && limit < kbps) {
      kbps = limit;
      cappedBy = source;
    }
  }
  return { kbps: Math.max(MIN_CALL_KBPS, Math.floor(kbps)), cappedBy, requestedKbps: input.requestedKbps };
}
