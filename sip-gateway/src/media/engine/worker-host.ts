/**
 * Everything one media worker hosts — calls, rooms, the port slice, prompts and the 20 ms tick —
 * behind one `handle(command)` entry point. worker.ts wires it to the thread's message port; it
 * has no thread-specific code, so it also runs in-process.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { CallLeg, type LegContext, type LegCounters } from './call-leg.js';
import type { MediaEngineConfig } from './config.js';
import { bindUdp, MediaEngineError, PortAllocator, type UdpBinder } from './port-allocator.js';
import { loadUdpIoAddon, UdpIo, type UdpSocketLike } from '../udp-io/index.js';
import { PromptLibrary } from './prompts.js';
import type { CallEventMessage, Command, PromptPcmEntry, ReplyValues, WorkerCounters } from './protocol.js';
import { RoomHost, type RoomCounters, type RoomMixerFactory } from './room-host.js';
import { TickScheduler } from './tick-scheduler.js';
import { RoomVideoHost, type RoomVideoCounters } from './room-video-host.js';
import type { VideoRole } from './types.js';
import { VideoLeg, type VideoCounters, type VideoLegContext } from './video-leg.js';

export interface WorkerHostOptions {
  workerIndex: number;
  workerCount: number;
  config: MediaEngineConfig;
  prompts: PromptPcmEntry[];
  createMixer: RoomMixerFactory;
  emit: (callId: string, event: CallEventMessage) => void;
  log?: (level: 'warn' | 'error', msg: string, fields: Record<string, string | number>) => void;
  /** false: nobody starts the 20 ms timer; the owner calls scheduler.mixOnce(). */
  autoTick?: boolean;
}

/** Linux: this thread's user+system CPU from /proc (clock ticks of 10 ms); null elsewhere. */
function threadCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    // Fields after the ")" that closes the command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** The calls' socket I/O for config `udpIo`: the addon's UdpIo, or null for dgram. */
function resolveUdpIo(mode: MediaEngineConfig['udpIo'], log: WorkerHostOptions['log']): UdpIo | null {
  if (mode === 'dgram') return null;
  const loaded = loadUdpIoAddon();
  if ('addon' in loaded) return new UdpIo(loaded.addon);
  if (mode === 'native') throw new MediaEngineError('worker_failed', `sip.media.udpIo is 'native' but ${loaded.error}`);
  log?.('warn', "calls' audio uses Node's dgram (a wake-up per datagram): the native udp_io addon is unavailable", { reason: loaded.error });
  return null;
}

export class WorkerHost {
  readonly scheduler: TickScheduler;
  private readonly calls = new Map<string, CallLeg>();
  private readonly rooms = new Map<string, RoomHost>();
  private readonly openingRooms = new Map<string, Promise<RoomHost>>();
  private readonly allocator: PortAllocator;
  private readonly legContext: LegContext;
  private readonly legCounters: LegCounters = { dtmf: { rfc4733: 0, inband: 0 }, srtpFailures: {}, droppedPackets: 0 };
  private readonly roomCounters: RoomCounters = { droppedPackets: 0, retiredJitterLate: 0, retiredJitterLost: 0 };
  private readonly videoLegs = new Map<string, VideoLeg>();
  private readonly roomVideos = new Map<string, RoomVideoHost>();
  private readonly openingRoomVideos = new Map<string, Promise<RoomVideoHost>>();
  /** The video fan-out each call joined. */
  private readonly callRoomVideo = new Map<string, RoomVideoHost>();
  private readonly videoCounters: VideoCounters = { ingressPackets: 0, egressPackets: 0 };
  private readonly roomVideoCounters: RoomVideoCounters = { droppedPackets: 0, keyframeRequests: 0 };
  private readonly videoContext: VideoLegContext;
  private readonly now = (): number => performance.now();
  /** Native sockets for the calls' audio (null: dgram), drained at the start of every tick. */
  private readonly udpIo: UdpIo | null;
  private tickFailures = 0;
  private closed = false;

  constructor(private readonly opts: WorkerHostOptions) {
    const { config } = opts;
    const slice = PortAllocator.slice(config.rtpMinPort, config.rtpMaxPort, opts.workerIndex, opts.workerCount);
    this.allocator = new PortAllocator(config.rtpListenIp, slice.lo, slice.hi);
    this.udpIo = resolveUdpIo(config.udpIo, opts.log);
    const udpIo = this.udpIo;
    const bind: UdpBinder<UdpSocketLike> = udpIo ? async (ip, port) => udpIo.open(ip, port) : bindUdp;
    this.legContext = {
      config,
      allocator: this.allocator,
      bind,
      prompts: new PromptLibrary(opts.prompts),
      counters: this.legCounters,
      emit: opts.emit,
    };
    this.videoContext = { config, allocator: this.allocator, counters: this.legCounters, videoCounters: this.videoCounters, emit: opts.emit };
    this.scheduler = new TickScheduler((nowMs) => this.tick(nowMs));
  }

