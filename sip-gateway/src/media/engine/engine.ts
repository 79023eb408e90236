/**
 * The main-thread side of the media engine: the worker pool and the thin proxies the call layer
 * holds (CallMedia, RoomAudio). A meeting — its room mixer and all of its calls — lives on the
 * worker its id hashes to, so the mixer never crosses a thread. A worker that dies fails its calls,
 * drops its rooms, and is replaced for what comes next.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Emitter } from '../../../../common/src/index.js';
import { autoWorkerCount, mediaEngineConfigSchema, type MediaEngineConfig, type MediaEngineConfigInput } from './config.js';
import { EngineMetrics } from './metrics.js';
import { MediaEngineError } from './port-allocator.js';
import { promptEntries, type PromptPcmSource } from './prompts.js';
import type { CallEventMessage, Command, PromptPcmEntry, ReplyValues, WorkerCounters } from './protocol.js';
import type {
  CallAudioSession,
  CallMedia,
  CallMediaEvents,
  CallMediaStats,
  CallVideoSession,
  CallVideoStats,
  MediaEngine,
  MediaEngineStats,
  PromptId,
  RoomAudio,
  RoomSendTarget,
  RoomVideo,
  RoomVideoStream,
  TapSource,
  VideoRole,
  VideoSendTarget,
} from './types.js';
import { WorkerClient } from './worker-client.js';

export interface MediaEngineDeps {
  logger: Logger;
  registry?: Registry;
  /** A prompts directory (loadPromptSet: every prompt must be there) or PCM made by the caller. */
  prompts: { dir: string } | PromptPcmSource;
}

/** How often workers push counters for metrics (ms). */
const COUNTERS_INTERVAL_MS = 1000;
/** Restart delay after a crash, doubling while a replacement keeps dying young, up to the cap. */
const RESTART_BASE_MS = 100;
const RESTART_MAX_MS = 5000;
const YOUNG_DEATH_MS = 2000;

/** FNV-1a: a stable, well-spread hash of the meeting id picks its worker. */
function hashOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface Slot {
  index: number;
  client: WorkerClient | null;
  startedAt: number;
  failures: number;
  restartTimer: NodeJS.Timeout | null;
  /** Resolves with a live client (waits for a restart in progress). */
  waiters: Array<{ resolve: (c: WorkerClient) => void; reject: (e: Error) => void }>;
}

export async function createMediaEngine(config: MediaEngineConfigInput | MediaEngineConfig, deps: MediaEngineDeps): Promise<WorkerMediaEngine> {
  const parsed = mediaEngineConfigSchema.parse(config);
  const engine = new WorkerMediaEngine(parsed, deps);
  await engine.start();
  return engine;
}

export class WorkerMediaEngine implements MediaEngine {
  readonly workerCount: number;
  private readonly slots: Slot[] = [];
  private readonly prompts: PromptPcmEntry[];
  private readonly metrics: EngineMetrics;
  private readonly logger: Logger;
  private readonly calls = new Map<string, CallMediaProxy>();
  private readonly rooms = new Set<RoomAudioProxy | RoomVideoProxy>();
  private closed = false;

