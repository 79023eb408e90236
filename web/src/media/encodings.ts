/**
 * Send-side sizing from the chosen call bandwidth. The SFU enforces the cap anyway (transport max
 * incoming bitrate); sizing here keeps the browser from encoding layers that would be dropped.
 */

/** Audio (Opus) plus RTCP headroom, taken off the budget before video. */
const AUDIO_BPS = 64_000;

export interface SimulcastEncoding {
  rid: string;
  maxBitrate: number;
  scaleResolutionDownBy: number;
  scalabilityMode: string;
}

/** Three simulcast layers (quarter, half, full resolution; VP8 or H.264) whose sum fits the call bandwidth. */
export function cameraEncodings(bandwidthKbps: number): SimulcastEncoding[] {
  const budget = Math.max(100_000, bandwidthKbps * 1000 - AUDIO_BPS);
  // Shares of the budget per layer, each capped at what that resolution usefully needs.
  const layers: Array<[number, number, number]> = [
    [0.12, 150_000, 4],
    [0.28, 500_000, 2],
    [0.6, 2_500_000, 1],
  ];
  return layers.map(([share, cap, scale], i) => ({
    rid: `r${i}`,
    maxBitrate: Math.max(30_000, Math.min(cap, Math.round(budget * share))),
    scaleResolutionDownBy: scale,
    scalabilityMode: 'L1T3',
  }));
}

/**
 * Capture size: no point capturing 720p for a 256 kbps call, and never above `maxHeight` (the
 * licence's resolution cap from the join answer: 720 unless a FullHD add-on applies).
 */
/** The capture constraints we use (a MediaTrackConstraints; plain data, so Node benches can read it too). */
export interface CameraConstraints {
  width: { ideal: number };
  height: { ideal: number; max?: number };
  frameRate: { ideal: number };
}

export function cameraConstraints(bandwidthKbps: number, maxHeight = 720): CameraConstraints {
  if (bandwidthKbps <= 576 || maxHeight < 720) return { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } };
  if (bandwidthKbps <= 2400 || maxHeight < 1080) return { width: { ideal: 1280 }, height: { ideal: 720, max: 720 }, frameRate: { ideal: 30 } };
  return { width: { ideal: 1920 }, height: { ideal: 1080, max: 1080 }, frameRate: { ideal: 30 } };
}

/** Screen share is one layer; it may use most of the budget (the camera drops to low layers in practice). */
export function screenMaxBitrate(bandwidthKbps: number): number {
  return Math.max(100_000, Math.min(2_500_000, Math.round((bandwidthKbps * 1000 - AUDIO_BPS) * 0.7)));
}

/** A codec as mediasoup-client's device lists it. */
export interface DeviceCodec {
  mimeType: string;
  parameters?: Record<string, unknown>;
}

/**
 * The camera's and the screen share's codec: H.264 constrained baseline, packetization-mode 1, whenever the meeting's
 * router offers it (so it is in the device's capabilities) and this browser can encode it
 * (`RTCRtpSender.getCapabilities('video')`): SIP room systems then receive the browsers' cameras
 * without transcoding. Otherwise VP8; undefined = let mediasoup-client pick. See web/README.md
 * for the measurements behind this (3 simulcast layers either way in Chromium).
 */
export function chooseVideoCodec<C extends DeviceCodec>(deviceCodecs: readonly C[], senderFmtpLines: readonly { mimeType: string; sdpFmtpLine?: string }[] | null): C | undefined {
  const h264 = deviceCodecs.find((c) => c.mimeType.toLowerCase() === 'video/h264' && isConstrainedBaselineMode1(c.parameters ?? {}));
  const canEncode = (senderFmtpLines ?? []).some((c) => c.mimeType.toLowerCase() === 'video/h264' && isConstrainedBaselineMode1(parseFmtp(c.sdpFmtpLine ?? '')));
  if (h264 && canEncode) return h264;
  return deviceCodecs.find((c) => c.mimeType.toLowerCase() === 'video/vp8');
}

function parseFmtp(line: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of line.split(';')) {
    const [k, v] = part.split('=');
    if (k && v !== undefined) out[k.trim()] = v.trim();
  }
  return out;
}

/** profile_idc 0x42 with constraint_set1 (0x40): constrained baseline, at any level; packetization-mode 1. */
function isConstrainedBaselineMode1(p: Record<string, unknown>): boolean {
  const id = String(p['profile-level-id'] ?? '').toLowerCase();
  if (String(p['packetization-mode'] ?? '0') !== '1' || !/^[0-9a-f]{6}$/.test(id)) return false;
  return id.startsWith('42') && (parseInt(id.slice(2, 4), 16) & 0x40) !== 0;
}
