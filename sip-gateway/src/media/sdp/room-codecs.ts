/**
 * The meeting router's video codecs as our SDP needs them: name and the room's payload type.
 * mediasoup never renumbers, so consumers reach the endpoint with these payload types and our SDP
 * must say so. Read from `room.rtpCapabilities` (structurally, so this folder does not depend on mediasoup).
 */
import type { RoomVideoCodec } from './types.js';

export interface RtpCapabilitiesLike {
  codecs?: readonly { kind?: string; mimeType: string; preferredPayloadType?: number; parameters?: Record<string, unknown> }[];
}

/** H.264 (Constrained Baseline, packetization-mode 1) first, then VP8; codecs the room lacks are left out. */
export function roomVideoCodecs(caps: RtpCapabilitiesLike): RoomVideoCodec[] {
  const out: RoomVideoCodec[] = [];
  const codecs = caps.codecs ?? [];
  const h264 = codecs.find((c) => {
    if (c.mimeType.toLowerCase() !== 'video/h264' || c.preferredPayloadType === undefined) return false;
    const p = c.parameters ?? {};
    return String(p['packetization-mode']) === '1' && /^42e0/i.test(String(p['profile-level-id'] ?? ''));
  });
  if (h264) out.push({ name: 'H264', payloadType: h264.preferredPayloadType! });
  const vp8 = codecs.find((c) => c.mimeType.toLowerCase() === 'video/vp8' && c.preferredPayloadType !== undefined);
  if (vp8) out.push({ name: 'VP8', payloadType: vp8.preferredPayloadType! });
  return out;
}
