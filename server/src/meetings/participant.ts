import type { JoinMode, LeaveReason, NotificationData, NotificationName, ParticipantView, Role } from '../protocol/index.js';
import type { ParticipantMediaPort } from './media.js';

/** Where a participant's notifications go: a WebSocket session, or the SIP gateway's call leg. */
export interface ParticipantChannel {
  notify<N extends NotificationName>(name: N, data: NotificationData[N]): void;
  /** Another connection resumed this participant: this one must stop acting for it. */
  replaced?(): void;
}

/**
 * lobby → joined → left, or lobby → left. `connected` is orthogonal: a participant whose
 * socket dropped stays in its state (and in the roster, as reconnecting) during the grace period.
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
  bandwidthKbps: number;
  source: string;
}

export class Participant {
  readonly id: string;
  readonly displayName: string;
  readonly mode: JoinMode;
  readonly bandwidthKbps: number;
  /** Source address, for PIN rate limits and logs. */
  readonly source: string;
  role: Role;
  private stateValue: ParticipantState = 'lobby';
  connected = true;
  handRaised = false;
  media: ParticipantMediaPort | undefined;
  leaveReason: LeaveReason | undefined;
  /** Notifications queued while the socket is away (bounded), delivered on resume. */
  private readonly pending: { name: NotificationName; data: unknown }[] = [];
  private static readonly MAX_PENDING = 1000;

  constructor(
    init: ParticipantInit,
    private channel: ParticipantChannel | undefined,
  ) {
    this.id = init.id;
    this.displayName = init.displayName;
    this.role = init.role;
    this.mode = init.mode;
    this.bandwidthKbps = init.bandwidthKbps;
    this.source = init.source;
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
    if (this.channel && this.connected) {
      this.channel.notify(name, data);
    } else if (this.pending.length < Participant.MAX_PENDING) {
      this.pending.push({ name, data });
    }
  }

  detach(): void {
    this.connected = false;
  }

  /** A resumed session takes over; what was queued meanwhile is delivered in order. */
  attach(channel: ParticipantChannel): void {
    const previous = this.channel;
    this.channel = channel;
    if (previous && previous !== channel) previous.replaced?.();
    this.connected = true;
    for (const { name, data } of this.pending.splice(0)) channel.notify(name, data as never);
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
      state: this.stateValue === 'lobby' ? 'lobby' : this.connected ? 'joined' : 'reconnecting',
      audioMuted: this.audioMuted,
      videoMuted: this.videoMuted,
      handRaised: this.handRaised,
      presenting,
    };
  }
}
