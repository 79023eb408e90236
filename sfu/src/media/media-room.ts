import type { Logger } from 'pino';
import type { ActiveSpeakerObserver, AudioLevelObserver } from 'mediasoup/node/lib/types.js';
import { validateRtpCapabilities } from 'mediasoup/node/lib/ortc.js';
import { Emitter } from '../../../common/src/index.js';
import type { WorkerPool } from '../worker-pool.js';
import type { MediaRoomApi } from './api.js';
import { AudioTap, type TapContext } from './audio-tap.js';
import { VideoTap, type VideoTapContext } from './video-tap.js';
import { meetingMediaCodecs } from './codecs.js';
import { selectConsumable } from './consumption-policy.js';
import { MediaError, MediaErrorCode } from './errors.js';
import { SpeakerHistory, selectLastN } from './last-n.js';
import type { MediaConfig } from './media-config.js';
import type { MediaLeg } from './media-leg.js';
import { ParticipantMedia } from './participant-media.js';
import type { RoomProducer, RouterSlot } from './room-internals.js';
import { RtpLeg, openPlainTransport } from './rtp-leg.js';
import {
  JOIN_MODES,
  type AudioTapOptions,
  type KindCounts,
  type LegKind,
  type MediaCloseReason,
  type MediaRoomEvents,
  type MediaRoomStats,
  type ParticipantMediaOptions,
  type RtpCapabilities,
  type RtpLegOptions,
  type VideoTapOptions,
  type WorkerBitrate,
} from './types.js';

/**
 * One meeting's media: a router on the least-loaded worker, and more routers on other workers once
 * it outgrows one (`maxParticipantsPerRouter` / `maxConsumersPerRouter`), at most one per worker. Every producer is piped
 * (mediasoup `pipeToRouter`) into every other router of the room, so everyone can consume everyone.
 * The first router hosts the active-speaker observer; every mic is piped there.
 *
 * Participants are legs (media-leg.ts): browsers on the WebRTC leg (participant-media.ts), SIP /
 * phone / interop callers on the RTP leg (rtp-leg.ts); the room treats them alike except for what
 * the policy gives them. An audio tap (audio-tap.ts) may feed the room's audio to a mixer and carry
 * one mix per RTP leg back; a video tap (video-tap.ts) delivers chosen cameras / screens to the SIP
 * gateway's video fan-out. The first router also hosts an audio-level observer (mics' loudness) when
 * `audioLevelIntervalMs` asks for one.
 *
 * Closure cascade (like mediasoup's doc/closures.md), safe to trigger twice:
 *   room.close()  or  a worker under any of its routers dies
 *     1. the room is marked closed (new calls throw `media_room_closed`);
 *     2. each participant (any leg) closes silently — its transports, producers and consumers go
 *        without consumerClosed/producerClosed events — and emits `closed('room_closed' | 'worker_died')`;
 *     3. the audio tap, if open, closes silently the same way and emits `closed(same reason)`; the
 *        video tap emits `streamClosed` per open stream, closes its transport, emits `closed(same reason)`;
 *     4. every router closes (taking pipe transports and the observers with it);
 *     5. the room emits `closed(reason)`; MediaService forgets it.
 *   participant.close()  (any leg)
 *     1. the participant is marked closed; 2. the room forgets its producers and it (last-N and the
 *     active speaker move on, everyone re-syncs; the tap emits `producerUntapped` per audio producer
 *     and withdraws the mix published for it); 3. its transports close, so others' consumers of
 *     its producers close with `consumerClosed`; 4. it emits `closed('closed')`.
 *   tap.close()
 *     1. the tap is marked closed; 2. the room forgets the mixes (each RTP leg's mix consumer closes
 *     with `consumerClosed`); 3. its transport closes with every tapped consumer; 4. `closed('closed')`.
 *   videoTap.close()
 *     1. `streamClosed` per open stream; 2. the tap is marked closed and the room forgets it (another
 *     may be opened); 3. its transport closes with every consumer; 4. `closed('closed')`. The tap is
 *     no participant: its consumers never count for last-N, layer allocation or router load.
 *   a camera / screen producer closes, or its participant leaves
 *     the video tap closes that producer's streams (`streamClosed` each), then emits `sourceRemoved`.
 */
