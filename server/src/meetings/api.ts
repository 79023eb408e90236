/**
 * MeetingsApi: the one interface every entry point uses to put someone in a meeting — WebSocket
 * signalling now; the SIP gateway, the phone IVR and dial-out next (they import these types only).
 *
 * Shaped for a later cluster implementation (meeting state in Redis, media cascaded between
 * nodes) behind the same interface: everything is asynchronous, state flows out as events carrying
 * plain data, and only ids cross the seam — never a Meeting or Participant object. Connection
 * concerns (WebSocket resume tokens, socket replacement) are the entry point's business.
 */
import type { Emitter } from '../../../common/src/index.js';
import type { JoinMode, JoinResult, LeaveReason, MeetingView, NotificationData, NotificationName, ParticipantView, Role } from '../protocol/index.js';
import type { ParticipantKind, MeetingLifecycleEvents } from './events.js';
import type { CallerIdentity } from './host-evidence.js';
import type { CallInfo } from './participant.js';
import type { CoreMediaPort, MeetingMediaRoom } from './media.js';

export interface JoinRequest {
  /** The VMR's address or numeric id. */
  address: string;
  displayName: string;
  pin?: string | undefined;
  /** A signed start link token (member portal): the owner joins as host without a PIN. */
  hostToken?: string | undefined;
  mode: JoinMode;
  /**
   * The call bandwidth the participant asks for (a browser's choice; the gateway's own default for
   * callers). The core caps it — endpoint tier, company policy, SDP, service ceiling, lowest wins
   * (licensing/callBandwidthCap) — and the participant, its join result and its media leg get
   * the capped rate, both ways.
   */
  bandwidthKbps: number;
  /** The call bandwidth the caller's SDP asks for (b=AS, or b=TIAS / 1000), set by the SIP gateway. */
  sdpBandwidthKbps?: number | null | undefined;
  /** What the participant joins from; default `browser`. */
  kind?: ParticipantKind | undefined;
  /** SIP URI or phone number where known (null/absent for browsers). */
  callerAddress?: string | null | undefined;
  /**
   * Set by the SIP gateway only, from what it saw on the network: a registered endpoint of the
   * room's company joins as host without a PIN. Never taken from a browser.
   */
  caller?: CallerIdentity | undefined;
  /** A provisioned endpoint's bandwidth tier (its call rate cap, call records), when the caller is one. */
  endpoint?: { address: string; tier: string | null } | undefined;
  /** Network source address of the caller (PIN rate limits, logs, call records). */
  source: string;
  /** Set by the SIP gateway: the call's SIP Call-ID and audio codec (call records). */
  call?: CallInfo | undefined;
}

/** What an entry point may know of a room before joining it (the IVR decides its prompts from it). */
export interface RoomInfo {
  meetingId: string;
  companyId: string;
  /** The room's main address. */
  roomAddress: string;
  displayName: string;
  /** none: everyone is host; host: everyone needs the host PIN; host_and_guest: the PIN picks the role. */
  pins: 'none' | 'host' | 'host_and_guest';
}

/** What a participant handle tells its entry point. Plain data only. */
export type ParticipantEvents = {
  /** A host let this participant in from the lobby. */
  admitted: [result: JoinResult];
  /** A host muted this participant's microphone. */
  mutedByHost: [by: string];
  /** A host removed this participant; it has left. */
  removed: [reason: LeaveReason];
  /** The meeting ended; this participant has left. */
  meetingEnded: [reason: 'ended_by_host' | 'server_shutdown'];
  roleChanged: [role: Role, previous: Role];
  /** This participant left the meeting (for whatever reason, including the above). Last event. */
  left: [reason: LeaveReason];
  /**
   * Every meeting notification for a full client (roster, chat, presentation, lobby, …), in the
   * signalling protocol's shapes. An entry point that needs less ignores it.
   */
  notification: { [N in NotificationName]: [name: N, data: NotificationData[N]] }[NotificationName];
};

export type HostAction =
  | { action: 'mute'; participantId?: string | undefined }
  | { action: 'remove'; participantId: string }
  | { action: 'promote'; participantId: string }
  | { action: 'admit'; participantId: string }
  | { action: 'lock'; locked: boolean }
  | { action: 'end' };

/** A participant in a meeting, as its entry point holds it: the id and what it may do. */
export interface ParticipantHandle<R extends MeetingMediaRoom = MeetingMediaRoom> {
  readonly participantId: string;
  readonly meetingId: string;
  readonly kind: ParticipantKind;
  readonly events: Emitter<ParticipantEvents>;
  /** Answer to the join: role, lobby or joined, the meeting and its roster. */
  joinResult(): Promise<JoinResult>;
  view(): Promise<ParticipantView>;
  meeting(): Promise<MeetingView>;
  state(): Promise<'lobby' | 'joined' | 'left'>;
  role(): Promise<Role>;
  /** Builds this participant's media leg in the meeting's media room and gives it to the core (once admitted). */
  attachMedia<L extends CoreMediaPort>(open: (room: R) => Promise<L>): Promise<L>;
  /** Reads something of the meeting's media room (e.g. the router capabilities a WebRTC leg needs). */
  readMediaRoom<T>(read: (room: R) => T): Promise<T>;
  /** The entry point lost / regained its connection (roster shows `reconnecting`). */
  setConnected(connected: boolean): Promise<void>;
  startPresentation(): Promise<void>;
  stopPresentation(): Promise<void>;
  /** Whether this participant may send screen media now (holds the floor). */
  isPresenter(): Promise<boolean>;
  chat(text: string): Promise<{ messageId: string; at: string }>;
  setHandRaised(raised: boolean): Promise<void>;
  /** Host controls, one code path whatever the target's kind. `mute` answers how many were muted. */
  host(action: HostAction): Promise<{ muted?: number }>;
  leave(reason?: LeaveReason): Promise<void>;
}

export interface MeetingsApi<R extends MeetingMediaRoom = MeetingMediaRoom> {
  /** Meeting lifecycle events (call records, webhooks). */
  readonly lifecycle: Emitter<MeetingLifecycleEvents>;
  /**
   * Finds an active room by address or numeric id, counted against the same failed-lookup
   * throttle as joins (`meeting_not_found`, `lookup_throttled`).
   */
  lookupRoom(address: string, source: string): Promise<RoomInfo>;
  /** Resolves a room, applies the PIN rules, reserves a seat atomically and places the participant. */
  join(req: JoinRequest): Promise<ParticipantHandle<R>>;
  /** Wrong PINs a connection may try before it is closed. */
  readonly pinAttemptsPerSession: number;
}
