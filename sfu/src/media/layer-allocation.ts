/**
 * Simulcast layer choice for what one participant receives, so its video fits its call bandwidth
 * (pure). mediasoup's own bandwidth estimation still works underneath, within the transport's max
 * outgoing bitrate; this decides what we *ask* for, so a small pipe gets low layers for everyone
 * rather than high layers for a few and nothing for the rest.
 */

import type { ConsumerLayers, MediaKind, MediaSource } from './types.js';

export interface VideoDemand {
  consumerId: string;
  /** Estimated bitrate of each spatial layer, lowest first (one entry for a non-simulcast stream). */
  layerBitratesBps: readonly number[];
  /** Highest spatial layer wanted (the client's preference); the choice never exceeds it. */
  maxSpatialLayer: number;
  /** 'high' streams (the presentation) are raised as far as they go before the others share the rest. */
  priority: 'high' | 'normal';
}

/**
 * Every stream starts on its lowest layer. Then 'high' streams are raised, in order, as far as the
 * budget allows; then 'normal' streams are raised one layer per round, in the order given (best
 * first: active speaker, then last-N order), until no raise fits.
 */
export function allocateSpatialLayers(budgetBps: number, demands: readonly VideoDemand[]): Map<string, number> {
  const layers = new Map<string, number>();
  let remaining = budgetBps;
  for (const d of demands) {
    layers.set(d.consumerId, 0);
    remaining -= d.layerBitratesBps[0] ?? 0;
  }
  const top = (d: VideoDemand) => Math.min(d.maxSpatialLayer, d.layerBitratesBps.length - 1);
  const tryRaise = (d: VideoDemand): boolean => {
    const cur = layers.get(d.consumerId)!;
    if (cur >= top(d)) return false;
    const step = (d.layerBitratesBps[cur + 1] ?? 0) - (d.layerBitratesBps[cur] ?? 0);
    if (step > remaining) return false;
    remaining -= step;
    layers.set(d.consumerId, cur + 1);
    return true;
  };
  for (const d of demands) if (d.priority === 'high') while (tryRaise(d));
  const normal = demands.filter((d) => d.priority === 'normal');
  // Each productive round raises at least one stream one layer, so rounds ≤ total layers.
  for (let raised = true; raised; ) {
    raised = false;
    for (const d of normal) raised = tryRaise(d) || raised;
  }
  return layers;
}

const CAMERA_LAYER_DEFAULTS_BPS = [150_000, 500_000, 1_200_000];
const SINGLE_CAMERA_DEFAULT_BPS = 800_000;
const SCREEN_DEFAULT_BPS = 1_500_000;

/**
 * Per-layer bitrate estimates from a producer's encodings: the sender's maxBitrate where it set one,
 * otherwise typical values (the top k of 150k/500k/1.2M for k camera layers; 1.5M for a screen).
 */
export function layerBitrates(encodings: readonly { maxBitrate?: number | undefined }[], source: 'camera' | 'screen'): number[] {
  const k = Math.max(1, encodings.length);
  const defaults =
    k === 1
      ? [source === 'screen' ? SCREEN_DEFAULT_BPS : SINGLE_CAMERA_DEFAULT_BPS]
      : k <= CAMERA_LAYER_DEFAULTS_BPS.length
        ? CAMERA_LAYER_DEFAULTS_BPS.slice(-k)
        : Array.from({ length: k }, (_, i) => CAMERA_LAYER_DEFAULTS_BPS[Math.min(i, CAMERA_LAYER_DEFAULTS_BPS.length - 1)]!);
  return defaults.map((d, i) => encodings[i]?.maxBitrate ?? d);
}

/** One stream a participant receives, as the layer plan sees it. */
export interface ReceivedStream {
  consumerId: string;
  /** Whose stream it is (ranked by `speakerOrder`). */
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  /** Per-layer bitrate estimates (video). */
  layerBitratesBps: readonly number[];
  /** Whether its layers can be chosen (a simulcast/SVC consumer); others still cost bandwidth. */
  layered: boolean;
  /** The client's own preference (setPreferredLayers); caps the spatial layer, passes the temporal one on. */
  clientLayers?: ConsumerLayers | undefined;
}

/**
 * The preferred layers for each layered video stream a participant receives: the downlink minus
 * `audioBitrateBps` per audio stream is shared by the video (presentation first, then cameras in
 * `speakerOrder`, unknown participants last). `downlinkBps` 0 = no cap.
 */
export function planLayers(
  downlinkBps: number,
  audioBitrateBps: number,
  streams: readonly ReceivedStream[],
  speakerOrder: readonly string[],
): Map<string, ConsumerLayers> {
  const videos = streams.filter((s) => s.kind === 'video');
  const audio = streams.length - videos.length;
  const budget = downlinkBps <= 0 ? Number.MAX_SAFE_INTEGER : downlinkBps - audio * audioBitrateBps;
  const rank = new Map(speakerOrder.map((id, i) => [id, i]));
  const ordered = [...videos].sort((a, b) => (rank.get(a.participantId) ?? Infinity) - (rank.get(b.participantId) ?? Infinity));
  const chosen = allocateSpatialLayers(
    budget,
    ordered.map((s) => ({
      consumerId: s.consumerId,
      layerBitratesBps: s.layerBitratesBps,
      maxSpatialLayer: s.clientLayers?.spatialLayer ?? s.layerBitratesBps.length - 1,
      priority: s.source === 'screen' ? 'high' : 'normal',
    })),
  );
  const plan = new Map<string, ConsumerLayers>();
  for (const s of ordered) {
    if (!s.layered) continue;
    const layers: ConsumerLayers = { spatialLayer: chosen.get(s.consumerId) ?? 0 };
    if (s.clientLayers?.temporalLayer !== undefined) layers.temporalLayer = s.clientLayers.temporalLayer;
    plan.set(s.consumerId, layers);
  }
  return plan;
}
