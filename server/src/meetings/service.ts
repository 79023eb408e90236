import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Emitter, systemClock, type Clock } from '../../../common/src/index.js';
import type { JoinMode, LeaveReason, Role } from '../protocol/index.js';
import { DomainError } from '../errors.js';
import type { RedisClient } from '../store/index.js';
import type { MeetingsConfig } from './config.js';
import { SERVICE_MAX_PARTICIPANTS, type MeetingDirectory, type MeetingRoomRecord } from './directory.js';
import type { OpenMediaRoom } from './media.js';
import { Meeting } from './meeting.js';
import { Participant, type ParticipantChannel } from './participant.js';
import type { CallerIdentity, EndpointVerifier } from './host-evidence.js';
import type { HostLinks } from './host-link.js';
import type { MeetingLifecycleEvents, MeetingSummary, ParticipantSummary } from './events.js';
import { PinGuard } from './pin-guard.js';
import { assertAdmitted, type JoinAdmission } from './admission.js';
import { LookupThrottle } from './lookup-throttle.js';
import { SeatLedger } from './seats.js';

export interface JoinRequest {
  address: string;
  displayName: string;
  pin?: string | undefined;
  mode: JoinMode;
  bandwidthKbps: number;
  /** Source address of the connection (PIN rate limits, logs). */
  source: string;
  /** A signed start link token (member portal): the owner joins as host without a PIN. */
  hostToken?: string | undefined;
  /**
   * Set by the SIP gateway only, from what it saw on the network: a registered endpoint of the
   * room's company joins as host without a PIN. Never taken from a browser.
   */
  caller?: CallerIdentity | undefined;
}

export interface JoinedParticipant {
  participant: Participant;
  meeting: Meeting;
}

export const newResumeToken = (): string => randomBytes(24).toString('base64url');

/** Observability hooks; behaviour never depends on them. */
export type MeetingServiceObserverEvents = {
  joinRefused: [reason: string];
  participantJoined: [role: Role, mode: JoinMode];
  participantLeft: [role: Role, mode: JoinMode, reason: LeaveReason];
  meetingOpened: [];
  meetingClosed: [];
};

interface Membership {
  participant: Participant;
  meeting: Meeting;
  graceTimer: NodeJS.Timeout | undefined;
}

/**
 * The meetings API that signalling (and later the SIP gateway) uses: resolves a room, applies
 * the PIN rules, reserves a seat atomically, places the participant in a meeting (created on
 * first join, one per room, creation serialised), and handles disconnect/resume.
 */
export class MeetingService {
  readonly observer = new Emitter<MeetingServiceObserverEvents>((event, err) =>
    this.logger.error({ err, event }, 'meeting observer failed'),
  );
  /** Lifecycle events (events.ts) for call records and webhooks: snapshots, emitted after the change. */
  readonly lifecycle = new Emitter<MeetingLifecycleEvents>((event, err) => this.logger.error({ err, event }, 'lifecycle listener failed'));
  /** Per participant session: when it joined / entered the meeting proper (lifecycle only). */
  private readonly sessions = new Map<string, { joinedAt: number; answeredAt: number | null; announced: boolean }>();
  private readonly meetingStarts = new Map<Meeting, number>();
  private readonly meetings = new Map<string, Meeting>();
  private readonly opening = new Map<string, Promise<Meeting>>();
  private readonly byToken = new Map<string, Membership>();
  private readonly tokenOf = new Map<Participant, string>();
  private readonly seats: SeatLedger;
  private readonly pins: PinGuard;
  private readonly lookups: LookupThrottle;
  private readonly renewTimer: NodeJS.Timeout;
  private closed = false;
  private accepting = true;

  constructor(
    private readonly deps: {
      directory: MeetingDirectory;
      redis: RedisClient;
      openMediaRoom: OpenMediaRoom;
      config: MeetingsConfig;
      logger: Logger;
      /** Checks start link tokens; without it a join carrying one is refused. */
      hostLinks?: HostLinks | undefined;
      /** Checks callers' registrations; without it caller identities are ignored. */
      endpoints?: EndpointVerifier | undefined;
      /** Admission control (media CPU): asked before each new join. */
      admission?: JoinAdmission;
      /** Timestamps of lifecycle events (default: the system clock). */
      clock?: Clock | undefined;
    },
  ) {
    this.lookups = new LookupThrottle(deps.redis, deps.config.lookups);
    this.seats = new SeatLedger(deps.redis, deps.config.seatLeaseMs);
    this.pins = new PinGuard(deps.redis, deps.config.pin);
    this.renewTimer = setInterval(() => void this.renewSeats(), Math.floor(deps.config.seatLeaseMs / 3));
    this.renewTimer.unref();
  }

