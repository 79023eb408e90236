import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Emitter, systemClock, type Clock, type TimerHandle } from '../../../common/src/index.js';
import type { JoinMode, LeaveReason, Role } from '../protocol/index.js';
import type { RedisClient } from '../store/index.js';
import type { JoinRequest, MeetingsApi, ParticipantHandle, RoomInfo } from './api.js';
import type { MeetingsConfig } from './config.js';
import { SERVICE_MAX_PARTICIPANTS, type MeetingDirectory, type MeetingRoomRecord } from './directory.js';
import { DomainError } from '../errors.js';
import { MeetingError } from './errors.js';
import type { MeetingLifecycleEvents, MeetingSummary, ParticipantKind, ParticipantSummary } from './events.js';
import { LocalParticipantHandle } from './handle.js';
import type { EndpointVerifier } from './host-evidence.js';
import type { HostLinks } from './host-link.js';
import type { MeetingMediaRoom, OpenMediaRoom } from './media.js';
import { Meeting } from './meeting.js';
import { Participant } from './participant.js';
import { PinGuard } from './pin-guard.js';
import { assertAdmitted, type JoinAdmission } from './admission.js';
import { LookupThrottle } from './lookup-throttle.js';
import { SeatLedger } from './seats.js';
import { callBandwidthCap, videoResolutionCap } from '../licensing/index.js';

/**
 * Participants of our VMRs are `meeting` calls: seed 002's FullHD add-ons are for interop calls
 * (CVI, Teams Rooms, Zoom Rooms), so no add-on lifts a meeting above 720p (licensing/resolution.ts).
 */
const MEETING_RESOLUTION = videoResolutionCap('meeting', { cvi: false, teamsRooms: false, zoomRooms: false });

export type { JoinRequest } from './api.js';

/** Observability hooks; behaviour never depends on them. */
export type MeetingServiceObserverEvents = {
  joinRefused: [reason: string];
  /** A participant was given less than it asked for, and by which limit (company_policy, endpoint_tier, sdp, service_max). */
  bandwidthCapped: [kind: ParticipantKind, cappedBy: string];
  participantJoined: [role: Role, mode: JoinMode];
  participantLeft: [role: Role, mode: JoinMode, reason: LeaveReason];
  meetingOpened: [];
  meetingClosed: [];
};

/**
 * The single-node MeetingsApi: resolves a room, applies the PIN rules, reserves a seat
 * atomically, places the participant in a meeting (created on first join, one per room, creation
 * serialised) and hands back a ParticipantHandle. Emits the lifecycle events (call records,
 * webhooks). Connection concerns (resume, socket replacement) are the entry points'.
 */
export class MeetingService<R extends MeetingMediaRoom = MeetingMediaRoom> implements MeetingsApi<R> {
  readonly observer = new Emitter<MeetingServiceObserverEvents>((event, err) =>
    this.logger.error({ err, event }, 'meeting observer failed'),
  );
  readonly lifecycle = new Emitter<MeetingLifecycleEvents>((event, err) =>
    this.logger.error({ err, event }, 'meeting lifecycle listener failed'),
  );
  private readonly meetings = new Map<string, Meeting<R>>();
  private readonly opening = new Map<string, Promise<Meeting<R>>>();
  private readonly seats: SeatLedger;
  private readonly pins: PinGuard;
  private readonly lookups: LookupThrottle;
  private readonly clock: Clock;
  private renewTimer: TimerHandle | undefined;
  private closed = false;
  private accepting = true;

  constructor(
    private readonly deps: {
      directory: MeetingDirectory;
      redis: RedisClient;
      openMediaRoom: OpenMediaRoom<R>;
      config: MeetingsConfig;
      logger: Logger;
      /** Time for timestamps and seat renewal; default the system clock. */
      clock?: Clock | undefined;
      /** Checks start link tokens; without it a join carrying one is refused. */
      hostLinks?: HostLinks | undefined;
      /** Checks callers' registrations; without it caller identities are ignored. */
      endpoints?: EndpointVerifier | undefined;
      /** Admission control (media CPU): asked before each new join. */
      admission?: JoinAdmission;
    },
  ) {
    this.clock = deps.clock ?? systemClock;
    this.lookups = new LookupThrottle(deps.redis, deps.config.lookups);
    this.seats = new SeatLedger(deps.redis, deps.config.seatLeaseMs);
    this.pins = new PinGuard(deps.redis, deps.config.pin, this.clock);
    this.scheduleRenewal();
  }

