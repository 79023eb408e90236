import type { LeaveReason } from '../../protocol/index.js';
import type { ParticipantKind, ParticipantSummary, RefusedCallSummary } from '../../meetings/events.js';
import type { CallDetailRecord } from '../model.js';

const PROTOCOL: Record<ParticipantKind, CallDetailRecord['protocol']> = { browser: 'webrtc', sip: 'sip', phone: 'pstn', interop: 'cvi' };

/** The admin API's spelling of the signalling join modes. */
const JOIN_MODE: Record<ParticipantSummary['mode'], NonNullable<CallDetailRecord['joinMode']>> = {
  video: 'video', 'audio-only': 'audio_only', 'audio+presentation': 'audio_presentation',
};

/** The record id is derived from the session, so a retried write cannot store the session twice. */
export const cdrIdFor = (participantId: string): string => `cdr_${participantId}`;

/**
 * One participant session in a meeting as a call-detail record. `memberId` is the owner of the
 * VMR (a member's own meeting room shows in that member's call history); duration is end − start.
 */
export function cdrFromSession(
  p: ParticipantSummary,
  ended: { reason: LeaveReason; leftAt: number },
  ctx: { vmrOwnerMemberId: string | null; endpointId: string | null; nodeId: string },
): CallDetailRecord {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: cdrIdFor(p.participantId),
    companyId: p.companyId,
    kind: 'leg',
    vmrId: p.meetingId,
    memberId: ctx.vmrOwnerMemberId,
    endpointId: ctx.endpointId,
    direction: 'inbound',
    protocol: PROTOCOL[p.kind],
    from: p.callerAddress ?? p.displayName,
    to: p.roomAddress,
    displayName: p.displayName,
    remoteAddress: p.source || null,
    codecs: { audio: p.call?.audioCodec ?? null, video: null },
    bandwidthKbps: Number.isInteger(p.bandwidthKbps) ? p.bandwidthKbps : Math.round(p.bandwidthKbps),
    startedAt: iso(p.joinedAt),
    endedAt: iso(ended.leftAt),
    durationMs: Math.max(0, ended.leftAt - p.joinedAt),
    quality: { packetLossPct: null, jitterMs: null, mos: null },
    endReason: ended.reason,
    anonymized: false,
    participantId: p.participantId,
    participantKind: p.kind,
    callerAddress: p.callerAddress,
    role: p.role,
    joinMode: JOIN_MODE[p.mode],
    tier: p.tier,
    answeredAt: p.answeredAt === null ? null : iso(p.answeredAt),
    nodeId: ctx.nodeId,
    ...(p.call ? { sipCallId: p.call.callId, sipStatus: 200 } : {}),
  };
}

/** The record id of a call that never joined: derived from the Call-ID, so a retry cannot store it twice. */
export const refusedCdrIdFor = (callId: string): string => `cdr_call_${callId.replace(/[^A-Za-z0-9._@-]/g, '_').slice(0, 200)}`;

/** A SIP call that was refused (or ended in the IVR) before it joined: a record with its final SIP status. */
export function cdrFromRefusedCall(
  c: RefusedCallSummary & { room: NonNullable<RefusedCallSummary['room']> },
  ctx: { vmrOwnerMemberId: string | null; endpointId: string | null; nodeId: string },
): CallDetailRecord {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: refusedCdrIdFor(c.callId),
    companyId: c.room.companyId,
    kind: 'leg',
    vmrId: c.room.meetingId,
    memberId: ctx.vmrOwnerMemberId,
    endpointId: ctx.endpointId,
    direction: 'inbound',
    protocol: PROTOCOL[c.kind],
    from: c.callerAddress ?? c.displayName,
    to: c.room.roomAddress,
    displayName: c.displayName,
    remoteAddress: c.source || null,
    codecs: { audio: c.audioCodec, video: null },
    bandwidthKbps: null,
    startedAt: iso(c.startedAt),
    endedAt: iso(c.endedAt),
    durationMs: Math.max(0, c.endedAt - c.startedAt),
    quality: { packetLossPct: null, jitterMs: null, mos: null },
    endReason: c.reason,
    anonymized: false,
    participantKind: c.kind,
    callerAddress: c.callerAddress,
    answeredAt: null,
    nodeId: ctx.nodeId,
    sipCallId: c.callId,
    sipStatus: c.sipStatus,
  };
}