  constructor(
    readonly config: MediaEngineConfig,
    deps: MediaEngineDeps,
  ) {
    this.logger = deps.logger;
    this.workerCount = config.workers === 0 ? autoWorkerCount() : config.workers;
    this.metrics = new EngineMetrics(deps.registry);
    this.prompts = promptEntries(deps.prompts);
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.workerCount; i++) {
      this.slots.push({ index: i, client: null, startedAt: 0, failures: 0, restartTimer: null, waiters: [] });
    }
    try {
      await Promise.all(this.slots.map((s) => this.spawn(s)));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async openCall(opts: { callId: string; meetingId: string }): Promise<CallMedia> {
    if (this.calls.has(opts.callId)) throw new MediaEngineError('bad_command', `call ${opts.callId} is already open`);
    const client = await this.clientFor(opts.meetingId);
    const ports = await client.request({ op: 'openCall', callId: opts.callId });
    const ip = this.config.announcedIp ?? this.config.rtpListenIp;
    const proxy = new CallMediaProxy(opts.callId, opts.meetingId, ip, { ip, ...ports }, client, this.logger, () => this.calls.delete(opts.callId));
    this.calls.set(opts.callId, proxy);
    return proxy;
  }

  async openRoom(meetingId: string): Promise<RoomAudio> {
    const client = await this.clientFor(meetingId);
    const { tapPort } = await client.request({ op: 'openRoom', meetingId });
    const room = new RoomAudioProxy(meetingId, { ip: this.config.announcedIp ?? this.config.rtpListenIp, port: tapPort }, client, () => this.rooms.delete(room));
    this.rooms.add(room);
    return room;
  }

  async openRoomVideo(meetingId: string): Promise<RoomVideo> {
    const client = await this.clientFor(meetingId);
    const { tapPort } = await client.request({ op: 'openRoomVideo', meetingId });
    const room = new RoomVideoProxy(meetingId, { ip: this.config.announcedIp ?? this.config.rtpListenIp, port: tapPort }, client, () => this.rooms.delete(room));
    this.rooms.add(room);
    return room;
  }

  async stats(): Promise<MediaEngineStats> {
    const live = this.slots.map((s) => s.client).filter((c): c is WorkerClient => c?.alive === true);
    const all = await Promise.all(live.map((c) => c.request({ op: 'workerStats' }).catch(() => null)));
    const counters = all.filter((c): c is WorkerCounters => c !== null);
    return {
      workers: live.length,
      rooms: counters.reduce((n, c) => n + c.rooms, 0),
      calls: counters.reduce((n, c) => n + c.calls, 0),
      deadlineMisses: counters.reduce((n, c) => n + c.deadlineMissesTotal, 0),
    };
  }

  /** Each live worker's counters and event-loop utilisation (bench and diagnostics). */
  async workerDiagnostics(): Promise<Array<{ index: number; counters: WorkerCounters; elu: { active: number; idle: number; utilization: number } }>> {
    const out = [];
    for (const s of this.slots) {
      const c = s.client;
      if (!c?.alive) continue;
      const counters = await c.request({ op: 'workerStats' }).catch(() => null);
      if (counters) out.push({ index: s.index, counters, elu: c.eventLoopUtilization() });
    }
    return out;
  }

  /** Ends the worker hosting `meetingId` as a crash would (operations and tests of the failure path). */
  async terminateWorkerFor(meetingId: string): Promise<void> {
    const slot = this.slots[hashOf(meetingId) % this.slots.length]!;
    await slot.client?.terminate('terminated on request');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.slots) {
      if (s.restartTimer) clearTimeout(s.restartTimer);
      for (const w of s.waiters.splice(0)) w.reject(new MediaEngineError('engine_closed', 'the media engine is closed'));
    }
    await Promise.all(this.slots.map((s) => s.client?.terminate('engine closed')));
  }

  private async clientFor(meetingId: string): Promise<WorkerClient> {
    if (this.closed) throw new MediaEngineError('engine_closed', 'the media engine is closed');
    const slot = this.slots[hashOf(meetingId) % this.slots.length]!;
    if (slot.client?.alive) {
      await slot.client.ready;
      return slot.client;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new MediaEngineError('worker_failed', `media worker ${slot.index} is restarting`)), 10_000);
      slot.waiters.push({
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  private async spawn(slot: Slot): Promise<void> {
    const client: WorkerClient = new WorkerClient(
      slot.index,
      { workerIndex: slot.index, workerCount: this.workerCount, config: this.config, prompts: this.prompts, countersIntervalMs: COUNTERS_INTERVAL_MS },
      this.logger,
      {
        onCallEvent: (callId, event) => this.calls.get(callId)?.deliver(event),
        onCounters: (c) => this.metrics.update(client, c),
        onExit: (reason) => this.onWorkerExit(slot, client, reason),
      },
    );
    slot.client = client;
    slot.startedAt = Date.now();
    await client.ready;
    for (const w of slot.waiters.splice(0)) w.resolve(client);
  }

  private onWorkerExit(slot: Slot, client: WorkerClient, reason: string): void {
    this.metrics.forget(client);
    for (const call of [...this.calls.values()]) if (call.client === client) call.fail(reason);
    for (const room of [...this.rooms]) if (room.client === client) room.gone();
    if (this.closed || slot.client !== client) return;
    this.logger.error({ worker: slot.index, reason }, 'media worker died; its calls failed, a new worker takes new calls');
    slot.client = null;
    slot.failures = Date.now() - slot.startedAt < YOUNG_DEATH_MS ? slot.failures + 1 : 0;
    const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** slot.failures);
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = null;
      if (this.closed) return;
      this.spawn(slot).catch((err: unknown) => this.logger.error({ err, worker: slot.index }, 'media worker restart failed'));
    }, delay);
  }
}