export class MediaRoom implements MediaRoomApi {
  readonly events: Emitter<MediaRoomEvents>;
  private readonly slots: RouterSlot[] = [];
  /** Insertion order = join order (last-N fills from earliest joiners). */
  private readonly members = new Map<string, MediaLeg>();
  private readonly joining = new Set<string>();
  private readonly roomProducers = new Map<string, RoomProducer>();
  private readonly history = new SpeakerHistory();
  private speaker: string | null = null;
  private observer: ActiveSpeakerObserver | undefined;
  private levels: AudioLevelObserver | undefined;
  private tap: AudioTap | undefined;
  private tapOpening = false;
  private videoTap: VideoTap | undefined;
  private videoTapOpening = false;
  private isClosed = false;
  private overflowLogged = false;
  private placement: Promise<unknown> = Promise.resolve();
  private readonly context: TapContext & VideoTapContext;

  private constructor(
    readonly id: string,
    private readonly pool: WorkerPool,
    private readonly config: MediaConfig,
    private readonly logger: Logger,
  ) {
    this.events = new Emitter<MediaRoomEvents>((event, err) => this.logger.error({ err, event }, 'media room listener failed'));
    this.context = {
      config,
      wantedFor: (p) => this.wantedFor(p),
      videoPriority: (p) => this.lastNFor(p),
      ensureOn: (entry, slot) => this.ensureOn(entry, slot),
      producerAdded: (entry) => this.producerAdded(entry),
      producerRemoved: (entry) => this.producerRemoved(entry),
      participantClosed: (p) => this.participantClosed(p),
      isRtpLeg: (id) => this.members.get(id)?.leg === 'rtp',
      tapClosed: (tap) => {
        if (this.tap === tap) this.tap = undefined;
      },
      videoTapClosed: (tap) => {
        if (this.videoTap === tap) this.videoTap = undefined;
      },
    };
  }