  private get logger(): Logger {
    return this.deps.logger;
  }

  get pinAttemptsPerSession(): number {
    return this.deps.config.pin.attemptsPerSession;
  }

  get meetingCount(): number {
    return this.meetings.size;
  }

  liveMeetings(): Meeting[] {
    return [...this.meetings.values()];
  }

  async findRoom(address: string): Promise<MeetingRoomRecord | null> {
    const a = address.trim().toLowerCase();
    const room = /^\d+$/.test(a) ? await this.deps.directory.getVmrByNumericId(a) : await this.deps.directory.getVmrByAddress(a);
    return room && room.state === 'active' ? room : null;
  }

  /**
   * SPEC §3: no PIN → host; host PIN only → everyone needs it; host + guest PIN → the PIN picks
   * the role (a guest PIN only counts while the room allows guests). The owner coming through an
   * authenticated path (start link, registered endpoint) is host without a PIN, so throttled
   * anonymous PIN entry never locks the owner out.
   */
  private async roleFor(room: MeetingRoomRecord, req: JoinRequest): Promise<Role> {
    if (req.hostToken !== undefined) return this.hostFromLink(room, req.hostToken);
    if (!room.hostPinHash) return 'host';
    if (req.caller && (await this.deps.endpoints?.isRegisteredEndpointOf(req.caller, room.companyId))) {
      this.logger.info({ room: room.id, endpoint: req.caller.endpointAddress }, 'registered endpoint joins as host');
      return 'host';
    }
    const pin = req.pin;
    if (!pin) throw new DomainError('pin_required', 'this meeting needs a PIN', { guestPin: Boolean(room.guestPinHash && room.allowGuests) });
    // The attempt is taken from the budgets before the comparison: concurrent guesses cannot overtake the count.
    const attempt = await this.pins.reserve(room.id, req.source);
    if (!attempt.ok) {
      const { retryAfterSeconds } = attempt;
      if (attempt.scope === 'room') {
        throw new DomainError('pin_throttled', `too many wrong PINs for this meeting; PIN entry resumes in ${Math.ceil(retryAfterSeconds / 60)} minute(s)`, {
          retryAfterSeconds,
        });
      }
      throw new DomainError('pin_locked_out', `too many wrong PINs; try again in ${retryAfterSeconds} second(s)`, { retryAfterSeconds });
    }
    let role: Role | null;
    try {
      role = (await this.deps.directory.verifyPin(pin, room.hostPinHash))
        ? 'host'
        : room.guestPinHash && room.allowGuests && (await this.deps.directory.verifyPin(pin, room.guestPinHash))
          ? 'guest'
          : null;
    } catch (err) {
      await this.refund(room.id, req.source, attempt.id);
      throw err;
    }
    if (role === null) throw new DomainError('wrong_pin', 'that PIN is not correct');
    // A right PIN is not a failure: give the attempt back.
    await this.refund(room.id, req.source, attempt.id);
    return role;
  }

  /** A refund that fails only costs the source and room one attempt of budget; the join goes on. */
  private async refund(roomId: string, source: string, attemptId: string): Promise<void> {
    try {
      await this.pins.refund(roomId, source, attemptId);
    } catch (err) {
      this.logger.warn({ err, room: roomId }, 'PIN attempt refund failed');
    }
  }

  private hostFromLink(room: MeetingRoomRecord, token: string): Role {
    if (!this.deps.hostLinks) throw new DomainError('host_link_invalid', 'start links are not enabled on this node');
    const claims = this.deps.hostLinks.verify(token);
    const owner = room.owner;
    if (claims.vmrId !== room.id || claims.companyId !== room.companyId || owner?.kind !== 'member' || owner.memberId !== claims.memberId) {
      throw new DomainError('host_link_invalid', 'this start link is not for this meeting');
    }
    this.logger.info({ room: room.id, member: claims.memberId }, 'owner joins as host with a start link');
    return 'host';
  }

  /** `resumeToken` is the connection's token (from hello); it resumes this participant later. */
  async join(req: JoinRequest, channel: ParticipantChannel, resumeToken: string): Promise<JoinedParticipant> {
    try {
      return await this.joinOnce(req, channel, resumeToken);
    } catch (err) {
      if (err instanceof DomainError) this.observer.emit('joinRefused', err.code);
      throw err;
    }
  }