/** The call layer's handle on one call's media (every method is one command to the call's worker). */
class CallMediaProxy implements CallMedia {
  readonly events = new Emitter<CallMediaEvents>();
  private closed = false;
  private failed = false;

  constructor(
    readonly callId: string,
    readonly meetingId: string,
    private readonly announcedIp: string,
    readonly local: { ip: string; rtpPort: number; rtcpPort: number },
    readonly client: WorkerClient,
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {}

  configure(session: CallAudioSession): Promise<void> {
    return this.command({ op: 'configure', callId: this.callId, session });
  }

  play(prompt: PromptId, opts?: { loop?: boolean }): Promise<'done' | 'stopped'> {
    return this.send({ op: 'play', callId: this.callId, prompt, loop: opts?.loop === true });
  }

  stopPlayback(): Promise<void> {
    return this.command({ op: 'stopPlayback', callId: this.callId });
  }

  setInbandDtmf(enabled: boolean): Promise<void> {
    return this.command({ op: 'setInbandDtmf', callId: this.callId, enabled });
  }

  async joinRoom(room: RoomAudio, target: RoomSendTarget, participantId: string): Promise<void> {
    if (!(room instanceof RoomAudioProxy) || room.client !== this.client) {
      throw new MediaEngineError('bad_command', `room ${room.meetingId} is not hosted with call ${this.callId} (open the call with the meeting's id)`);
    }
    await this.send({ op: 'joinRoom', callId: this.callId, meetingId: room.meetingId, target, participantId });
  }

  leaveRoom(): Promise<void> {
    return this.command({ op: 'leaveRoom', callId: this.callId });
  }

  setMuted(muted: boolean): Promise<void> {
    return this.command({ op: 'setMuted', callId: this.callId, muted });
  }

  stats(): Promise<CallMediaStats> {
    return this.send({ op: 'callStats', callId: this.callId });
  }

  async openVideo(role: VideoRole): Promise<{ ip: string; rtpPort: number; rtcpPort: number }> {
    const ports = await this.send({ op: 'openVideo', callId: this.callId, role });
    return { ip: this.announcedIp, ...ports };
  }

  configureVideo(role: VideoRole, session: CallVideoSession): Promise<void> {
    return this.command({ op: 'configureVideo', callId: this.callId, role, session });
  }

  setVideoIngress(role: VideoRole, target: VideoSendTarget | null): Promise<void> {
    return this.command({ op: 'setVideoIngress', callId: this.callId, role, target });
  }

  requestKeyFrameForCaller(role: VideoRole): Promise<void> {
    return this.command({ op: 'requestKeyFrameForCaller', callId: this.callId, role });
  }

  closeVideo(role: VideoRole): Promise<void> {
    return this.command({ op: 'closeVideo', callId: this.callId, role });
  }

  videoStats(role: VideoRole): Promise<CallVideoStats> {
    return this.send({ op: 'videoStats', callId: this.callId, role });
  }

  async joinRoomVideo(room: RoomVideo): Promise<void> {
    if (!(room instanceof RoomVideoProxy) || room.client !== this.client || room.meetingId !== this.meetingId) {
      throw new MediaEngineError('bad_command', `room video ${room.meetingId} is not the video of call ${this.callId}'s meeting (open the call with the meeting's id)`);
    }
    await this.send({ op: 'joinRoomVideo', callId: this.callId, meetingId: room.meetingId });
  }

  leaveRoomVideo(): Promise<void> {
    return this.command({ op: 'leaveRoomVideo', callId: this.callId });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    if (this.failed) return;
    await this.client.request({ op: 'closeCall', callId: this.callId }).catch((err: unknown) => this.logger.debug({ err, callId: this.callId }, 'closing call media on a dead worker'));
  }

  deliver(event: CallEventMessage): void {
    if (this.closed) return;
    switch (event.name) {
      case 'dtmf':
        this.events.emit('dtmf', event.dtmf);
        return;
      case 'inactive':
        this.events.emit('inactive', event.silentForMs);
        return;
      case 'remoteLatched':
        this.events.emit('remoteLatched', event.address);
        return;
      case 'keyframeNeeded':
        this.events.emit('keyframeNeeded', event.role);
        return;
      case 'videoSwitched':
        this.events.emit('videoSwitched', event.role, { streamId: event.streamId, waitedMs: event.waitedMs });
        return;
      case 'videoLatched':
        this.events.emit('videoLatched', event.role, event.address);
        return;
    }
  }

  fail(reason: string): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    this.events.emit('failed', reason);
  }