  async handle<C extends Command>(command: C): Promise<ReplyValues[C['op']]> {
    try {
      return (await this.dispatch(command)) as ReplyValues[C['op']];
    } finally {
      this.syncClock();
    }
  }

  /**
   * The 20 ms clock runs only while a call, room or video leg needs it: an idle gateway does not
   * wake 50 times a second (≈ 1 % of a core on the media bench's town hall, where no call was up).
   * Calls, rooms and video legs come and go only through commands, so checking after each command
   * is enough (nothing on the tick path).
   */
  private syncClock(): void {
    if (this.opts.autoTick === false || this.closed) return;
    const needed = this.calls.size > 0 || this.rooms.size > 0 || this.videoLegs.size > 0;
    if (needed && !this.scheduler.running) this.scheduler.start();
    else if (!needed && this.scheduler.running) this.scheduler.stop();
  }

  private async dispatch(c: Command): Promise<ReplyValues[Command['op']]> {
    switch (c.op) {
      case 'openCall': {
        if (this.calls.has(c.callId)) throw new MediaEngineError('bad_command', `call ${c.callId} is already open`);
        const { rtp, rtcp } = await this.allocator.allocatePair(this.legContext.bind);
        const call = new CallLeg(c.callId, rtp, rtcp, this.legContext, this.now);
        this.calls.set(c.callId, call);
        return call.local;
      }
      case 'configure': {
        const call = this.call(c.callId);
        const before = call.codecName;
        call.configure(c.session);
        if (call.room && before !== call.codecName) this.rooms.get(call.room.meetingId)?.rejoin(call);
        return null;
      }
      case 'play':
        return this.call(c.callId).play(c.prompt, c.loop);
      case 'stopPlayback':
        this.call(c.callId).stopPlayback();
        return null;
      case 'setInbandDtmf':
        this.call(c.callId).setInbandDtmf(c.enabled);
        return null;
      case 'joinRoom': {
        const call = this.call(c.callId);
        if (!call.session) throw new MediaEngineError('not_configured', 'configure() the call before joining a room');
        const room = this.room(c.meetingId);
        if (call.room === room) return null;
        if (call.room) this.leaveRoom(call);
        await call.attachRoom(room, c.target, c.participantId);
        room.refs++;
        room.join(call);
        return null;
      }
      case 'leaveRoom':
        this.leaveRoom(this.call(c.callId));
        return null;
      case 'setMuted': {
        const call = this.call(c.callId);
        call.muted = c.muted;
        if (call.room) this.rooms.get(call.room.meetingId)?.setMuted(call, c.muted);
        return null;
      }
      case 'callStats':
        return this.call(c.callId).stats();
      case 'closeCall': {
        const call = this.calls.get(c.callId);
        if (!call) return null;
        this.leaveRoomVideo(c.callId);
        this.closeVideo(c.callId, 'main');
        this.closeVideo(c.callId, 'slides');
        this.leaveRoom(call);
        call.close();
        this.calls.delete(c.callId);
        return null;
      }
      case 'openRoom': {
        const room = await this.openRoom(c.meetingId);
        room.refs++;
        return { tapPort: room.tapPort };
      }
      case 'setTapRemote':
        this.room(c.meetingId).setTapRemote(c.remote);
        return null;
      case 'addTapSource':
        this.room(c.meetingId).addTapSource(c.source);
        return null;
      case 'removeTapSource':
        this.room(c.meetingId).removeTapSource(c.producerId);
        return null;
      case 'setTapSourcePaused':
        this.room(c.meetingId).setTapSourcePaused(c.producerId, c.paused);
        return null;
      case 'releaseRoom': {
        const room = this.rooms.get(c.meetingId);
        if (room) this.unref(room);
        return null;
      }
      case 'openVideo': {
        this.call(c.callId);
        const key = videoKey(c.callId, c.role);
        const existing = this.videoLegs.get(key);
        if (existing) return existing.local;
        const { rtp, rtcp } = await this.allocator.allocatePair();
        if (!this.calls.has(c.callId) || this.videoLegs.has(key)) {
          this.allocator.release(rtp);
          this.allocator.release(rtcp);
          return this.videoLeg(c.callId, c.role).local;
        }
        const leg = new VideoLeg(c.callId, c.role, rtp, rtcp, this.videoContext, this.now);
        this.videoLegs.set(key, leg);
        this.callRoomVideo.get(c.callId)?.attach(leg);
        return leg.local;
      }
      case 'configureVideo':
        this.videoLeg(c.callId, c.role).configure(c.session);
        return null;
      case 'setVideoIngress':
        await this.videoLeg(c.callId, c.role).setIngress(c.target);
        return null;
      case 'requestKeyFrameForCaller':
        this.videoLeg(c.callId, c.role).requestKeyframeForCaller();
        return null;
      case 'closeVideo':
        this.call(c.callId);
        this.closeVideo(c.callId, c.role);
        return null;
      case 'videoStats':
        return this.videoLeg(c.callId, c.role).stats();
      case 'joinRoomVideo': {
        this.call(c.callId);
        const room = this.roomVideo(c.meetingId);
        const current = this.callRoomVideo.get(c.callId);
        if (current === room) return null;
        if (current) this.leaveRoomVideo(c.callId);
        room.refs++;
        room.join(c.callId);
        this.callRoomVideo.set(c.callId, room);
        return null;
      }
      case 'leaveRoomVideo':
        this.call(c.callId);
        this.leaveRoomVideo(c.callId);
        return null;
      case 'openRoomVideo': {
        const room = await this.openRoomVideo(c.meetingId);
        room.refs++;
        return { tapPort: room.tapPort };
      }
      case 'setVideoTapRemote':
        this.roomVideo(c.meetingId).setTapRemote(c.remote);
        return null;
      case 'addVideoStream':
        this.roomVideo(c.meetingId).addStream(c.stream);
        return null;
      case 'removeVideoStream':
        this.roomVideo(c.meetingId).removeStream(c.streamId);
        return null;
      case 'selectVideo':
        this.roomVideo(c.meetingId).select(c.callId, c.role, c.streamId);
        return null;
      case 'releaseRoomVideo': {
        const room = this.roomVideos.get(c.meetingId);
        if (room) this.unrefRoomVideo(room);
        return null;
      }
      case 'workerStats':
        return this.counters();
    }
  }

