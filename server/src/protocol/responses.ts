import type { LeaveReason, ParticipantView, Role } from './common.js';

/** What each request answers with (`{ id, ok: true, data }`). */
export interface ResponseData {
  hello: {
    sessionId: string;
    resumeToken: string;
    resumed: boolean;
    participant?: ParticipantView;
    meeting?: MeetingView;
    /** TURN servers with credentials for this session (empty when the node has none). */
    iceServers: IceServerView[];
    /** `relay`: use relayed candidates only (the node's turn.forceRelay). */
    iceTransportPolicy: 'all' | 'relay';
  };
  join: JoinResult;
  leave: Record<string, never>;
  'media.setCapabilities': Record<string, never>;
  'transport.create': TransportInfo;
  'transport.connect': Record<string, never>;
  'transport.restartIce': { iceParameters: Record<string, unknown> };
  'producer.create': { producerId: string };
  'producer.close': Record<string, never>;
  'producer.pause': Record<string, never>;
  'producer.resume': Record<string, never>;
  'consumer.resume': Record<string, never>;
  'consumer.setPreferredLayers': Record<string, never>;
  'presentation.start': Record<string, never>;
  'presentation.stop': Record<string, never>;
  'chat.send': { messageId: string; at: string };
  'hand.set': Record<string, never>;
  'host.mute': { muted: number };
  'host.disconnect': Record<string, never>;
  'host.lock': Record<string, never>;
  'host.admit': Record<string, never>;
  'host.promote': Record<string, never>;
  'host.end': Record<string, never>;
}

/** An RTCIceServer: TURN URLs with a time-limited credential (TURN REST shared-secret scheme). */
export interface IceServerView {
  urls: string[];
  /** `<expiry unix seconds>:<session id>`. */
  username: string;
  credential: string;
}

export interface MeetingView {
  id: string;
  displayName: string;
  locked: boolean;
  presenterId: string | null;
  activeSpeakerId: string | null;
}

/** What set a participant's call bandwidth: its own choice, or the limit that capped it. */
export type BandwidthCapReason = 'requested' | 'endpoint_tier' | 'company_policy' | 'sdp' | 'service_max';

/** The call bandwidth and video size a participant may use, both ways (the SFU enforces the rate). */
export interface CallBandwidthView {
  /** What the participant asked for. */
  requestedKbps: number | null;
  /** What applies: the lowest of its choice, its endpoint tier or its company's policy, its SDP, the service ceiling. */
  kbps: number;
  cappedBy: BandwidthCapReason;
  /** Highest video the participant should send (720, or 1080 where a FullHD add-on applies). */
  maxVideoHeight: number;
}

export interface JoinResult {
  participantId: string;
  role: Role;
  /** `lobby`: wait for `lobby.admitted` before setting up media. */
  state: 'joined' | 'lobby';
  /** The call bandwidth that applies: send no more; size encodings to `bandwidth.kbps`. */
  bandwidth: CallBandwidthView;
  meeting: MeetingView;
  /** Present once joined (also in `lobby.admitted`). */
  routerRtpCapabilities?: Record<string, unknown>;
  roster: ParticipantView[];
}

export interface TransportInfo {
  id: string;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: Record<string, unknown>;
}

export interface ConsumerView {
  id: string;
  producerId: string;
  participantId: string;
  kind: 'audio' | 'video';
  source: string;
  rtpParameters: Record<string, unknown>;
  producerPaused: boolean;
}

/** Server → client notifications (`{ notification, data }`). */
export interface NotificationData {
  'roster.joined': { participant: ParticipantView };
  'roster.updated': { participant: ParticipantView };
  'roster.left': { participantId: string; reason: LeaveReason };
  'consumer.added': ConsumerView;
  'consumer.closed': { consumerId: string };
  'consumer.paused': { consumerId: string };
  'consumer.resumed': { consumerId: string };
  'consumer.layersChanged': { consumerId: string; spatialLayer: number | null; temporalLayer: number | null };
  'speaker.active': { participantId: string | null };
  'chat.message': { messageId: string; from: string; displayName: string; text: string; at: string };
  'presentation.changed': { presenterId: string | null; previousPresenterId: string | null };
  'lobby.admitted': JoinResult;
  'lobby.changed': { waiting: ParticipantView[] };
  'meeting.locked': { locked: boolean; by: string };
  'meeting.ended': { reason: 'ended_by_host' | 'server_shutdown' };
  'you.muted': { by: string; source: 'mic' };
  'you.removed': { reason: LeaveReason };
  'you.promoted': { role: Role };
  'session.closing': { reason: string };
}
export type NotificationName = keyof NotificationData;