  /** @internal Use MediaService.openRoom. */
  static async open(id: string, pool: WorkerPool, config: MediaConfig, logger: Logger): Promise<MediaRoom> {
    const room = new MediaRoom(id, pool, config, logger);
    const first = await room.addRouter();
    try {
      room.observer = await first.router.createActiveSpeakerObserver({ interval: config.activeSpeakerIntervalMs });
      if (config.audioLevelIntervalMs > 0) room.levels = await first.router.createAudioLevelObserver({ maxEntries: 32, threshold: -70, interval: config.audioLevelIntervalMs });
    } catch (err) {
      room.closeWith('closed');
      throw err;
    }
    room.observer.on('dominantspeaker', ({ producer }) => room.onDominantSpeaker(producer.id));
    room.levels?.on('volumes', (volumes) => {
      for (const { producer, volume } of volumes) {
        const entry = room.roomProducers.get(producer.id);
        if (entry) room.members.get(entry.participantId)?.reportAudioLevel(producer.id, volume);
      }
    });
    room.logger.info({ worker: first.workerIndex }, 'media room opened');
    return room;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** What the router offers; the client loads its mediasoup-client Device with this. */
  get rtpCapabilities(): RtpCapabilities {
    const first = this.slots[0];
    if (!first) throw new MediaError(MediaErrorCode.RoomClosed, `media room ${this.id} is closed`);
    return first.router.rtpCapabilities;
  }

  get activeSpeaker(): string | null {
    return this.speaker;
  }

  /** Workers this room's routers run on, first router first. */
  get workerIndexes(): number[] {
    return this.slots.map((s) => s.workerIndex);
  }

  participants(): MediaLeg[] {
    return [...this.members.values()];
  }

  participant(id: string): MediaLeg | undefined {
    return this.members.get(id);
  }

  /**
   * Adds a participant on the first router with room for it (a new router on another worker when
   * none has). Throws `media_participant_exists` for a duplicate id, `media_invalid_parameters` for
   * bad options (including RTP capabilities mediasoup rejects).
   */
  async addParticipant(id: string, options: ParticipantMediaOptions): Promise<ParticipantMedia> {
    return (await this.addLeg(id, 'webrtc', options)) as ParticipantMedia;
  }

  /**
   * Adds a SIP / phone / interop participant: an RTP leg with no transports yet (the caller adds one
   * PlainTransport per m-line). Same placement and errors as addParticipant; `rtpCapabilities` is
   * what the remote endpoint decodes (from its SDP).
   */
  async addRtpLeg(id: string, options: RtpLegOptions): Promise<RtpLeg> {
    return (await this.addLeg(id, 'rtp', options)) as RtpLeg;
  }

  private async addLeg(id: string, leg: LegKind, options: ParticipantMediaOptions | RtpLegOptions): Promise<MediaLeg> {
    this.assertOpen();
    const checked = checkOptions(options);
    if (this.members.has(id) || this.joining.has(id)) {
      throw new MediaError(MediaErrorCode.ParticipantExists, `participant ${id} already has media in room ${this.id}`);
    }
    this.joining.add(id);
    try {
      // Serialised so concurrent joins see each other's placement and never open two spare routers.
      const run = this.placement.then(() => this.place(id, leg, checked));
      this.placement = run.catch(() => undefined);
      return await run;
    } finally {
      this.joining.delete(id);
    }
  }

  private async place(id: string, leg: LegKind, options: ParticipantMediaOptions): Promise<MediaLeg> {
    this.assertOpen();
    const { maxParticipantsPerRouter, maxConsumersPerRouter } = this.config;
    const consumersOn = (s: RouterSlot) => [...s.participants].reduce((n, p) => n + p.consumerCount, 0);
    const slot =
      this.slots.find((s) => s.participants.size < maxParticipantsPerRouter && consumersOn(s) < maxConsumersPerRouter) ??
      (await this.addRouterOnUnusedWorker()) ??
      this.leastLoadedSlot();
    this.assertOpen();
    const log = this.logger.child({ participantId: id, worker: slot.workerIndex });
    const p = leg === 'webrtc' ? new ParticipantMedia(id, options.mode, options, slot, this.context, log) : new RtpLeg(id, options.mode, options, slot, this.context, log.child({ leg }));
    slot.participants.add(p);
    this.members.set(id, p);
    this.events.emit('participantAdded', id);
    return p;
  }

  /**
   * A room has at most one router per worker: mediasoup 3.12 cannot pipe between two routers of one
   * worker (the piped producer keeps its id, and ids are unique per worker). So once every live
   * worker carries this room, further participants go on its least-loaded router, past the limits.
   */
  private async addRouterOnUnusedWorker(): Promise<RouterSlot | undefined> {
    const used = new Set(this.slots.map((s) => s.workerIndex));
    if (this.pool.liveWorkerIndexes().every((i) => used.has(i))) {
      if (!this.overflowLogged) this.logger.warn({ routers: this.slots.length }, 'room exceeds per-router limits: every worker already carries it');
      this.overflowLogged = true;
      return undefined;
    }
    return this.addRouter();
  }

  private leastLoadedSlot(): RouterSlot {
    const slot = [...this.slots].sort((a, b) => a.participants.size - b.participants.size)[0];
    if (!slot) throw new MediaError(MediaErrorCode.RoomClosed, `media room ${this.id} has no router`);
    return slot;
  }

  private async addRouter(): Promise<RouterSlot> {
    const avoid = new Set(this.slots.map((s) => s.workerIndex));
    let placed;
    try {
      placed = await this.pool.createRouterAvoiding({ mediaCodecs: meetingMediaCodecs, appData: { roomId: this.id } }, avoid);
    } catch (err) {
      if ((err as { code?: string }).code === MediaErrorCode.NoWorker) throw new MediaError(MediaErrorCode.NoWorker, 'no media worker is running');
      throw err;
    }
    if (this.isClosed || avoid.has(placed.workerIndex)) {
      // Closed meanwhile, or the free worker died meanwhile and the pool fell back to a used one.
      placed.router.close();
      this.assertOpen();
      return this.leastLoadedSlot();
    }
    const slot: RouterSlot = { ...placed, participants: new Set() };
    placed.router.on('workerclose', () => {
      if (this.pool.closing) return this.closeWith('closed');
      this.logger.error({ worker: slot.workerIndex }, 'media worker under this room died');
      this.closeWith('worker_died');
    });
    this.slots.push(slot);
    if (this.slots.length > 1) {
      this.logger.info({ worker: slot.workerIndex, routers: this.slots.length }, 'room spans another worker');
      for (const entry of this.roomProducers.values()) this.pipeInBackground(entry, slot);
    }
    return slot;
  }

  /**
   * Opens the room's audio tap on its first router (at most one at a time: `media_tap_exists`).
   * Every audio producer already in the room is tapped at once, later ones as they appear.
   */
  async openAudioTap(options: AudioTapOptions): Promise<AudioTap> {
    this.assertOpen();
    if (this.tap || this.tapOpening) throw new MediaError(MediaErrorCode.TapExists, `media room ${this.id} already has an audio tap`);
    const first = this.slots[0];
    if (!first) throw new MediaError(MediaErrorCode.RoomClosed, `media room ${this.id} is closed`);
    this.tapOpening = true;
    let plain;
    try {
      plain = await openPlainTransport(first, this.context, { comedia: options.comedia, rtcpMux: options.rtcpMux }, { roomId: this.id, tap: true });
    } finally {
      this.tapOpening = false;
    }
    if (this.isClosed) {
      plain.close();
      this.assertOpen();
    }
    const tap = new AudioTap(plain, options.comedia, options.rtcpMux, options.tapRtpLegs ?? true, first, this.context, this.logger.child({ tap: plain.id }));
    this.tap = tap;
    for (const entry of this.roomProducers.values()) this.tapInBackground(tap, entry);
    return tap;
  }

  /**
   * Opens the room's video tap on its first router (at most one at a time: `media_tap_exists`).
   * Every camera and screen already in the room is a source at once, later ones as they appear.
   */
  async openVideoTap(options: VideoTapOptions): Promise<VideoTap> {
    this.assertOpen();
    if (options.comedia !== false || options.rtcpMux !== true) {
      throw new MediaError(MediaErrorCode.InvalidParameters, 'the video tap needs comedia false and rtcpMux true');
    }
    if (this.videoTap || this.videoTapOpening) throw new MediaError(MediaErrorCode.TapExists, `media room ${this.id} already has a video tap`);
    const first = this.slots[0];
    if (!first) throw new MediaError(MediaErrorCode.RoomClosed, `media room ${this.id} is closed`);
    this.videoTapOpening = true;
    let plain;
    try {
      plain = await openPlainTransport(first, this.context, { comedia: false, rtcpMux: true }, { roomId: this.id, videoTap: true });
    } finally {
      this.videoTapOpening = false;
    }
    if (this.isClosed) {
      plain.close();
      this.assertOpen();
    }
    const tap = new VideoTap(plain, first, this.context, this.logger.child({ videoTap: plain.id }));
    this.videoTap = tap;
    for (const entry of this.roomProducers.values()) tap.producerAdded(entry);
    return tap;
  }

  private tapInBackground(tap: AudioTap, entry: RoomProducer): void {
    tap.producerAdded(entry).catch((err: unknown) => this.logger.warn({ err, producerId: entry.id }, 'audio tap failed to tap a producer'));
  }

  // ── producers, piping, policy ───────────────────────────────────────────────────────────────

  private ensureOn(entry: RoomProducer, slot: RouterSlot): Promise<void> {
    if (entry.slot === slot) return Promise.resolve();
    let piped = entry.pipes.get(slot);
    if (!piped) {
      piped = entry.slot.router
        .pipeToRouter({ producerId: entry.id, router: slot.router, listenIp: this.config.pipeListenIp })
        .then(() => undefined);
      entry.pipes.set(slot, piped);
      // A failed pipe may be retried by the next consumer that needs it.
      piped.catch(() => entry.pipes.delete(slot));
    }
    return piped;
  }

  private pipeInBackground(entry: RoomProducer, slot: RouterSlot): void {
    this.ensureOn(entry, slot).catch((err: unknown) => {
      if (!entry.producer.closed && !this.isClosed) this.logger.warn({ err, producerId: entry.id, worker: slot.workerIndex }, 'pipe to router failed');
    });
  }

  private producerAdded(entry: RoomProducer): void {
    if (this.isClosed) return;
    this.roomProducers.set(entry.id, entry);
    for (const s of this.slots) if (s !== entry.slot) this.pipeInBackground(entry, s);
    const first = this.slots[0];
    if (this.tap && entry.mixFor === undefined) this.tapInBackground(this.tap, entry);
    this.videoTap?.producerAdded(entry);
    // Only mics speak; screen-share audio (a video someone plays) must not steal the active speaker; a mix is no one's voice.
    if (entry.source === 'mic' && entry.mixFor === undefined && first && this.observer) {
      const observers = this.levels ? [this.observer, this.levels] : [this.observer];
      this.ensureOn(entry, first)
        .then(() => Promise.all(observers.map((o) => o.addProducer({ producerId: entry.id }))))
        .catch((err: unknown) => this.logger.debug({ err, producerId: entry.id }, 'mic not added to the speaker observers'));
    }
    this.syncAll();
  }

  private producerRemoved(entry: RoomProducer): void {
    if (!this.roomProducers.delete(entry.id)) return;
    this.tap?.producerRemoved(entry);
    this.videoTap?.producerRemoved(entry);
    if (entry.source === 'mic' && this.speaker === entry.participantId) this.setSpeaker(null);
    this.syncAll();
  }

  private participantClosed(p: MediaLeg): void {
    if (this.members.get(p.id) !== p) return;
    this.tap?.unpublishMix(p.id);
    this.members.delete(p.id);
    p.slot.participants.delete(p);
    this.history.remove(p.id);
    if (this.speaker === p.id) this.setSpeaker(null);
    this.events.emit('participantRemoved', p.id);
    this.syncAll();
  }

  private onDominantSpeaker(producerId: string): void {
    const entry = this.roomProducers.get(producerId);
    if (!entry || this.isClosed) return;
    this.history.touch(entry.participantId);
    if (this.speaker !== entry.participantId) this.setSpeaker(entry.participantId);
  }

  private setSpeaker(participantId: string | null): void {
    this.speaker = participantId;
    this.events.emit('activeSpeaker', participantId);
    // Last-N follows speech; layer priority follows the speaker.
    this.syncAll();
  }

  private syncAll(): void {
    if (this.isClosed) return;
    for (const p of this.members.values()) p.scheduleSync();
  }

  /** Whose camera `p` sees, best first. */
  private lastNFor(p: MediaLeg): string[] {
    if (p.mode !== 'video') return [];
    const withCamera = new Set<string>();
    for (const e of this.roomProducers.values()) if (e.source === 'camera' && !e.producer.closed) withCamera.add(e.participantId);
    const cameraSenders = [...this.members.keys()].filter((id) => withCamera.has(id));
    return selectLastN({ viewerId: p.id, cameraSenders, speakers: this.history.mostRecentFirst, n: this.config.lastN });
  }

  private wantedFor(p: MediaLeg): RoomProducer[] {
    if (this.isClosed || p.closed) return [];
    const live = [...this.roomProducers.values()].filter((e) => !e.producer.closed);
    return selectConsumable({ id: p.id, mode: p.mode, leg: p.leg }, live, new Set(this.lastNFor(p)));
  }

  // ── stats and lifecycle ───────────────────────────────────────────────────────────────────

  /** Counts and current bitrates (from transport getStats) for metrics; cheap enough to poll every few seconds. */
  async stats(): Promise<MediaRoomStats> {
    const producers: KindCounts = { audio: 0, video: 0 };
    const consumers: KindCounts = { audio: 0, video: 0 };
    const byWorker = new Map<number, WorkerBitrate>(this.slots.map((s) => [s.workerIndex, { workerIndex: s.workerIndex, bitrateInBps: 0, bitrateOutBps: 0 }]));
    const members = this.participants();
    const rates = await Promise.all(members.map((p) => p.transportBitrates()));
    members.forEach((p, i) => {
      const c = p.counts();
      producers.audio += c.producers.audio;
      producers.video += c.producers.video;
      consumers.audio += c.consumers.audio;
      consumers.video += c.consumers.video;
      const w = byWorker.get(p.workerIndex);
      if (w) {
        w.bitrateInBps += rates[i]!.inBps;
        w.bitrateOutBps += rates[i]!.outBps;
      }
    });
    const workers = [...byWorker.values()];
    return {
      roomId: this.id,
      participants: members.length,
      routers: this.slots.map((s) => ({
        workerIndex: s.workerIndex,
        participants: s.participants.size,
        consumers: [...s.participants].reduce((n, p) => n + p.consumerCount, 0),
      })),
      producers,
      consumers,
      bitrateInBps: workers.reduce((n, w) => n + w.bitrateInBps, 0),
      bitrateOutBps: workers.reduce((n, w) => n + w.bitrateOutBps, 0),
      byWorker: workers,
    };
  }

  /** Ends the room's media (see the closure cascade above). Safe to call twice. */
  close(): void {
    this.closeWith('closed');
  }

  private closeWith(reason: MediaCloseReason): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const participantReason: MediaCloseReason = reason === 'closed' ? 'room_closed' : reason;
    for (const p of this.members.values()) p.closeWith(participantReason);
    this.members.clear();
    this.tap?.closeWith(participantReason);
    this.tap = undefined;
    this.videoTap?.closeWith(participantReason);
    this.videoTap = undefined;
    this.roomProducers.clear();
    this.observer = undefined;
    this.levels = undefined;
    for (const s of this.slots) {
      s.participants.clear();
      s.router.close();
    }
    this.logger.info({ reason }, 'media room closed');
    this.events.emit('closed', reason);
  }

  private assertOpen(): void {
    if (this.isClosed) throw new MediaError(MediaErrorCode.RoomClosed, `media room ${this.id} is closed`);
  }
}

function checkOptions(options: ParticipantMediaOptions | RtpLegOptions): ParticipantMediaOptions {
  const bad = (why: string) => new MediaError(MediaErrorCode.InvalidParameters, why);
  if (!JOIN_MODES.includes(options.mode)) throw bad(`unknown join mode ${String(options.mode)}`);
  for (const key of ['maxIncomingBitrateBps', 'maxOutgoingBitrateBps'] as const) {
    const v = options[key];
    if (!Number.isSafeInteger(v) || v < 0) throw bad(`${key} must be a non-negative integer`);
  }
  // mediasoup validates (and normalises) in place: work on a copy of what came off the network.
  let rtpCapabilities: RtpCapabilities;
  try {
    rtpCapabilities = structuredClone(options.rtpCapabilities);
    validateRtpCapabilities(rtpCapabilities);
  } catch (err) {
    throw bad(`invalid rtpCapabilities: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ...options, rtpCapabilities };
}