  private send<C extends Command>(command: C): Promise<ReplyValues[C['op']]> {
    if (this.closed) return Promise.reject(new MediaEngineError('unknown_call', `call ${this.callId} media is closed`));
    if (this.failed) return Promise.reject(new MediaEngineError('worker_failed', `call ${this.callId} media failed`));
    return this.client.request(command);
  }

  /** A command whose reply carries nothing the caller needs. */
  private async command(command: Command): Promise<void> {
    await this.send(command);
  }
}

/**
 * One holder's reference to something a meeting keeps on its worker (its room mixer, its video
 * fan-out): every command goes to that worker until the holder releases it or the worker dies.
 */
abstract class MeetingProxy {
  private released = false;
  private dead = false;
  /** How errors name the thing ('room', 'room video'). */
  protected abstract readonly label: string;
  protected abstract readonly releaseOp: 'releaseRoom' | 'releaseRoomVideo';

  constructor(
    readonly meetingId: string,
    readonly tapTarget: { ip: string; port: number },
    readonly client: WorkerClient,
    private readonly onReleased: () => void,
  ) {}

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.onReleased();
    if (!this.dead) await this.client.request({ op: this.releaseOp, meetingId: this.meetingId }).catch(() => undefined);
  }

  gone(): void {
    this.dead = true;
  }

  protected async send(command: Command): Promise<void> {
    if (this.released) throw new MediaEngineError('unknown_room', `${this.label} ${this.meetingId} was released`);
    if (this.dead) throw new MediaEngineError('worker_failed', `${this.label} ${this.meetingId} was lost with its worker`);
    await this.client.request(command);
  }
}

/** One holder's reference to a meeting's room mixer. */
class RoomAudioProxy extends MeetingProxy implements RoomAudio {
  protected readonly label = 'room';
  protected readonly releaseOp = 'releaseRoom';

  setTapRemote(remote: { ip: string; port: number }): Promise<void> {
    return this.send({ op: 'setTapRemote', meetingId: this.meetingId, remote });
  }

  addTapSource(source: TapSource): Promise<void> {
    return this.send({ op: 'addTapSource', meetingId: this.meetingId, source });
  }

  removeTapSource(producerId: string): Promise<void> {
    return this.send({ op: 'removeTapSource', meetingId: this.meetingId, producerId });
  }

  setTapSourcePaused(producerId: string, paused: boolean): Promise<void> {
    return this.send({ op: 'setTapSourcePaused', meetingId: this.meetingId, producerId, paused });
  }
}

/** One holder's reference to a meeting's video fan-out. */
class RoomVideoProxy extends MeetingProxy implements RoomVideo {
  protected readonly label = 'room video';
  protected readonly releaseOp = 'releaseRoomVideo';

  setTapRemote(remote: { ip: string; port: number }): Promise<void> {
    return this.send({ op: 'setVideoTapRemote', meetingId: this.meetingId, remote });
  }

  addStream(stream: RoomVideoStream): Promise<void> {
    return this.send({ op: 'addVideoStream', meetingId: this.meetingId, stream });
  }

  removeStream(streamId: string): Promise<void> {
    return this.send({ op: 'removeVideoStream', meetingId: this.meetingId, streamId });
  }

  select(callId: string, role: VideoRole, streamId: string | null): Promise<void> {
    return this.send({ op: 'selectVideo', meetingId: this.meetingId, callId, role, streamId });
  }
}
