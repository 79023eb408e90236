import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Emitter } from '../../../common/src/index.js';
import type { JoinResult, LeaveReason, MeetingView, NotificationData, NotificationName } from '../protocol/index.js';
import { DomainError } from '../errors.js';
import type { MeetingRoomRecord } from './directory.js';
import type { MeetingMediaRoom } from './media.js';
import type { Participant } from './participant.js';

export type MeetingEvents = {
  participantJoined: [participant: Participant];
  participantLeft: [participant: Participant, reason: LeaveReason];
  /** Lifecycle (events.ts): a participant's role changed; `previous` is the role it had. */
  roleChanged: [participant: Participant, previous: Participant['role']];
  /** The last participant left or the host ended it; the registry forgets the meeting. */
  closed: [];
};

/**
 * One running meeting in one VMR: roster, roles, lobby, lock, presentation floor, chat. It
 * owns the media room; participants' media ports come from it once they are admitted and
 * have told us their capabilities.
 */
export class Meeting {
  readonly events: Emitter<MeetingEvents>;
  readonly participants = new Map<string, Participant>();
  locked = false;
  presenterId: string | null = null;
  activeSpeakerId: string | null = null;
  private closedFlag = false;
  /** Why the meeting closed (lifecycle `meetingEnded`): 'empty', 'ended_by_host' or 'server_shutdown'. */
  closeReason: string | null = null;

  constructor(
    readonly room: MeetingRoomRecord,
    readonly media: MeetingMediaRoom,
    private readonly logger: Logger,
  ) {
    this.events = new Emitter((event, err) => logger.error({ err, event }, 'meeting listener failed'));
    media.events.on('activeSpeaker', (participantId) => {
      this.activeSpeakerId = participantId;
      this.broadcast('speaker.active', { participantId });
    });
    media.events.on('closed', (reason) => {
      if (this.closedFlag) return;
      // The worker under this meeting died: everyone's media is gone. Until re-homing lands,
      // end the meeting cleanly so clients rejoin (onto a live worker) rather than hang.
      logger.error({ reason }, 'media room closed under a running meeting');
      this.end('server_shutdown');
    });
  }

