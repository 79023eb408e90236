import type { JoinMode, LeaveReason, Role } from '../protocol/index.js';

export type ParticipantKind = 'browser' | 'sip' | 'phone' | 'interop';

/** What the meeting core knows about one participant session; ids, not object references. */
export interface ParticipantSummary {
  participantId: string;
  meetingId: string;          // the VMR (room) id
  companyId: string;
  roomAddress: string;        // the VMR's address, e.g. demo.meeting@convene.example
  kind: ParticipantKind;
  displayName: string;
  callerAddress: string | null; // SIP URI / phone number where known; null for browsers
  role: Role;
  mode: JoinMode;
  bandwidthKbps: number;
  tier: string | null;        // endpoint bandwidth tier when a provisioned endpoint, else null
  source: string;             // network source address
  joinedAt: number;           // ms since epoch (injected clock): the join request was accepted
  answeredAt: number | null;  // ms: entered the meeting proper (null while / if only in the lobby)
  call: { callId: string; audioCodec: string | null } | null; // SIP calls: Call-ID and audio codec
}

/** A call the gateway refused or that ended before it joined (call records). */
export interface RefusedCallSummary {
  callId: string;
  kind: ParticipantKind;
  /** The room it was for, when it was found. */
  room: { meetingId: string; companyId: string; roomAddress: string } | null;
  displayName: string;
  callerAddress: string | null;
  source: string;
  audioCodec: string | null;
  /** The final SIP status the call got (or the cause in the BYE after an answered IVR). */
  sipStatus: number;
  /** The refusal code (shared refusal table) or call end reason. */
  reason: string;
  startedAt: number;
  endedAt: number;
}

export interface MeetingSummary { meetingId: string; companyId: string; roomAddress: string; startedAt: number }

export type MeetingLifecycleEvents = {
  meetingStarted: [meeting: MeetingSummary];
  meetingEnded: [meeting: MeetingSummary, endedAt: number, reason: string];
  participantJoined: [participant: ParticipantSummary];
  participantAdmitted: [participant: ParticipantSummary];            // lobby → meeting
  participantRoleChanged: [participant: ParticipantSummary, previous: Role];
  participantLeft: [participant: ParticipantSummary, reason: LeaveReason, leftAt: number];
};
