import type { Emitter } from '../../../common/src/index.js';
import type { JoinResult, LeaveReason, MeetingView, ParticipantView, Role } from '../protocol/index.js';
import type { HostAction, ParticipantEvents, ParticipantHandle } from './api.js';
import { MeetingError } from './errors.js';
import type { ParticipantKind } from './events.js';
import type { CoreMediaPort, MeetingMediaRoom } from './media.js';
import type { Meeting } from './meeting.js';
import type { Participant } from './participant.js';

/**
 * The single-node ParticipantHandle: holds the Meeting and Participant privately and hands out
 * plain data only, so a cluster implementation can replace it without touching entry points.
 */
export class LocalParticipantHandle<R extends MeetingMediaRoom> implements ParticipantHandle<R> {
  constructor(
    private readonly participant: Participant,
    private readonly meetingRef: Meeting<R>,
  ) {}

  get participantId(): string {
    return this.participant.id;
  }

  get meetingId(): string {
    return this.meetingRef.id;
  }

  get kind(): ParticipantKind {
    return this.participant.kind;
  }

  get events(): Emitter<ParticipantEvents> {
    return this.participant.events;
  }

  /** Joined (admitted) and still in the meeting. */
  private joined(): Participant {
    const p = this.participant;
    if (p.state !== 'joined') throw new MeetingError('not_joined', p.state === 'lobby' ? 'wait to be admitted from the lobby' : 'join a meeting first');
    return p;
  }

  async joinResult(): Promise<JoinResult> {
    return this.meetingRef.joinResult(this.participant);
  }

  async view(): Promise<ParticipantView> {
    return this.participant.view(this.meetingRef.presenterId === this.participant.id);
  }

  async meeting(): Promise<MeetingView> {
    return this.meetingRef.view();
  }

  async state(): Promise<'lobby' | 'joined' | 'left'> {
    return this.participant.state;
  }

  async role(): Promise<Role> {
    return this.participant.role;
  }

  async attachMedia<L extends CoreMediaPort>(open: (room: R) => Promise<L>): Promise<L> {
    const p = this.joined();
    if (p.media) throw new MeetingError('media_error', 'capabilities were already set');
    const leg = await open(this.meetingRef.media);
    // The participant may have left, or been given a leg, while the leg was being built.
    this.meetingRef.attachMedia(p, leg);
    return leg;
  }

  async readMediaRoom<T>(read: (room: R) => T): Promise<T> {
    return read(this.meetingRef.media);
  }

  async setConnected(connected: boolean): Promise<void> {
    this.meetingRef.setConnected(this.participant, connected);
  }

  async startPresentation(): Promise<void> {
    this.meetingRef.setPresenter(this.joined());
  }

  async stopPresentation(): Promise<void> {
    const p = this.joined();
    if (this.meetingRef.presenterId === p.id) this.meetingRef.setPresenter(null);
  }

  async isPresenter(): Promise<boolean> {
    return this.meetingRef.presenterId === this.participant.id;
  }

  async chat(text: string): Promise<{ messageId: string; at: string }> {
    return this.meetingRef.chat(this.joined(), text);
  }

  async setHandRaised(raised: boolean): Promise<void> {
    this.meetingRef.setHandRaised(this.joined(), raised);
  }

  async host(action: HostAction): Promise<{ muted?: number }> {
    return this.meetingRef.host(this.participant, action);
  }

  async leave(reason: LeaveReason = 'left'): Promise<void> {
    this.meetingRef.leave(this.participant, reason);
  }
}