  /** One 20 ms tick: what the calls' native sockets received since the last one, then every room mixes, then every call sends. */
  tick(nowMs: number): void {
    if (this.udpIo) {
      try {
        this.udpIo.drain();
      } catch (err) {
        if (this.tickFailures++ % 500 === 0) this.opts.log?.('error', 'udp drain failed', { error: String(err), failures: this.tickFailures });
      }
    }
    for (const room of this.rooms.values()) {
      try {
        room.tick(nowMs);
      } catch (err) {
        // A mixer fault costs one frame, never the worker; logged on the 1st and every 500th time.
        if (this.tickFailures++ % 500 === 0) this.opts.log?.('error', 'room tick failed', { meetingId: room.meetingId, error: String(err), failures: this.tickFailures });
      }
    }
    for (const call of this.calls.values()) {
      try {
        call.tick(nowMs);
      } catch (err) {
        if (this.tickFailures++ % 500 === 0) this.opts.log?.('error', 'call tick failed', { callId: call.callId, error: String(err), failures: this.tickFailures });
      }
    }
    for (const leg of this.videoLegs.values()) {
      try {
        leg.tick(nowMs);
      } catch (err) {
        if (this.tickFailures++ % 500 === 0) this.opts.log?.('error', 'video leg tick failed', { callId: leg.callId, error: String(err), failures: this.tickFailures });
      }
    }
  }

  counters(): WorkerCounters {
    let legs = 0;
    let late = this.roomCounters.retiredJitterLate;
    const udp = this.udpIo?.counters ?? null;
    let lost = this.roomCounters.retiredJitterLost;
    for (const room of this.rooms.values()) {
      legs += room.calls.size;
      const j = room.jitterTotals();
      late += j.late;
      lost += j.lost;
    }
    return {
      calls: this.calls.size,
      rooms: this.rooms.size,
      legs,
      ticks: this.scheduler.ticks,
      deadlineMissesTotal: this.scheduler.deadlineMisses,
      busyDeadlineMissesTotal: this.scheduler.busyDeadlineMisses,
      tickOverrunsTotal: this.scheduler.overruns,
      tickWorkMsTotal: this.scheduler.workMs,
      jitterLateTotal: late,
      jitterLostTotal: lost,
      dtmfTotal: { ...this.legCounters.dtmf },
      srtpFailuresTotal: { ...this.legCounters.srtpFailures },
      droppedPacketsTotal:
        this.legCounters.droppedPackets + this.roomCounters.droppedPackets + this.roomVideoCounters.droppedPackets + (udp ? udp.oversized + udp.handlerErrors : 0),
      udpIo: udp ? 'native' : 'dgram',
      udpSendErrorsTotal: udp?.sendErrors ?? 0,
      videoLegs: this.videoLegs.size,
      videoRooms: this.roomVideos.size,
      videoIngressPacketsTotal: this.videoCounters.ingressPackets,
      videoEgressPacketsTotal: this.videoCounters.egressPackets,
      videoKeyframeRequestsToRoomTotal: this.roomVideoCounters.keyframeRequests,
      busyMs: performance.eventLoopUtilization().active,
      threadCpuMs: threadCpuMs(),
    };
  }

