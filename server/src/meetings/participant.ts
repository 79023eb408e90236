import { Emitter } from '../../../common/src/index.js';
import type { CallBandwidthView, JoinMode, LeaveReason, NotificationData, NotificationName, ParticipantView, Role } from '../protocol/index.js';
import type { ParticipantEvents } from './api.js';
import type { ParticipantKind } from './events.js';
import type { CoreMediaPort } from './media.js';
import { viewForGuest } from './address-mask.js';

/**
 * lobby → joined → left, or lobby → left. `connected` is orthogonal: a participant whose
 * entry point lost its connection stays in its state (and in the roster, as reconnecting).
 */
export type ParticipantState = 'lobby' | 'joined' | 'left';
const TRANSITIONS: Record<ParticipantState, readonly ParticipantState[]> = {
  lobby: ['joined', 'left'],
  joined: ['left'],
  left: [],
};

export class IllegalTransitionError extends Error {
  readonly code = 'illegal_transition';
}

export interface ParticipantInit {
  id: string;
  displayName: string;
  role: Role;
  mode: JoinMode;
  kind: ParticipantKind;
  /** The call bandwidth that applies (already capped by the policy). */
  bandwidthKbps: number;
  /** How `bandwidthKbps` came about; absent = the participant's own choice, at most 720p. */
  bandwidthGrant?: { requestedKbps: number | null; cappedBy: CallBandwidthView['cappedBy']; maxVideoHeight: number } | undefined;
  source: string;
  callerAddress: string | null;
  tier: string | null;
  joinedAt: number;
  /** A SIP call's identity and negotiated audio codec (call records); null for browsers. */
  call: CallInfo | null;
}

/** What the SIP gateway tells the core about a call (call records only). */
export interface CallInfo {
  callId: string;
  audioCodec: string | null;
}

/**
 * The handle's events. Until an event has its first listener it is held (bounded), so nothing
 * is lost between `join()` resolving and the entry point subscribing.
 */
class ParticipantEmitter extends Emitter<ParticipantEvents> {
  private early: { event: keyof ParticipantEvents; args: unknown[] }[] = [];
  private static readonly MAX_EARLY = 1000;

  override emit<K extends keyof ParticipantEvents>(event: K, ...args: ParticipantEvents[K]): void {
    if (this.listenerCount(event) === 0) {
      if (this.early.length < ParticipantEmitter.MAX_EARLY) this.early.push({ event, args });
      return;
    }
    super.emit(event, ...args);
  }

  override on<K extends keyof ParticipantEvents>(event: K, fn: (...args: ParticipantEvents[K]) => void): () => void {
    const off = super.on(event, fn);
    if (this.listenerCount(event) === 1 && this.early.some((e) => e.event === event)) {
      const held = this.early.filter((e) => e.event === event);
      this.early = this.early.filter((e) => e.event !== event);
      for (const e of held) super.emit(event, ...(e.args as ParticipantEvents[K]));
    }
    return off;
  }
}

/** A notification as a guest receives it: callers' phone numbers partly masked. */
function guestCopy<N extends NotificationName>(name: N, data: NotificationData[N]): NotificationData[N] {
  if ((name === 'roster.joined' || name === 'roster.updated') && data && typeof data === 'object' && 'participant' in data) {
    return { ...data, participant: viewForGuest((data as { participant: ParticipantView }).participant) } as NotificationData[N];
  }
  return data;
}

/** One participant session inside the meeting core; entry points see it through a ParticipantHandle. */
export class Participant {
  readonly id: string;
  readonly displayName: string;
  readonly mode: JoinMode;
  readonly kind: ParticipantKind;
  readonly bandwidthKbps: number;
  /** The call bandwidth as the participant is told it (join result). */
  readonly bandwidth: Readonly<CallBandwidthView>;
  /** Source address, for PIN rate limits, logs and call records. */
  readonly source: string;
  readonly callerAddress: string | null;
  readonly tier: string | null;
  readonly joinedAt: number;
  readonly call: CallInfo | null;
  answeredAt: number | null = null;
  role: Role;
  private stateValue: ParticipantState = 'lobby';
  connected = true;
  handRaised = false;
  media: CoreMediaPort | undefined;
  leaveReason: LeaveReason | undefined;
  /** What its entry point hears (a listener that throws is logged, never breaks the meeting). */
  readonly events: Emitter<ParticipantEvents>;

  constructor(init: ParticipantInit, onListenerError: (event: string, err: unknown) => void) {
    this.id = init.id;
    this.displayName = init.displayName;
    this.role = init.role;
    this.mode = init.mode;
    this.kind = init.kind;
    this.bandwidthKbps = init.bandwidthKbps;
    const grant = init.bandwidthGrant ?? { requestedKbps: init.bandwidthKbps, cappedBy: 'requested', maxVideoHeight: 720 };
    this.bandwidth = Object.freeze({ requestedKbps: grant.requestedKbps, kbps: init.bandwidthKbps, cappedBy: grant.cappedBy, maxVideoHeight: grant.maxVideoHeight });
    this.source = init.source;
    this.callerAddress = init.callerAddress;
    this.tier = init.tier;
    this.joinedAt = init.joinedAt;
    this.call = init.call;
    this.events = new ParticipantEmitter(onListenerError);
  }

  get state(): ParticipantState {
    return this.stateValue;
  }

  transition(to: ParticipantState): void {
    if (!TRANSITIONS[this.stateValue].includes(to)) {
      throw new IllegalTransitionError(`participant ${this.id}: ${this.stateValue} → ${to} is not allowed`);
    }
    this.stateValue = to;
  }

  notify<N extends NotificationName>(name: N, data: NotificationData[N]): void {
    if (this.stateValue === 'left' && name !== 'you.removed' && name !== 'meeting.ended') return;
    const seen = this.role === 'guest' ? guestCopy(name, data) : data;
    (this.events.emit as (e: 'notification', n: N, d: NotificationData[N]) => void)('notification', name, seen);
  }

  private producerOf(source: 'mic' | 'camera' | 'screen') {
    return this.media?.producers().find((p) => p.source === source);
  }

  get audioMuted(): boolean {
    const mic = this.producerOf('mic');
    return !mic || mic.paused;
  }

  get videoMuted(): boolean {
    const cam = this.producerOf('camera');
    return !cam || cam.paused;
  }

  view(presenting: boolean): ParticipantView {
    return {
      id: this.id,
      displayName: this.displayName,
      role: this.role,
      mode: this.mode,
      kind: this.kind,
      address: this.kind === 'browser' ? null : this.callerAddress,
      state: this.stateValue === 'lobby' ? 'lobby' : this.connected ? 'joined' : 'reconnecting',
      audioMuted: this.audioMuted,
      videoMuted: this.videoMuted,
      handRaised: this.handRaised,
      presenting,
    };
  }
}
