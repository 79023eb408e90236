import type { CallBandwidthView, JoinMode, JoinResult, MeetingView, NotificationData, ParticipantView, Role } from '../../../server/src/protocol/index.js';
import { Emitter } from '../../../common/src/emitter.js';

/** Where this page is in its lifecycle. */
export type Phase = 'join' | 'connecting' | 'lobby' | 'joined' | 'reconnecting' | 'ended';

export interface ChatEntry {
  messageId: string;
  from: string;
  displayName: string;
  text: string;
  at: string;
}

/** A readable state snapshot (also what `window.convene.state` returns). */
export interface MeetingSnapshot {
  phase: Phase;
  participantId: string | null;
  role: Role | null;
  mode: JoinMode | null;
  meeting: MeetingView | null;
  roster: ParticipantView[];
  lobby: ParticipantView[];
  chat: ChatEntry[];
  presenterId: string | null;
  activeSpeakerId: string | null;
  /** The call bandwidth that applies to us (from the join answer); null before joining. */
  bandwidth: CallBandwidthView | null;
  /** Human sentence for the current error or end state, if any. */
  notice: string | null;
}

const MAX_CHAT = 500;

/**
 * The meeting as this participant sees it, fed by join results and notifications. Pure data and
 * events (no DOM, no media) so it can be tested directly.
 */
export class MeetingState {
  readonly events = new Emitter<{ changed: []; chat: [ChatEntry] }>();
  phase: Phase = 'join';
  participantId: string | null = null;
  role: Role | null = null;
  mode: JoinMode | null = null;
  meeting: MeetingView | null = null;
  bandwidth: CallBandwidthView | null = null;
  readonly roster = new Map<string, ParticipantView>();
  lobby: ParticipantView[] = [];
  readonly chat: ChatEntry[] = [];
  notice: string | null = null;

  get me(): ParticipantView | undefined {
    return this.participantId ? this.roster.get(this.participantId) : undefined;
  }

  get isHost(): boolean {
    return this.role === 'host';
  }

  get presenterId(): string | null {
    return this.meeting?.presenterId ?? null;
  }

  get activeSpeakerId(): string | null {
    return this.meeting?.activeSpeakerId ?? null;
  }

  /** Our organisation's policy lowered the bandwidth we chose (the page says so). */
  get cappedByOrganisation(): boolean {
    return this.bandwidth?.cappedBy === 'company_policy';
  }

  setPhase(phase: Phase, notice: string | null = this.notice): void {
    this.phase = phase;
    this.notice = notice;
    this.changed();
  }

  setNotice(notice: string | null): void {
    this.notice = notice;
    this.changed();
  }

  /** A join answer or `lobby.admitted`: who I am, the meeting and its roster. */
  applyJoin(result: JoinResult, mode: JoinMode): void {
    this.participantId = result.participantId;
    this.role = result.role;
    this.mode = mode;
    this.meeting = { ...result.meeting };
    this.bandwidth = { ...result.bandwidth };
    this.roster.clear();
    for (const p of result.roster) this.roster.set(p.id, p);
    this.phase = result.state === 'lobby' ? 'lobby' : 'joined';
    this.notice = null;
    this.changed();
  }

  /** Applies one server notification to the state. Returns false for notifications that are not about state. */
  apply<K extends keyof NotificationData>(name: K, data: NotificationData[K]): boolean {
    switch (name) {
      case 'roster.joined':
      case 'roster.updated': {
        const p = (data as NotificationData['roster.joined']).participant;
        if (p.state === 'lobby') {
          this.roster.delete(p.id);
        } else {
          this.roster.set(p.id, p);
          this.lobby = this.lobby.filter((w) => w.id !== p.id);
        }
        if (p.id === this.participantId) this.role = p.role;
        break;
      }
      case 'roster.left': {
        const d = data as NotificationData['roster.left'];
        this.roster.delete(d.participantId);
        this.lobby = this.lobby.filter((w) => w.id !== d.participantId);
        if (this.meeting?.activeSpeakerId === d.participantId) this.meeting.activeSpeakerId = null;
        break;
      }
      case 'lobby.changed':
        this.lobby = [...(data as NotificationData['lobby.changed']).waiting];
        break;
      case 'speaker.active':
        if (this.meeting) this.meeting.activeSpeakerId = (data as NotificationData['speaker.active']).participantId;
        break;
      case 'presentation.changed': {
        const d = data as NotificationData['presentation.changed'];
        if (this.meeting) this.meeting.presenterId = d.presenterId;
        for (const [id, p] of this.roster) {
          const presenting = id === d.presenterId;
          if (p.presenting !== presenting) this.roster.set(id, { ...p, presenting });
        }
        break;
      }
      case 'meeting.locked':
        if (this.meeting) this.meeting.locked = (data as NotificationData['meeting.locked']).locked;
        break;
      case 'you.promoted': {
        this.role = (data as NotificationData['you.promoted']).role;
        const me = this.me;
        if (me) this.roster.set(me.id, { ...me, role: this.role });
        break;
      }
      case 'chat.message': {
        const entry = { ...(data as NotificationData['chat.message']) };
        if (this.chat.some((c) => c.messageId === entry.messageId)) return true;
        this.chat.push(entry);
        if (this.chat.length > MAX_CHAT) this.chat.splice(0, this.chat.length - MAX_CHAT);
        this.events.emit('chat', entry);
        break;
      }
      default:
        return false;
    }
    this.changed();
    return true;
  }

  /** Sorted for display: me first, then hosts, then by name. */
  sortedRoster(): ParticipantView[] {
    return [...this.roster.values()].sort((a, b) => {
      if (a.id === this.participantId) return -1;
      if (b.id === this.participantId) return 1;
      if (a.role !== b.role) return a.role === 'host' ? -1 : 1;
      return a.displayName.localeCompare(b.displayName);
    });
  }

  snapshot(): MeetingSnapshot {
    return {
      phase: this.phase,
      participantId: this.participantId,
      role: this.role,
      mode: this.mode,
      meeting: this.meeting ? { ...this.meeting } : null,
      roster: this.sortedRoster(),
      lobby: [...this.lobby],
      chat: [...this.chat],
      presenterId: this.presenterId,
      activeSpeakerId: this.activeSpeakerId,
      bandwidth: this.bandwidth ? { ...this.bandwidth } : null,
      notice: this.notice,
    };
  }

  private changed(): void {
    this.events.emit('changed');
  }
}