  close(): void {
    this.closed = true;
    this.scheduler.stop();
    for (const leg of this.videoLegs.values()) leg.close();
    this.videoLegs.clear();
    for (const room of this.roomVideos.values()) this.closeRoomVideo(room);
    this.roomVideos.clear();
    for (const call of this.calls.values()) call.close();
    this.calls.clear();
    for (const room of this.rooms.values()) room.close();
    this.rooms.clear();
  }

  private call(callId: string): CallLeg {
    const call = this.calls.get(callId);
    if (!call) throw new MediaEngineError('unknown_call', `no call ${callId} on this worker`);
    return call;
  }

  private room(meetingId: string): RoomHost {
    const room = this.rooms.get(meetingId);
    if (!room) throw new MediaEngineError('unknown_room', `no room ${meetingId} on this worker (openRoom first)`);
    return room;
  }

  private async openRoom(meetingId: string): Promise<RoomHost> {
    const existing = this.rooms.get(meetingId);
    if (existing) return existing;
    let opening = this.openingRooms.get(meetingId);
    if (!opening) {
      opening = (async () => {
        const socket = await this.allocator.allocateSingle();
        const { config } = this.opts;
        const mixer = this.opts.createMixer({ maxSpeakers: config.maxSpeakers, jitter: { minMs: config.jitterMinMs, maxMs: config.jitterMaxMs } });
        const room = new RoomHost(meetingId, mixer, socket, this.allocator, this.roomCounters, config.rtcpIntervalMs, this.now);
        this.rooms.set(meetingId, room);
        return room;
      })().finally(() => this.openingRooms.delete(meetingId));
      this.openingRooms.set(meetingId, opening);
    }
    return opening;
  }

  private videoLeg(callId: string, role: VideoRole): VideoLeg {
    this.call(callId);
    const leg = this.videoLegs.get(videoKey(callId, role));
    if (!leg) throw new MediaEngineError('not_configured', `call ${callId} has no open ${role} video (openVideo first)`);
    return leg;
  }

  private closeVideo(callId: string, role: VideoRole): void {
    const key = videoKey(callId, role);
    const leg = this.videoLegs.get(key);
    if (!leg) return;
    this.callRoomVideo.get(callId)?.detach(leg);
    leg.close();
    this.videoLegs.delete(key);
  }

  private roomVideo(meetingId: string): RoomVideoHost {
    const room = this.roomVideos.get(meetingId);
    if (!room) throw new MediaEngineError('unknown_room', `no room video ${meetingId} on this worker (openRoomVideo first)`);
    return room;
  }

  private async openRoomVideo(meetingId: string): Promise<RoomVideoHost> {
    const existing = this.roomVideos.get(meetingId);
    if (existing) return existing;
    let opening = this.openingRoomVideos.get(meetingId);
    if (!opening) {
      opening = (async () => {
        const socket = await this.allocator.allocateSingle();
        const room = new RoomVideoHost(meetingId, socket, this.roomVideoCounters, (callId, role) => this.videoLegs.get(videoKey(callId, role)), this.now);
        this.roomVideos.set(meetingId, room);
        return room;
      })().finally(() => this.openingRoomVideos.delete(meetingId));
      this.openingRoomVideos.set(meetingId, opening);
    }
    return opening;
  }

  private leaveRoomVideo(callId: string): void {
    const room = this.callRoomVideo.get(callId);
    if (!room) return;
    this.callRoomVideo.delete(callId);
    room.leave(callId);
    this.unrefRoomVideo(room);
  }

  private unrefRoomVideo(room: RoomVideoHost): void {
    room.refs--;
    if (room.refs > 0) return;
    this.closeRoomVideo(room);
    this.roomVideos.delete(room.meetingId);
  }

  private closeRoomVideo(room: RoomVideoHost): void {
    for (const [callId, r] of this.callRoomVideo) if (r === room) this.callRoomVideo.delete(callId);
    room.close();
    this.allocator.release(room.socketToRelease);
  }

  private leaveRoom(call: CallLeg): void {
    const room = call.room ? this.rooms.get(call.room.meetingId) : undefined;
    call.detachRoom();
    if (!room) return;
    room.leave(call);
    this.unref(room);
  }

  private unref(room: RoomHost): void {
    room.refs--;
    if (room.refs > 0) return;
    room.close();
    this.rooms.delete(room.meetingId);
  }
}

function videoKey(callId: string, role: VideoRole): string {
  return `${callId}/${role}`;
}
