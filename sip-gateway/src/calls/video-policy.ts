/**
 * Pure policy for a call's video: what its cap is before the meeting core has decided (tier and
 * SDP; the core adds the company policy at join), what the SDP asks for, which simulcast layer and
 * resolution the cap allows. Tiers and company policy themselves live in server/src/licensing.
 */
import { SERVICE_MAX_CALL_KBPS, callBandwidthCap } from '../../../server/src/licensing/index.js';
import type { MaxResolution, NegotiatedOffer } from '../media/sdp/index.js';

/**
 * The call bandwidth the caller's SDP asks for (kbps), from an offer negotiated at the service
 * ceiling: its session b=, or audio plus its video lines' own b= when those are lower; null when it
 * asks nothing below the ceiling.
 */
export function sdpAskKbps(n: NegotiatedOffer): number | null {
  if (!n.bandwidth) return null;
  let bps = n.bandwidth.callBps;
  if (n.video.length > 0) {
    const lines = n.bandwidth.audioBps + n.video.reduce((sum, v) => sum + v.maxBitrateBps, 0);
    bps = Math.min(bps, lines);
  }
  const kbps = Math.floor(bps / 1000);
  return kbps < SERVICE_MAX_CALL_KBPS ? kbps : null;
}

/**
 * The cap we can answer with before the join has run (a caller in the PIN IVR): the endpoint's tier
 * and the SDP's ask. The company policy for unregistered callers comes with the join result, which
 * then lowers the media cap (TMMBR) if it is lower.
 */
export function provisionalCapKbps(endpointTier: string | null, sdpKbps: number | null): number {
  return callBandwidthCap({ requestedKbps: null, endpointTier, companyMaxKbps: null, sdpAsKbps: sdpKbps }).kbps;
}

/** At or below this video cap a call gets the middle simulcast layer (360p), above it the top one. */
export const MIDDLE_LAYER_MAX_BPS = 900_000;

/** The highest spatial layer (0 = lowest) a call's video cap allows; clamped by the source's layers. */
export function spatialLayerForCap(capBps: number, sourceLayers: number): number {
  const wanted = capBps > 0 && capBps <= MIDDLE_LAYER_MAX_BPS ? 1 : 2;
  return Math.max(0, Math.min(wanted, sourceLayers - 1));
}

/** 1080p only where the join granted it (a FullHD add-on); 720p for everyone else. */
export function maxResolutionFor(maxVideoHeight: number | null): MaxResolution {
  return maxVideoHeight !== null && maxVideoHeight >= 1080 ? '1080p' : '720p';
}
