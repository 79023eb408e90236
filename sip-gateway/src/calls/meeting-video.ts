import type { Logger } from 'pino';
import type { MediaRoomApi, VideoTapApi, VideoTapSource, VideoTapStream } from '../../../sfu/src/index.js';
import type { ParticipantHandle } from '../../../server/src/meetings/index.js';
import type { MediaEngine, RoomVideo, VideoRole } from '../media/engine/types.js';
import { SpeakerSwitchPolicy } from '../media/video/index.js';
import type { VideoMetrics } from './metrics.js';
import { linkTapToRoom, openLinkedTap } from './meeting-tap.js';
import { SharedPerMeeting } from './shared-per-meeting.js';
import { spatialLayerForCap } from './video-policy.js';

/** What the meeting's video needs to know of one call with video. */
export interface VideoCallView {
  callId: string;
  participantId: string;
  /** The codec of each negotiated m-line (a call sees only sources in its codec: nothing is transcoded). */
  roles: Partial<Record<VideoRole, 'H264' | 'VP8'>>;
  /** The call's video cap (bps of RTP payload): it chooses the simulcast layer. */
  capBps: number;
}

/** A meeting's video as the calls in it share it. */
export interface MeetingVideo {
  readonly room: RoomVideo;
  /** Starts choosing what the call sees (it must have joined `room` in the engine first). */
  addCall(call: VideoCallView): void;
  /** The call's cap or m-lines changed (re-offer, the join's company cap). */
  updateCall(call: VideoCallView): void;
  removeCall(callId: string): void;
  /** Whose stream a call's m-line shows now (the switch to it may still wait for its keyframe); null: nothing. */
  showing(callId: string, role: VideoRole): { participantId: string; source: 'camera' | 'screen'; layer: number } | null;
  /** Gives back one call's hold; the last one closes the tap and the fan-out. */
  release(): void;
}

/** Re-evaluate speaker streaks this often (mediasoup's dominant-speaker events come on change only). */
const DECIDE_EVERY_MS = 200;
/** A stream no call selects any more is kept this long: the switch away from it forwards it until the new keyframe. */
const UNUSED_STREAM_GRACE_MS = 5_000;

interface CallState {
  view: VideoCallView;
  policy: SpeakerSwitchPolicy;
  /** What each role shows now (stream id) and the chain of select() calls, so they apply in order. */
  shown: Partial<Record<VideoRole, string | null>>;
  chain: Promise<void>;
}

interface Bridge {
  meetingId: string;
  room: RoomVideo;
  tap: VideoTapApi;
  /** The holders' meeting handles: any one still in the meeting can reopen a tap that closed under the calls. */
  handles: Set<ParticipantHandle<MediaRoomApi>>;
  log: Logger;
  calls: Map<string, CallState>;
  sources: Map<string, VideoTapSource>;
  /** `${producerId}/${layer}` → its stream (the tap gives the same stream for the same pair). */
  streams: Map<string, Promise<VideoTapStream>>;
  /** Streams the engine knows (addStream done), by id → key. */
  added: Map<string, string>;
  /** Whose each known stream is. */
  owners: Map<string, { participantId: string; source: 'camera' | 'screen'; layer: number }>;
  gcTimers: Map<string, NodeJS.Timeout>;
  ticker: NodeJS.Timeout;
  offRoom: () => void;
  closed: boolean;
  /** The room's active speaker and since when (ms, this.now()): a call that joins later starts from it. */
  speaker: { id: string | null; sinceMs: number };
}

const codecOf = (mime: string): 'H264' | 'VP8' | null => {
  const m = mime.toLowerCase();
  return m === 'video/h264' ? 'H264' : m === 'video/vp8' ? 'VP8' : null;
};

/**
 * One video fan-out per meeting with room-system video, not one per call: the SFU's VideoTap
 * (cameras and screens as plain RTP, at the layers asked for) feeds the engine's RoomVideo, and
 * for each call a SpeakerSwitchPolicy on the room's active-speaker events decides which stream its
 * m-lines show — never its own camera, only sources in its codec, the simulcast layer its cap
 * allows, the presentation on 'slides' (or on 'main' while someone presents when it has no slides
 * m-line). The engine executes the switch (keyframe wait, SSRC/seq/ts rewrite) off this thread.
 * Reference-counted by the calls, like MeetingAudioBridges.
 */
