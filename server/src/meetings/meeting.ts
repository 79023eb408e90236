import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Emitter, type Clock } from '../../../common/src/index.js';
import type { JoinResult, LeaveReason, MeetingView, NotificationData, NotificationName, Role } from '../protocol/index.js';
import type { HostAction } from './api.js';
import type { MeetingRoomRecord } from './directory.js';
import { MeetingError } from './errors.js';
import type { CoreMediaPort, MeetingMediaRoom } from './media.js';
import type { Participant } from './participant.js';
import { viewForGuest } from './address-mask.js';

export type MeetingEvents = {
  /** Accepted into the meeting: in the lobby or straight in. */
  participantAdded: [participant: Participant];
  /** Entered the meeting proper (straight in, or admitted from the lobby). */
  participantJoined: [participant: Participant, fromLobby: boolean];
  participantRoleChanged: [participant: Participant, previous: Role];
  participantLeft: [participant: Participant, reason: LeaveReason];
  /** The last participant left or the host ended it; the registry forgets the meeting. */
  closed: [reason: string];
};

/**
 * One running meeting in one VMR: roster, roles, lobby, lock, presentation floor, chat and the
 * host controls — one code path whatever kind of participant (browser, SIP, phone, interop). It
 * owns the media room and sees participants' media only through the core media port; mute and
 * presenter state reach the roster from the port's producer events.
 */
export class Meeting<R extends MeetingMediaRoom = MeetingMediaRoom> {
  readonly events: Emitter<MeetingEvents>;
  readonly participants = new Map<string, Participant>();
  readonly startedAt: number;
  locked = false;
  presenterId: string | null = null;
  activeSpeakerId: string | null = null;
  private closedFlag = false;
  private endingReason: string | undefined;