  get id(): string {
    return this.room.id;
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  view(): MeetingView {
    return {
      id: this.room.id,
      displayName: this.room.displayName,
      locked: this.locked,
      presenterId: this.presenterId,
      activeSpeakerId: this.activeSpeakerId,
    };
  }

  joined(): Participant[] {
    return [...this.participants.values()].filter((p) => p.state === 'joined');
  }

  lobby(): Participant[] {
    return [...this.participants.values()].filter((p) => p.state === 'lobby');
  }

  get hostPresent(): boolean {
    return this.joined().some((p) => p.role === 'host');
  }

  roster() {
    return this.joined().map((p) => p.view(p.id === this.presenterId));
  }

  joinResult(p: Participant): JoinResult {
    return {
      participantId: p.id,
      role: p.role,
      state: p.state === 'joined' ? 'joined' : 'lobby',
      meeting: this.view(),
      ...(p.state === 'joined' ? { routerRtpCapabilities: this.media.rtpCapabilities as unknown as Record<string, unknown> } : {}),
      roster: p.state === 'joined' ? this.roster() : [],
    };
  }

  /** Notifies every joined participant (lobby guests see a waiting screen, not the meeting). */
  broadcast<N extends NotificationName>(name: N, data: NotificationData[N], except?: string): void {
    for (const p of this.joined()) if (p.id !== except) p.notify(name, data);
  }

  private notifyHosts(): void {
    const waiting = this.lobby().map((p) => p.view(false));
    for (const p of this.joined()) if (p.role === 'host') p.notify('lobby.changed', { waiting });
  }

  /** Adds a participant whose seat is already reserved: joined if allowed in, else lobby. */
  add(p: Participant): void {
    if (this.closedFlag) throw new DomainError('meeting_not_found', 'the meeting has just ended');
    this.participants.set(p.id, p);
    if (p.role === 'host' || this.hostPresent) {
      this.enter(p);
    } else {
      this.logger.info({ participant: p.id }, 'guest waiting in lobby');
      this.notifyHosts();
    }
  }

  private enter(p: Participant): void {
    p.transition('joined');
    this.logger.info({ participant: p.id, role: p.role, mode: p.mode }, 'participant joined');
    this.broadcast('roster.joined', { participant: p.view(false) }, p.id);
    this.events.emit('participantJoined', p);
    if (p.role === 'host') for (const g of this.lobby()) this.admit(g);
  }

  /** Lets a lobby guest in; they get the join result they were waiting for. */
  admit(p: Participant): void {
    if (p.state !== 'lobby') return;
    this.enter(p);
    p.notify('lobby.admitted', this.joinResult(p));
    this.notifyHosts();
  }

  leave(p: Participant, reason: LeaveReason): void {
    if (p.state === 'left') return;
    const wasJoined = p.state === 'joined';
    p.transition('left');
    p.leaveReason = reason;
    this.participants.delete(p.id);
    p.media?.close();
    p.media = undefined;
    this.logger.info({ participant: p.id, reason }, 'participant left');
    if (this.presenterId === p.id) this.setPresenter(null);
    if (wasJoined) this.broadcast('roster.left', { participantId: p.id, reason });
    else this.notifyHosts();
    this.events.emit('participantLeft', p, reason);
    if (this.participants.size === 0) this.close();
  }

  updated(p: Participant): void {
    if (p.state === 'joined') this.broadcast('roster.updated', { participant: p.view(p.id === this.presenterId) });
  }

  /** Gives the presentation floor to `p` (or frees it); a new presenter takes over. */
  setPresenter(p: Participant | null): void {
    const previous = this.presenterId;
    if (previous === (p?.id ?? null)) return;
    this.presenterId = p?.id ?? null;
    const prev = previous ? this.participants.get(previous) : undefined;
    if (prev?.media) {
      for (const prod of prev.media.producers()) {
        if (prod.source === 'screen' || prod.source === 'screen-audio') prev.media.closeProducer(prod.id, true);
      }
    }
    this.broadcast('presentation.changed', { presenterId: this.presenterId, previousPresenterId: previous });
    if (prev && prev.state === 'joined') this.updated(prev);
    if (p) this.updated(p);
  }

  chat(from: Participant, text: string): { messageId: string; at: string } {
    const message = { messageId: randomUUID(), from: from.id, displayName: from.displayName, text, at: new Date().toISOString() };
    this.broadcast('chat.message', message);
    return { messageId: message.messageId, at: message.at };
  }

  setLocked(locked: boolean, by: Participant): void {
    if (this.locked === locked) return;
    this.locked = locked;
    this.broadcast('meeting.locked', { locked, by: by.id });
  }

  /** Pauses the target's microphone at the SFU, so nobody hears it until they unmute. */
  async mute(target: Participant, by: Participant): Promise<boolean> {
    const mic = target.media?.producers().find((prod) => prod.source === 'mic' && !prod.paused);
    if (!mic || !target.media) return false;
    await target.media.pauseProducer(mic.id, true);
    target.notify('you.muted', { by: by.id, source: 'mic' });
    this.updated(target);
    return true;
  }

  promote(target: Participant): void {
    if (target.role === 'host') return;
    const previous = target.role;
    target.role = 'host';
    this.events.emit('roleChanged', target, previous);
    target.notify('you.promoted', { role: 'host' });
    this.updated(target);
    this.notifyHosts();
  }

  end(reason: 'ended_by_host' | 'server_shutdown'): void {
    if (this.closedFlag) return;
    for (const p of [...this.participants.values()]) {
      p.notify('meeting.ended', { reason });
      this.closeReason ??= reason;
      this.leave(p, reason === 'ended_by_host' ? 'meeting_ended' : 'server_shutdown');
    }
    this.closeReason ??= reason;
    this.close();
  }

  private close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closeReason ??= 'empty';
    this.media.close();
    this.logger.info('meeting closed');
    this.events.emit('closed');
  }
}
