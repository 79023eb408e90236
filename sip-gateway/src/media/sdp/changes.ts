import type { CallAudioSession } from '../engine/types.js';

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