export class MeetingVideoBridges {
  private readonly bridges = new SharedPerMeeting<Bridge>((bridge) => this.close(bridge));

  constructor(
    private readonly engine: MediaEngine,
    private readonly logger: Logger,
    private readonly metrics: VideoMetrics,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get size(): number {
    return this.bridges.size;
  }

  async acquire(handle: ParticipantHandle<MediaRoomApi>): Promise<MeetingVideo> {
    const share = await this.bridges.acquire(handle.meetingId, () => this.open(handle));
    const bridge = share.value;
    bridge.handles.add(handle);
    let released = false;
    const mine = new Set<string>();
    return {
      room: bridge.room,
      addCall: (call) => {
        mine.add(call.callId);
        this.addCall(bridge, call);
      },
      updateCall: (call) => this.updateCall(bridge, call),
      showing: (callId, role) => {
        const id = bridge.calls.get(callId)?.shown[role];
        return id ? bridge.owners.get(id) ?? null : null;
      },
      removeCall: (callId) => {
        mine.delete(callId);
        this.removeCall(bridge, callId);
      },
      release: () => {
        if (released) return;
        released = true;
        bridge.handles.delete(handle);
        for (const id of mine) this.removeCall(bridge, id);
        share.release();
      },
    };
  }

  private async open(handle: ParticipantHandle<MediaRoomApi>): Promise<Bridge> {
    const room = await this.engine.openRoomVideo(handle.meetingId);
    const tap = await openLinkedTap<VideoTapApi>(room, async () => await handle.readMediaRoom((media) => media.openVideoTap({ comedia: false, rtcpMux: true })));
    const log = this.logger.child({ room: handle.meetingId });
    const bridge: Bridge = {
      meetingId: handle.meetingId,
      room,
      tap,
      handles: new Set(),
      log,
      calls: new Map(),
      sources: new Map(),
      streams: new Map(),
      added: new Map(),
      owners: new Map(),
      gcTimers: new Map(),
      ticker: setInterval(() => this.tick(bridge), DECIDE_EVERY_MS),
      offRoom: () => undefined,
      closed: false,
      speaker: { id: null, sinceMs: 0 },
    };
    bridge.ticker.unref();
    const offs = await handle.readMediaRoom((media) => {
      const speaker = media.activeSpeaker;
      const off = media.events.on('activeSpeaker', (id) => this.onSpeaker(bridge, id));
      return { off, speaker };
    });
    bridge.offRoom = offs.off;
    this.wireTap(bridge, tap);
    for (const s of tap.sources()) bridge.sources.set(s.producerId, s);
    if (offs.speaker) this.onSpeaker(bridge, offs.speaker);
    return bridge;
  }

  private wireTap(bridge: Bridge, tap: VideoTapApi): void {
    tap.events.on('sourceAdded', (s) => this.onSourceAdded(bridge, s));
    tap.events.on('sourceRemoved', (producerId) => this.onSourceRemoved(bridge, producerId));
    tap.events.on('sourcePaused', (producerId) => {
      const s = bridge.sources.get(producerId);
      if (s) this.onSourceAdded(bridge, { ...s, paused: true });
    });
    tap.events.on('sourceResumed', (producerId) => {
      const s = bridge.sources.get(producerId);
      if (s) this.onSourceAdded(bridge, { ...s, paused: false });
    });
    tap.events.on('streamClosed', (streamId) => {
      if (bridge.tap === tap) this.forgetStream(bridge, streamId);
    });
    tap.events.on('closed', (reason) => {
      if (bridge.closed || bridge.tap !== tap) return;
      // Closed under the calls (not by our release): reopen rather than leave them frozen on the last frame.
      bridge.log.warn({ reason, calls: bridge.calls.size }, 'video tap closed under the calls: reopening');
      void this.recoverTap(bridge);
    });
  }

  /** A new tap for the calls still in the meeting; failing that, their video ends (they show nothing) with a log and metric. */
  private async recoverTap(bridge: Bridge): Promise<void> {
    // Everything the old tap gave is gone: the engine forgets its streams, the calls show nothing until reselected.
    for (const id of [...bridge.added.keys()]) void bridge.room.removeStream(id).catch(() => undefined);
    for (const t of bridge.gcTimers.values()) clearTimeout(t);
    bridge.gcTimers.clear();
    bridge.added.clear();
    bridge.owners.clear();
    bridge.streams.clear();
    bridge.sources.clear();
    for (const state of bridge.calls.values()) {
      for (const role of ['main', 'slides'] as const) {
        if (!(role in state.view.roles)) continue;
        state.shown[role] = null;
        state.chain = state.chain.then(() => bridge.room.select(state.view.callId, role, null)).catch(() => undefined);
      }
    }
    let lastErr: unknown = null;
    for (const handle of [...bridge.handles]) {
      if (bridge.closed) return;
      try {
        const tap = await handle.readMediaRoom((media) => media.openVideoTap({ comedia: false, rtcpMux: true }));
        if (bridge.closed) {
          tap.close();
          return;
        }
        await linkTapToRoom(tap, bridge.room);
        bridge.tap = tap;
        this.wireTap(bridge, tap);
        for (const s of tap.sources()) bridge.sources.set(s.producerId, s);
        const now = this.now();
        for (const state of bridge.calls.values()) {
          for (const s of bridge.sources.values()) if (this.isCameraFor(s, state.view)) state.policy.addCamera(s.participantId, now);
          this.reselect(bridge, state, true);
        }
        this.metrics.tapLost('reopened');
        bridge.log.info({ calls: bridge.calls.size }, 'video tap reopened');
        return;
      } catch (err) {
        lastErr = err;
      }
    }
    this.metrics.tapLost('ended');
    bridge.log.warn({ err: lastErr, calls: bridge.calls.size }, 'video tap could not be reopened: the calls see no meeting video');
  }

  // ── calls ─────────────────────────────────────────────────────────────────────────────────────

  private addCall(bridge: Bridge, view: VideoCallView): void {
    if (bridge.closed || bridge.calls.has(view.callId)) return;
    const state: CallState = { view, policy: new SpeakerSwitchPolicy({ selfId: view.participantId }), shown: {}, chain: Promise.resolve() };
    bridge.calls.set(view.callId, state);
    const now = this.now();
    for (const s of bridge.sources.values()) if (this.isCameraFor(s, view)) state.policy.addCamera(s.participantId, now);
    // The speaker events only come on a change: a call joining while someone talks starts from them
    // (as of when they started), not from the first camera until the next change.
    if (bridge.speaker.id !== null) state.policy.observeSpeaker(bridge.speaker.id, bridge.speaker.sinceMs);
    this.reselect(bridge, state);
  }

  private updateCall(bridge: Bridge, view: VideoCallView): void {
    const state = bridge.calls.get(view.callId);
    if (!state) return;
    const codecChanged = state.view.roles.main !== view.roles.main;
    state.view = view;
    if (codecChanged) {
      // Rebuild the camera set for the new codec; keep the speaker history.
      const now = this.now();
      for (const s of bridge.sources.values()) {
        if (s.source !== 'camera') continue;
        if (this.isCameraFor(s, view)) state.policy.addCamera(s.participantId, now);
        else state.policy.removeCamera(s.participantId, now);
      }
    }
    this.reselect(bridge, state, true);
  }

  private removeCall(bridge: Bridge, callId: string): void {
    const state = bridge.calls.get(callId);
    if (!state) return;
    bridge.calls.delete(callId);
    for (const id of Object.values(state.shown)) if (id) this.scheduleGc(bridge, id);
  }

  private isCameraFor(s: VideoTapSource, view: VideoCallView): boolean {
    return s.source === 'camera' && !s.paused && s.participantId !== view.participantId && codecOf(s.mimeType) === view.roles.main;
  }

  // ── room events ───────────────────────────────────────────────────────────────────────────────

  private onSpeaker(bridge: Bridge, participantId: string | null): void {
    const now = this.now();
    if (participantId !== bridge.speaker.id) bridge.speaker = { id: participantId, sinceMs: now };
    for (const state of bridge.calls.values()) {
      state.policy.observeSpeaker(participantId, now);
      this.reselect(bridge, state);
    }
    if (participantId) this.prewarm(bridge, participantId);
  }

  /**
   * Subscribes a new speaker's camera (at each watching call's layer) as soon as they speak, while
   * the policy waits out its hysteresis: a fresh tap consumer needs a moment before its layer
   * flows (measured: switches to a camera subscribed at switch time waited up to ~1 s for the
   * keyframe, to one already flowing ~40–140 ms). Unused, it is unsubscribed like any other.
   */
  private prewarm(bridge: Bridge, participantId: string): void {
    for (const state of bridge.calls.values()) {
      const source = [...bridge.sources.values()].find((s) => s.participantId === participantId && this.isCameraFor(s, state.view));
      if (!source) continue;
      const layer = spatialLayerForCap(state.view.capBps, source.spatialLayers);
      this.streamFor(bridge, source.producerId, layer).then(
        (stream) => {
          if (!bridge.closed && !this.inUse(bridge, stream.streamId)) this.scheduleGc(bridge, stream.streamId);
        },
        (err: unknown) => this.logger.debug({ err, room: bridge.meetingId, producerId: source.producerId }, 'video prewarm failed'),
      );
    }
  }

  private tick(bridge: Bridge): void {
    if (bridge.closed) return;
    const now = this.now();
    for (const state of bridge.calls.values()) {
      const before = state.policy.shownId;
      if (state.policy.decide(now) !== before) this.reselect(bridge, state);
    }
  }

  private onSourceAdded(bridge: Bridge, s: VideoTapSource): void {
    if (!bridge.sources.has(s.producerId)) this.logger.debug({ room: bridge.meetingId, source: s }, 'video source');
    bridge.sources.set(s.producerId, s);
    const now = this.now();
    for (const state of bridge.calls.values()) {
      if (s.source === 'camera') {
        if (this.isCameraFor(s, state.view)) state.policy.addCamera(s.participantId, now);
        else state.policy.removeCamera(s.participantId, now);
      }
      this.reselect(bridge, state);
    }
  }

  private onSourceRemoved(bridge: Bridge, producerId: string): void {
    const s = bridge.sources.get(producerId);
    if (!s) return;
    bridge.sources.delete(producerId);
    const now = this.now();
    for (const state of bridge.calls.values()) {
      if (s.source === 'camera' && ![...bridge.sources.values()].some((o) => o.participantId === s.participantId && this.isCameraFor(o, state.view))) {
        state.policy.removeCamera(s.participantId, now);
      }
      this.reselect(bridge, state);
    }
    for (const [key, stream] of bridge.streams) if (key.startsWith(`${producerId}/`)) void stream.then((st) => this.forgetStream(bridge, st.streamId), () => undefined);
  }

  // ── selection ─────────────────────────────────────────────────────────────────────────────────

  /** The source each role of a call should show now. */
  private wanted(bridge: Bridge, state: CallState): Partial<Record<VideoRole, VideoTapSource | null>> {
    const view = state.view;
    const out: Partial<Record<VideoRole, VideoTapSource | null>> = {};
    const screens = [...bridge.sources.values()].filter((s) => s.source === 'screen' && !s.paused && s.participantId !== view.participantId);
    if (view.roles.slides) out.slides = screens.find((s) => codecOf(s.mimeType) === view.roles.slides) ?? null;
    if (view.roles.main) {
      // No slides m-line: the presentation replaces main video while someone presents.
      const screen = view.roles.slides ? null : screens.find((s) => codecOf(s.mimeType) === view.roles.main);
      const shownId = state.policy.decide(this.now());
      out.main = screen ?? [...bridge.sources.values()].find((s) => s.participantId === shownId && this.isCameraFor(s, view)) ?? null;
    }
    return out;
  }

  private reselect(bridge: Bridge, state: CallState, force = false): void {
    if (bridge.closed) return;
    const wanted = this.wanted(bridge, state);
    for (const role of ['main', 'slides'] as const) {
      if (!(role in wanted)) continue;
      const source = wanted[role] ?? null;
      const layer = source ? spatialLayerForCap(state.view.capBps, source.spatialLayers) : 0;
      const key = source ? `${source.producerId}/${layer}` : null;
      const currentKey = state.shown[role] ? bridge.added.get(state.shown[role]!) ?? null : null;
      if (!force && key === currentKey && (key !== null || state.shown[role] === null)) continue;
      state.chain = state.chain.then(() => this.select(bridge, state, role, source, layer)).catch((err: unknown) => {
        // A source that closed while we subscribed is routine (its removal reselects); anything else is worth a warning.
        const routine = (err as { code?: unknown }).code === 'media_unknown_producer';
        this.logger[routine ? 'debug' : 'warn']({ err, callId: state.view.callId, role }, 'video selection failed');
      });
    }
  }

  private async select(bridge: Bridge, state: CallState, role: VideoRole, source: VideoTapSource | null, layer: number): Promise<void> {
    if (bridge.closed || bridge.calls.get(state.view.callId) !== state) return;
    const previous = state.shown[role] ?? null;
    let streamId: string | null = null;
    if (source) {
      const stream = await this.streamFor(bridge, source.producerId, layer);
      streamId = stream.streamId;
    }
    if (streamId === previous && previous !== null) return;
    if (bridge.closed || bridge.calls.get(state.view.callId) !== state) return;
    await bridge.room.select(state.view.callId, role, streamId);
    state.shown[role] = streamId;
    if (streamId) this.cancelGc(bridge, streamId);
    if (previous && previous !== streamId) {
      this.scheduleGc(bridge, previous);
      this.metrics.switchRequested();
    }
  }

  private async streamFor(bridge: Bridge, producerId: string, layer: number): Promise<VideoTapStream> {
    const key = `${producerId}/${layer}`;
    let pending = bridge.streams.get(key);
    if (!pending) {
      pending = (async () => {
        const stream = await bridge.tap.subscribe(producerId, { maxSpatialLayer: layer });
        const codec = codecOf(stream.mimeType);
        if (!codec) throw new Error(`unsupported video codec ${stream.mimeType}`);
        if (!bridge.added.has(stream.streamId)) {
          await bridge.room.addStream({ streamId: stream.streamId, participantId: stream.participantId, source: stream.source, ssrc: stream.ssrc, payloadType: stream.payloadType, codec });
          bridge.added.set(stream.streamId, key);
          bridge.owners.set(stream.streamId, { participantId: stream.participantId, source: stream.source, layer: stream.maxSpatialLayer });
        }
        return stream;
      })();
      bridge.streams.set(key, pending);
      pending.catch(() => {
        if (bridge.streams.get(key) === pending) bridge.streams.delete(key);
      });
    }
    return pending;
  }

  private inUse(bridge: Bridge, streamId: string): boolean {
    for (const s of bridge.calls.values()) if (s.shown.main === streamId || s.shown.slides === streamId) return true;
    return false;
  }

  private scheduleGc(bridge: Bridge, streamId: string): void {
    if (bridge.gcTimers.has(streamId)) return;
    const t = setTimeout(() => {
      bridge.gcTimers.delete(streamId);
      if (bridge.closed || this.inUse(bridge, streamId)) return;
      bridge.tap.unsubscribe(streamId);
      this.forgetStream(bridge, streamId);
    }, UNUSED_STREAM_GRACE_MS);
    t.unref();
    bridge.gcTimers.set(streamId, t);
  }

  private cancelGc(bridge: Bridge, streamId: string): void {
    const t = bridge.gcTimers.get(streamId);
    if (t) clearTimeout(t);
    bridge.gcTimers.delete(streamId);
  }

  /** The stream is gone (unsubscribed, or its producer closed): the engine forgets it; calls showing it choose again. */
  private forgetStream(bridge: Bridge, streamId: string): void {
    const key = bridge.added.get(streamId);
    if (key === undefined) return;
    bridge.added.delete(streamId);
    bridge.owners.delete(streamId);
    bridge.streams.delete(key);
    this.cancelGc(bridge, streamId);
    if (!bridge.closed) void bridge.room.removeStream(streamId).catch(() => undefined);
    for (const state of bridge.calls.values()) {
      for (const role of ['main', 'slides'] as const) if (state.shown[role] === streamId) state.shown[role] = null;
      this.reselect(bridge, state, true);
    }
  }

  private close(bridge: Bridge): void {
    bridge.closed = true;
    clearInterval(bridge.ticker);
    for (const t of bridge.gcTimers.values()) clearTimeout(t);
    bridge.gcTimers.clear();
    bridge.offRoom();
    bridge.tap.close();
    bridge.room.release().catch((err: unknown) => this.logger.warn({ err }, 'room video release failed'));
  }
}
