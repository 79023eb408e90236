import { z } from 'zod';

/** Bumped on any incompatible change; the client states its version in its first message. */
export const PROTOCOL_VERSION = 1;

// mediasoup's RTP/DTLS/ICE structures are validated by mediasoup itself (it rejects bad ones
// with a typed error); here they only need to be JSON objects of bounded size.
export const opaqueObject = z.record(z.string(), z.unknown());

export const id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be an id');
export const joinMode = z.enum(['video', 'audio-only', 'audio+presentation']);
export type JoinMode = z.output<typeof joinMode>;
export const role = z.enum(['host', 'guest']);
export type Role = z.output<typeof role>;
/** What kind of endpoint a participant joins from: a browser, a SIP room system, a phone (PSTN), an interop call (Teams/Meet). */
export const participantKind = z.enum(['browser', 'sip', 'phone', 'interop']);
export type ParticipantKindName = z.output<typeof participantKind>;
export const mediaSource = z.enum(['mic', 'camera', 'screen', 'screen-audio']);
export type MediaSource = z.output<typeof mediaSource>;

/** Call bandwidths a browser can choose (kbps), as the apps offer them; company policy may cap them. */
export const CALL_BANDWIDTHS_KBPS = [256, 576, 1200, 2400, 4000] as const;
export const bandwidthKbps = z
  .number()
  .int()
  .refine((v) => (CALL_BANDWIDTHS_KBPS as readonly number[]).includes(v), `must be one of ${CALL_BANDWIDTHS_KBPS.join(', ')}`);

export const participantView = z.object({
  id,
  displayName: z.string(),
  role,
  mode: joinMode,
  kind: participantKind,
  /** The SIP URI or phone number a non-browser participant calls from (numbers partly masked for guests); null for browsers. */
  address: z.string().nullable(),
  /** lobby: waiting for a host; joined: in the meeting; reconnecting: socket lost, within the grace period. */
  state: z.enum(['lobby', 'joined', 'reconnecting']),
  audioMuted: z.boolean(),
  videoMuted: z.boolean(),
  handRaised: z.boolean(),
  presenting: z.boolean(),
});
export type ParticipantView = z.output<typeof participantView>;

/** Why a participant left: the same string in notifications, logs and metric labels. */
export const leaveReason = z.enum([
  'left',
  'removed_by_host',
  'meeting_ended',
  'connection_lost',
  'replaced',
  'server_shutdown',
  'too_many_pin_attempts',
]);
export type LeaveReason = z.output<typeof leaveReason>;