  private async joinOnce(req: JoinRequest, channel: ParticipantChannel, resumeToken: string): Promise<JoinedParticipant> {
    if (this.closed || !this.accepting) throw new DomainError('not_ready', 'this node is shutting down; try again shortly');
    assertAdmitted(this.deps.admission);
    const room = await this.lookups.guard(req.source, () => this.findRoom(req.address));
    if (!room) throw new DomainError('meeting_not_found', `no meeting room at ${req.address}`);
    const role = await this.roleFor(room, req);
    const running = this.meetings.get(room.id);
    if (running?.locked) throw new DomainError('meeting_locked', 'the meeting is locked');

    const limits = await this.deps.directory.companyLimits(room.companyId);
    const roomCap = Math.min(SERVICE_MAX_PARTICIPANTS, room.participantLimit ?? SERVICE_MAX_PARTICIPANTS);
    const participantId = randomUUID();
    const seat = await this.seats.reserve({
      meetingId: room.id,
      companyId: room.companyId,
      participantId,
      meetingLimit: Math.min(roomCap, limits.perMeeting),
      companyLimit: limits.companyConcurrent,
    });
    if (seat !== 'ok') {
      // The per-meeting cap is the licence's when the licence is what binds.
      const code = seat === 'meeting_full' && limits.perMeeting < roomCap ? 'licence_limit' : seat;
      throw new DomainError(code, code === 'meeting_full' ? 'the meeting is full' : "the organisation's licences do not allow more participants in its meetings right now");
    }
    try {
      const meeting = await this.meetingFor(room);
      if (meeting.locked) throw new DomainError('meeting_locked', 'the meeting is locked');
      const participant = new Participant(
        { id: participantId, displayName: req.displayName, role, mode: req.mode, bandwidthKbps: req.bandwidthKbps, source: req.source },
        channel,
      );
      this.sessions.set(participant.id, { joinedAt: this.now(), answeredAt: null, announced: false });
      meeting.add(participant);
      this.announceJoin(meeting, participant);
      this.byToken.set(resumeToken, { participant, meeting, graceTimer: undefined });
      this.tokenOf.set(participant, resumeToken);
      return { participant, meeting };
    } catch (err) {
      this.sessions.delete(participantId);
      await this.seats.release(room.id, room.companyId, participantId);
      throw err;
    }
  }

  /** One Meeting per room on this node; concurrent first joins share one creation. */
  private async meetingFor(room: MeetingRoomRecord): Promise<Meeting> {
    const existing = this.meetings.get(room.id);
    if (existing && !existing.isClosed) return existing;
    let pending = this.opening.get(room.id);
    if (!pending) {
      pending = (async () => {
        const log = this.logger.child({ room: room.id });
        const media = await this.deps.openMediaRoom(room.id);
        const meeting = new Meeting(room, media, log);
        meeting.events.on('participantJoined', (p) => this.observer.emit('participantJoined', p.role, p.mode));
        meeting.events.on('participantLeft', (p, reason) => this.onLeft(meeting, p, reason));
        this.wireLifecycle(meeting);
        meeting.events.on('closed', () => {
          if (this.meetings.get(room.id) === meeting) this.meetings.delete(room.id);
          this.observer.emit('meetingClosed');
        });
        this.meetings.set(room.id, meeting);
        this.observer.emit('meetingOpened');
        this.lifecycle.emit('meetingStarted', this.meetingSummary(meeting));
        return meeting;
      })().finally(() => this.opening.delete(room.id));
      this.opening.set(room.id, pending);
    }
    return pending;
  }

  private onLeft(meeting: Meeting, p: Participant, reason: LeaveReason): void {
    this.observer.emit('participantLeft', p.role, p.mode, reason);
    const token = this.tokenOf.get(p);
    if (token) {
      const m = this.byToken.get(token);
      if (m?.graceTimer) clearTimeout(m.graceTimer);
      this.byToken.delete(token);
      this.tokenOf.delete(p);
    }
    this.seats.release(meeting.room.id, meeting.room.companyId, p.id).catch((err: unknown) => {
      // The lease runs out by itself if Redis is unreachable now.
      this.logger.warn({ err, participant: p.id }, 'seat release failed');
    });
  }

  // ---- Lifecycle events (events.ts): snapshots for call records and webhooks. ----

  private now(): number {
    return (this.deps.clock ?? systemClock).now();
  }

  private meetingSummary(meeting: Meeting): MeetingSummary {
    let startedAt = this.meetingStarts.get(meeting);
    if (startedAt === undefined) this.meetingStarts.set(meeting, (startedAt = this.now()));
    return { meetingId: meeting.room.id, companyId: meeting.room.companyId, roomAddress: meeting.room.addresses[0] ?? '', startedAt };
  }