  constructor(
    readonly room: MeetingRoomRecord,
    readonly media: R,
    private readonly logger: Logger,
    private readonly clock: Clock,
  ) {
    this.startedAt = clock.now();
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

  /** The join answer, transport-neutral (a WebRTC entry point adds the router capabilities). */
  joinResult(p: Participant): JoinResult {
    return {
      participantId: p.id,
      role: p.role,
      state: p.state === 'joined' ? 'joined' : 'lobby',
      bandwidth: { ...p.bandwidth },
      meeting: this.view(),
      roster: p.state !== 'joined' ? [] : p.role === 'guest' ? this.roster().map(viewForGuest) : this.roster(),
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

  /**
   * Adds a participant whose seat is already reserved: joined if allowed in, else lobby. A locked
   * meeting still takes hosts (host PIN, start link, registered endpoint); guests are refused.
   */
  add(p: Participant): void {
    if (this.closedFlag) throw new MeetingError('meeting_not_found', 'the meeting has just ended');
    if (this.locked && p.role !== 'host') throw new MeetingError('meeting_locked', 'the meeting is locked');
    this.participants.set(p.id, p);
    const straightIn = p.role === 'host' || this.hostPresent;
    if (straightIn) this.markJoined(p);
    // Lifecycle snapshots are taken after the state change (answeredAt set when straight in).
    this.events.emit('participantAdded', p);
    if (straightIn) {
      this.announce(p, false);
    } else {
      this.logger.info({ participant: p.id, kind: p.kind }, 'guest waiting in lobby');
      this.notifyHosts();
    }
  }

  private markJoined(p: Participant): void {
    p.transition('joined');
    p.answeredAt = this.clock.now();
  }

  private announce(p: Participant, fromLobby: boolean): void {
    this.logger.info({ participant: p.id, role: p.role, mode: p.mode, kind: p.kind }, 'participant joined');
    this.broadcast('roster.joined', { participant: p.view(false) }, p.id);
    this.events.emit('participantJoined', p, fromLobby);
    if (p.role === 'host') for (const g of this.lobby()) this.admit(g);
  }

  /** Lets a lobby guest in; its entry point gets the join result it was waiting for. */
  admit(p: Participant): void {
    if (p.state !== 'lobby') return;
    this.markJoined(p);
    this.announce(p, true);
    p.events.emit('admitted', this.joinResult(p));
    this.notifyHosts();
  }

  leave(p: Participant, reason: LeaveReason): void {
    if (p.state === 'left') return;
    const wasJoined = p.state === 'joined';
    p.transition('left');
    p.leaveReason = reason;
    this.participants.delete(p.id);
    const media = p.media;
    p.media = undefined;
    media?.close();
    this.logger.info({ participant: p.id, reason }, 'participant left');
    if (this.presenterId === p.id) this.setPresenter(null);
    if (wasJoined) this.broadcast('roster.left', { participantId: p.id, reason });
    else this.notifyHosts();
    this.events.emit('participantLeft', p, reason);
    p.events.emit('left', reason);
    if (this.participants.size === 0) this.close(this.endingReason ?? 'empty');
  }

  updated(p: Participant): void {
    if (p.state === 'joined') this.broadcast('roster.updated', { participant: p.view(p.id === this.presenterId) });
  }

  /** Gives the participant's media leg to the meeting; its producer events keep the roster right. */
  attachMedia(p: Participant, leg: CoreMediaPort): void {
    if (p.state !== 'joined') {
      leg.close();
      throw new MeetingError('not_joined', p.state === 'lobby' ? 'wait to be admitted from the lobby' : 'join a meeting first');
    }
    if (p.media) {
      leg.close();
      throw new MeetingError('media_error', 'capabilities were already set');
    }
    p.media = leg;
    const changed = () => {
      if (p.media === leg) this.updated(p);
    };
    leg.events.on('producerAdded', (prod) => {
      // Screen media needs the floor, whatever the leg: a screen created while the floor moved
      // elsewhere (the entry point checked before an await) closes as if the taker had closed it.
      if ((prod.source === 'screen' || prod.source === 'screen-audio') && this.presenterId !== p.id && p.media === leg) leg.closeProducer(prod.id, true);
      changed();
    });
    leg.events.on('producerPaused', changed);
    leg.events.on('producerResumed', changed);
    leg.events.on('producerClosed', changed);
    this.updated(p);
  }

  setConnected(p: Participant, connected: boolean): void {
    if (p.connected === connected || p.state === 'left') return;
    p.connected = connected;
    this.updated(p);
  }

  setHandRaised(p: Participant, raised: boolean): void {
    if (p.handRaised === raised) return;
    p.handRaised = raised;
    this.updated(p);
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
    const message = { messageId: randomUUID(), from: from.id, displayName: from.displayName, text, at: new Date(this.clock.now()).toISOString() };
    this.broadcast('chat.message', message);
    return { messageId: message.messageId, at: message.at };
  }

  /** Host controls: one path for every kind of participant. `by` must be a joined host. */
  async host(by: Participant, action: HostAction): Promise<{ muted?: number }> {
    if (by.state !== 'joined') throw new MeetingError('not_joined', by.state === 'lobby' ? 'wait to be admitted from the lobby' : 'join a meeting first');
    if (by.role !== 'host') throw new MeetingError('not_host', 'only a host may do this');
    switch (action.action) {
      case 'mute': {
        const targets = action.participantId ? [this.target(action.participantId)] : this.joined().filter((p) => p.id !== by.id);
        let muted = 0;
        for (const t of targets) if (await this.mute(t, by)) muted++;
        return { muted };
      }
      case 'remove': {
        const target = this.target(action.participantId);
        if (target === by) throw new MeetingError('bad_request', 'use leave to leave the meeting yourself');
        this.remove(target);
        return {};
      }
      case 'promote': {
        const target = this.target(action.participantId);
        if (target.state === 'lobby') this.admit(target);
        this.promote(target);
        return {};
      }
      case 'admit': {
        const target = this.target(action.participantId);
        if (target.state !== 'lobby') throw new MeetingError('bad_request', 'that participant is not waiting in the lobby');
        this.admit(target);
        return {};
      }
      case 'lock':
        this.setLocked(action.locked, by);
        return {};
      case 'end':
        this.end('ended_by_host');
        return {};
    }
  }

  private target(participantId: string): Participant {
    const target = this.participants.get(participantId);
    if (!target) throw new MeetingError('participant_not_found', 'no such participant in this meeting');
    return target;
  }

  setLocked(locked: boolean, by: Participant): void {
    if (this.locked === locked) return;
    this.locked = locked;
    this.logger.info({ locked, by: by.id }, 'meeting lock changed');
    this.broadcast('meeting.locked', { locked, by: by.id });
  }

  /** Pauses the target's microphone at the media port, so nobody hears it until they unmute. */
  async mute(target: Participant, by: Participant): Promise<boolean> {
    const media = target.media;
    const mic = media?.producers().find((prod) => prod.source === 'mic' && !prod.paused);
    if (!mic || !media) return false;
    // The port's producerPaused event updates the roster.
    await media.pauseProducer(mic.id, true);
    target.notify('you.muted', { by: by.id, source: 'mic' });
    target.events.emit('mutedByHost', by.id);
    return true;
  }

  remove(target: Participant): void {
    target.notify('you.removed', { reason: 'removed_by_host' });
    target.events.emit('removed', 'removed_by_host');
    this.leave(target, 'removed_by_host');
  }

  promote(target: Participant): void {
    if (target.role === 'host') return;
    const previous = target.role;
    target.role = 'host';
    target.notify('you.promoted', { role: 'host' });
    target.events.emit('roleChanged', 'host', previous);
    this.events.emit('participantRoleChanged', target, previous);
    this.updated(target);
    this.notifyHosts();
  }

  end(reason: 'ended_by_host' | 'server_shutdown'): void {
    if (this.closedFlag) return;
    this.endingReason = reason;
    for (const p of [...this.participants.values()]) {
      p.notify('meeting.ended', { reason });
      p.events.emit('meetingEnded', reason);
      this.leave(p, reason === 'ended_by_host' ? 'meeting_ended' : 'server_shutdown');
    }
    this.close(reason);
  }

  private close(reason: string): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.media.close();
    this.logger.info({ reason }, 'meeting closed');
    this.events.emit('closed', reason);
  }
}
