import type { CallAudioSession } from '../engine/types.js';
import type { NegotiatedVideo, VideoRole } from './types.js';

/** What a re-INVITE/UPDATE changed in the call's audio session (the call layer re-configures the engine when `any`). */
export interface SessionChanges {
  codec: boolean;
  telephoneEvent: boolean;
  remote: boolean;
  direction: boolean;
  srtp: boolean;
  rtcpMux: boolean;
  ptime: boolean;
  any: boolean;
}

export function sessionChanges(prev: CallAudioSession | null, next: CallAudioSession): SessionChanges {
  if (!prev) return { codec: true, telephoneEvent: true, remote: true, direction: true, srtp: true, rtcpMux: true, ptime: true, any: true };
  const a = prev.remote;
  const b = next.remote;
  const c = {
    codec: prev.codec.name !== next.codec.name || prev.codec.payloadType !== next.codec.payloadType,
    telephoneEvent: prev.telephoneEventPayloadType !== next.telephoneEventPayloadType,
    remote: a === null || b === null ? a !== b : a.ip !== b.ip || a.rtpPort !== b.rtpPort || a.rtcpPort !== b.rtcpPort,
    direction: prev.direction !== next.direction,
    srtp:
      (prev.srtp === null) !== (next.srtp === null) ||
      (prev.srtp !== null && next.srtp !== null &&
        (prev.srtp.suite !== next.srtp.suite || prev.srtp.localKeyBase64 !== next.srtp.localKeyBase64 || prev.srtp.remoteKeyBase64 !== next.srtp.remoteKeyBase64)),
    rtcpMux: prev.rtcpMux !== next.rtcpMux,
    ptime: prev.ptimeMs !== next.ptimeMs,
  };
  return { ...c, any: Object.values(c).some(Boolean) };
}

/** What a re-offer did to the call's video, by role: the call layer opens, closes or re-configures the PlainTransports to match. */
export interface VideoChanges {
  added: VideoRole[];
  removed: VideoRole[];
  /** Roles whose codec, remote address, RTCP-mux, SRTP keys, direction or cap changed. */
  changed: VideoRole[];
  any: boolean;
}

function sameVideo(a: NegotiatedVideo, b: NegotiatedVideo): boolean {
  const r1 = a.remote;
  const r2 = b.remote;
  return (
    a.codec.name === b.codec.name &&
    a.codec.payloadType === b.codec.payloadType &&
    a.codec.remotePayloadType === b.codec.remotePayloadType &&
    a.codec.fmtp === b.codec.fmtp &&
    (r1 === null || r2 === null ? r1 === r2 : r1.ip === r2.ip && r1.rtpPort === r2.rtpPort && r1.rtcpPort === r2.rtcpPort) &&
    a.rtcpMux === b.rtcpMux &&
    a.direction === b.direction &&
    a.maxBitrateBps === b.maxBitrateBps &&
    a.srtp?.suite === b.srtp?.suite &&
    a.srtp?.localKeyBase64 === b.srtp?.localKeyBase64 &&
    a.srtp?.remoteKeyBase64 === b.srtp?.remoteKeyBase64
  );
}

export function videoChanges(prev: readonly NegotiatedVideo[], next: readonly NegotiatedVideo[]): VideoChanges {
  const roles: VideoRole[] = ['main', 'slides'];
  const out: VideoChanges = { added: [], removed: [], changed: [], any: false };
  for (const role of roles) {
    const a = prev.find((v) => v.role === role);
    const b = next.find((v) => v.role === role);
    if (!a && b) out.added.push(role);
    else if (a && !b) out.removed.push(role);
    else if (a && b && !sameVideo(a, b)) out.changed.push(role);
  }
  out.any = out.added.length + out.removed.length + out.changed.length > 0;
  return out;
}