  private participantSummary(meeting: Meeting, p: Participant): ParticipantSummary {
    const session = this.sessions.get(p.id);
    return {
      participantId: p.id,
      meetingId: meeting.room.id,
      companyId: meeting.room.companyId,
      roomAddress: meeting.room.addresses[0] ?? '',
      // Today every participant comes over the WebSocket; the MeetingsApi brings the other kinds.
      kind: 'browser',
      displayName: p.displayName,
      callerAddress: null,
      role: p.role,
      mode: p.mode,
      bandwidthKbps: p.bandwidthKbps,
      tier: null,
      source: p.source,
      joinedAt: session?.joinedAt ?? this.now(),
      answeredAt: session?.answeredAt ?? null,
    };
  }

  /** After meeting.add(): a guest left waiting in the lobby is announced here (answeredAt null). */
  private announceJoin(meeting: Meeting, p: Participant): void {
    const session = this.sessions.get(p.id);
    if (!session || session.announced || p.state === 'left') return;
    session.announced = true;
    this.lifecycle.emit('participantJoined', this.participantSummary(meeting, p));
  }

  private wireLifecycle(meeting: Meeting): void {
    this.meetingSummary(meeting);
    meeting.events.on('participantJoined', (p) => {
      const session = this.sessions.get(p.id);
      if (!session) return;
      session.answeredAt = this.now();
      // Straight in: the join itself; from the lobby: admitted.
      if (session.announced) this.lifecycle.emit('participantAdmitted', this.participantSummary(meeting, p));
      else this.announceJoin(meeting, p);
    });
    meeting.events.on('roleChanged', (p, previous) => this.lifecycle.emit('participantRoleChanged', this.participantSummary(meeting, p), previous));
    meeting.events.on('participantLeft', (p, reason) => {
      const summary = this.participantSummary(meeting, p);
      this.sessions.delete(p.id);
      this.lifecycle.emit('participantLeft', summary, reason, this.now());
    });
    meeting.events.on('closed', () => {
      const summary = this.meetingSummary(meeting);
      this.meetingStarts.delete(meeting);
      this.lifecycle.emit('meetingEnded', summary, this.now(), meeting.closeReason ?? 'empty');
    });
  }

  /** The connection dropped: keep the participant for the grace period, then it leaves. */
  disconnected(p: Participant): void {
    const token = this.tokenOf.get(p);
    const m = token ? this.byToken.get(token) : undefined;
    if (!m || p.state === 'left') return;
    p.detach();
    m.meeting.updated(p);
    if (m.graceTimer) clearTimeout(m.graceTimer);
    m.graceTimer = setTimeout(() => m.meeting.leave(p, 'connection_lost'), this.deps.config.reconnectGraceMs);
  }

  /** A new connection presents the resume token: it takes over the participant. */
  resume(token: string, channel: ParticipantChannel): { participant: Participant; meeting: Meeting; resumeToken: string } {
    const m = this.byToken.get(token);
    if (!m || m.participant.state === 'left') throw new DomainError('session_expired', 'that session is over; join again');
    if (m.graceTimer) clearTimeout(m.graceTimer);
    m.graceTimer = undefined;
    // Rotate the token so a leaked one is good for a single resume.
    this.byToken.delete(token);
    const fresh = newResumeToken();
    this.byToken.set(fresh, m);
    this.tokenOf.set(m.participant, fresh);
    m.participant.attach(channel);
    m.meeting.updated(m.participant);
    return { participant: m.participant, meeting: m.meeting, resumeToken: fresh };
  }

  private async renewSeats(): Promise<void> {
    const seats = [...this.meetings.values()].flatMap((m) =>
      [...m.participants.values()].map((p) => ({ meetingId: m.room.id, companyId: m.room.companyId, participantId: p.id })),
    );
    try {
      await this.seats.renew(seats);
    } catch (err) {
      this.logger.warn({ err, seats: seats.length }, 'seat renewal failed; will retry');
    }
  }

  /** Drain, step 1: refuse new joins; running meetings carry on. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Resolves when no meeting runs on this node any more, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.meetings.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    return this.meetings.size === 0;
  }

  /** Drain, last step: end every meeting on this node (participants are told why). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    for (const m of [...this.meetings.values()]) m.end('server_shutdown');
    for (const m of this.byToken.values()) if (m.graceTimer) clearTimeout(m.graceTimer);
  }
}