  /** Seat leases are renewed every third of their life; on the system clock the timer never keeps the process alive. */
  private scheduleRenewal(): void {
    const every = Math.floor(this.deps.config.seatLeaseMs / 3);
    if (this.clock === systemClock) {
      const t = setInterval(() => void this.renewSeats(), every);
      t.unref();
      this.renewTimer = { cancel: () => clearInterval(t) };
      return;
    }
    const next = () => {
      if (this.closed) return;
      this.renewTimer = this.clock.setTimeout(() => {
        void this.renewSeats();
        next();
      }, every);
    };
    next();
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

  liveMeetings(): Meeting<R>[] {
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
    if (!pin) throw new MeetingError('pin_required', 'this meeting needs a PIN', { guestPin: Boolean(room.guestPinHash && room.allowGuests) });
    // The attempt is taken from the budgets before the comparison: concurrent guesses cannot overtake the count.
    const attempt = await this.pins.reserve(room.id, req.source);
    if (!attempt.ok) {
      const { retryAfterSeconds } = attempt;
      if (attempt.scope === 'room') {
        throw new MeetingError('pin_throttled', `too many wrong PINs for this meeting; PIN entry resumes in ${Math.ceil(retryAfterSeconds / 60)} minute(s)`, {
          retryAfterSeconds,
        });
      }
      throw new MeetingError('pin_locked_out', `too many wrong PINs; try again in ${retryAfterSeconds} second(s)`, { retryAfterSeconds });
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
    if (role === null) throw new MeetingError('wrong_pin', 'that PIN is not correct');
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
    if (!this.deps.hostLinks) throw new MeetingError('host_link_invalid', 'start links are not enabled on this node');
    const claims = this.deps.hostLinks.verify(token);
    const owner = room.owner;
    if (claims.vmrId !== room.id || claims.companyId !== room.companyId || owner?.kind !== 'member' || owner.memberId !== claims.memberId) {
      throw new MeetingError('host_link_invalid', 'this start link is not for this meeting');
    }
    this.logger.info({ room: room.id, member: claims.memberId }, 'owner joins as host with a start link');
    return 'host';
  }

  async lookupRoom(address: string, source: string): Promise<RoomInfo> {
    if (this.closed || !this.accepting) throw new MeetingError('not_ready', 'this node is shutting down; try again shortly');
    const room = await this.lookups.guard(source, () => this.findRoom(address));
    if (!room) throw new MeetingError('meeting_not_found', `no meeting room at ${address}`);
    return {
      meetingId: room.id,
      companyId: room.companyId,
      roomAddress: room.addresses[0] ?? room.numericId,
      displayName: room.displayName,
      pins: !room.hostPinHash ? 'none' : room.guestPinHash && room.allowGuests ? 'host_and_guest' : 'host',
    };
  }

  async join(req: JoinRequest): Promise<ParticipantHandle<R>> {
    try {
      return await this.joinOnce(req);
    } catch (err) {
      if (err instanceof DomainError) this.observer.emit('joinRefused', err.code);
      throw err;
    }
  }

  private async joinOnce(req: JoinRequest): Promise<ParticipantHandle<R>> {
    if (this.closed || !this.accepting) throw new MeetingError('not_ready', 'this node is shutting down; try again shortly');
    assertAdmitted(this.deps.admission);
    const room = await this.lookups.guard(req.source, () => this.findRoom(req.address));
    if (!room) throw new MeetingError('meeting_not_found', `no meeting room at ${req.address}`);
    const role = await this.roleFor(room, req);
    // A locked meeting still takes hosts; guests are refused before they take a seat.
    const running = this.meetings.get(room.id);
    if (running?.locked && role !== 'host') throw new MeetingError('meeting_locked', 'the meeting is locked');

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
      throw new MeetingError(code, code === 'meeting_full' ? 'the meeting is full' : "the organisation's licences do not allow more participants in its meetings right now");
    }
    // SPEC §4: the participant's choice, its endpoint tier or the company's policy, its SDP — lowest wins.
    const cap = callBandwidthCap({
      requestedKbps: req.bandwidthKbps,
      endpointTier: req.endpoint?.tier ?? null,
      companyMaxKbps: limits.maxCallBandwidthKbps ?? null,
      sdpAsKbps: req.sdpBandwidthKbps ?? null,
    });
    try {
      const meeting = await this.meetingFor(room);
      // Accepted now: seat held and about to be placed (lifecycle times follow placement order).
      const joinedAt = this.clock.now();
      const participant = new Participant(
        {
          id: participantId,
          displayName: req.displayName,
          role,
          mode: req.mode,
          kind: req.kind ?? 'browser',
          bandwidthKbps: cap.kbps,
          bandwidthGrant: { requestedKbps: cap.requestedKbps, cappedBy: cap.cappedBy, maxVideoHeight: MEETING_RESOLUTION.height },
          source: req.source,
          callerAddress: req.callerAddress ?? req.caller?.endpointAddress ?? null,
          tier: req.endpoint?.tier ?? null,
          joinedAt,
          call: req.call ?? null,
        },
        (event, err) => this.logger.error({ err, event, participant: participantId }, 'participant listener failed'),
      );
      // Checks the lock again: it may have been set while the seat was being reserved.
      meeting.add(participant);
      if (cap.cappedBy !== 'requested') this.observer.emit('bandwidthCapped', participant.kind, cap.cappedBy);
      return new LocalParticipantHandle(participant, meeting);
    } catch (err) {
      await this.seats.release(room.id, room.companyId, participantId);
      throw err;
    }
  }

  /** One Meeting per room on this node; concurrent first joins share one creation. */
  private async meetingFor(room: MeetingRoomRecord): Promise<Meeting<R>> {
    const existing = this.meetings.get(room.id);
    if (existing && !existing.isClosed) return existing;
    let pending = this.opening.get(room.id);
    if (!pending) {
      pending = (async () => {
        const log = this.logger.child({ room: room.id });
        const media = await this.deps.openMediaRoom(room.id);
        const meeting = new Meeting(room, media, log, this.clock);
        const summary = meetingSummary(meeting);
        meeting.events.on('participantAdded', (p) => this.lifecycle.emit('participantJoined', participantSummary(meeting, p)));
        meeting.events.on('participantJoined', (p, fromLobby) => {
          this.observer.emit('participantJoined', p.role, p.mode);
          if (fromLobby) this.lifecycle.emit('participantAdmitted', participantSummary(meeting, p));
        });
        meeting.events.on('participantRoleChanged', (p, previous) => this.lifecycle.emit('participantRoleChanged', participantSummary(meeting, p), previous));
        meeting.events.on('participantLeft', (p, reason) => this.onLeft(meeting, p, reason));
        meeting.events.on('closed', (reason) => {
          if (this.meetings.get(room.id) === meeting) this.meetings.delete(room.id);
          this.observer.emit('meetingClosed');
          this.lifecycle.emit('meetingEnded', summary, this.clock.now(), reason);
        });
        this.meetings.set(room.id, meeting);
        this.observer.emit('meetingOpened');
        this.lifecycle.emit('meetingStarted', summary);
        return meeting;
      })().finally(() => this.opening.delete(room.id));
      this.opening.set(room.id, pending);
    }
    return pending;
  }

  private onLeft(meeting: Meeting<R>, p: Participant, reason: LeaveReason): void {
    this.observer.emit('participantLeft', p.role, p.mode, reason);
    this.lifecycle.emit('participantLeft', participantSummary(meeting, p), reason, this.clock.now());
    this.seats.release(meeting.room.id, meeting.room.companyId, p.id).catch((err: unknown) => {
      // The lease runs out by itself if Redis is unreachable now.
      this.logger.warn({ err, participant: p.id }, 'seat release failed');
    });
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

  /** Resolves when no meeting runs on this node any more, or after `timeoutMs` (real time: a drain). */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.meetings.size === 0) return true;
    // Event-driven on the injected clock: the last meeting's end resolves it, the clock times it out.
    return new Promise<boolean>((resolve) => {
      const done = (): void => {
        off();
        timer.cancel();
        resolve(this.meetings.size === 0);
      };
      const off = this.lifecycle.on('meetingEnded', () => {
        if (this.meetings.size === 0) done();
      });
      const timer = this.clock.setTimeout(done, timeoutMs);
    });
  }

  /** Drain, last step: end every meeting on this node (participants are told why). Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.renewTimer?.cancel();
    for (const m of [...this.meetings.values()]) m.end('server_shutdown');
  }
}

function meetingSummary(meeting: Meeting): MeetingSummary {
  return { meetingId: meeting.room.id, companyId: meeting.room.companyId, roomAddress: meeting.room.addresses[0] ?? meeting.room.numericId, startedAt: meeting.startedAt };
}

function participantSummary(meeting: Meeting, p: Participant): ParticipantSummary {
  return {
    participantId: p.id,
    meetingId: meeting.room.id,
    companyId: meeting.room.companyId,
    roomAddress: meeting.room.addresses[0] ?? meeting.room.numericId,
    kind: p.kind,
    displayName: p.displayName,
    callerAddress: p.callerAddress,
    role: p.role,
    mode: p.mode,
    bandwidthKbps: p.bandwidthKbps,
    tier: p.tier,
    source: p.source,
    joinedAt: p.joinedAt,
    answeredAt: p.answeredAt,
    call: p.call,
  };
}
