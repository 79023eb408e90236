/**
 * One call's video (issue #10), beside the call's lifecycle in inbound-call.ts: what the offer's
 * video m-lines become (negotiation inputs, the engine's caller-facing video sockets per role, the
 * engine sessions re-applied on every offer/answer), the caller's camera into the meeting (the RTP
 * leg's video producer + the engine's ingress relay), keyframe requests by SIP INFO
 * picture_fast_update (RFC 5168) both ways, and the call's place in the meeting's video fan-out.
 */
import type { Logger } from 'pino';
import type { MediaRoomApi } from '../../../sfu/src/index.js';
import type { ParticipantHandle, RtpLegPort } from '../../../server/src/meetings/index.js';
import type { CallMedia, CallVideoSession, CallVideoStats, VideoRole } from '../media/engine/types.js';
import { AUDIO_RESERVE_BPS, MIN_VIDEO_BPS, type LocalMediaAddress, type MaxResolution, type NegotiatedVideo, type RoomVideoCodec, type VideoNegotiation } from '../media/sdp/index.js';
import { attachCallerVideo, type CallerVideoProducer } from './caller-video-leg.js';
import { MEDIA_CONTROL_CONTENT_TYPE, PICTURE_FAST_UPDATE_BODY, readMediaControl } from './media-control.js';
import type { MeetingVideo, MeetingVideoBridges } from './meeting-video.js';
import type { VideoMetrics } from './metrics.js';

/** At most one SIP INFO picture_fast_update per role this often (the engine already limits keyframeNeeded to 1/s). */
const MIN_INFO_INTERVAL_MS = 1_000;
/** How often the slides line's inflow is looked at (no BFCP: content flowing is the caller presenting). */
const SLIDES_POLL_MS = 500;
/** The caller stopped presenting when nothing came on its slides line for this long. */
const SLIDES_QUIET_MS = 3_000;

/** Whether we receive on an m-line of this direction (ours: the caller sends when we are recvonly/sendrecv). */
const weReceive = (d: NegotiatedVideo['direction']) => d === 'sendrecv' || d === 'recvonly';

export interface CallVideoDeps {
  media: CallMedia;
  bridges: MeetingVideoBridges;
  metrics: VideoMetrics;
  log: Logger;
  /** Sends an INFO in the call's dialog (null before the dialog exists). */
  sendInfo(contentType: string, body: string): Promise<void> | null;
  now(): number;
}

/** The engine session of one negotiated video m-line. */
export function engineVideoSession(v: NegotiatedVideo): CallVideoSession {
  return {
    // RFC 3264 §5.1/§6.1: the caller sends with our SDP's number and receives with its own SDP's
    // (its offer's, or its answer to our late offer: remotePayloadType either way).
    codec: { name: v.codec.name, payloadType: v.codec.payloadType, sendPayloadType: v.codec.remotePayloadType, clockRate: 90000, fmtp: v.codec.fmtp },
    remote: v.remote,
    rtcpMux: v.rtcpMux,
    srtp: v.srtp,
    direction: v.direction,
    symmetric: true,
    feedback: { pli: v.feedback.pli, fir: v.feedback.fir, nack: v.feedback.nack, remb: v.feedback.remb, tmmbr: v.feedback.tmmbr },
    capBps: v.maxBitrateBps,
  };
}

export class CallVideo {
  /** The negotiated video m-lines now (empty: an audio-only call). */
  private streams: NegotiatedVideo[] = [];
  private readonly opened = new Map<VideoRole, LocalMediaAddress>();
  private readonly lastInfoAt = new Map<VideoRole, number>();
  private camera: CallerVideoProducer | null = null;
  private meeting: MeetingVideo | null = null;
  private participantId: string | null = null;
  private handle: ParticipantHandle<MediaRoomApi> | null = null;
  private leg: RtpLegPort | null = null;
  /** The caller's content as the meeting's presentation (a `screen` producer), while it presents. */
  private slides: { producer: CallerVideoProducer | null; transport: { id: string; ip: string; port: number } | null; presenting: boolean; lostFloor: boolean; quietSince: number | null; busy: boolean } = {
    producer: null, transport: null, presenting: false, lostFloor: false, quietSince: null, busy: false,
  };
  private slidesTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly offs: (() => void)[] = [];

  constructor(private readonly deps: CallVideoDeps) {
    this.offs.push(deps.media.events.on('keyframeNeeded', (role) => this.onKeyframeNeeded(role)));
    this.offs.push(deps.media.events.on('videoSwitched', (role, info) => {
      deps.metrics.switched(info.waitedMs / 1000);
      // Per-switch samples for bench/gateway (the histogram's buckets are too coarse for a p50/p95).
      deps.log.info({ role, streamId: info.streamId, waitedMs: info.waitedMs }, 'video switched');
    }));
  }

  get negotiated(): readonly NegotiatedVideo[] {
    return this.streams;
  }

  /** The codec of the main m-line, for call records and logs (null: no video). */
  get mainCodec(): string | null {
    return this.streams.find((v) => v.role === 'main')?.codec.name ?? null;
  }

  /** The call's video budget now (bps): the main line's cap. */
  get capBps(): number {
    return this.streams.find((v) => v.role === 'main')?.maxBitrateBps ?? 0;
  }

  /** The negotiation context for an offer, or null when the room has no video codec we forward. */
  static negotiation(codecs: readonly RoomVideoCodec[] | null, callKbps: number, maxResolution: MaxResolution, previous: readonly NegotiatedVideo[]): VideoNegotiation | null {
    if (!codecs || codecs.length === 0) return null;
    return { codecs, callBitrateBps: callKbps * 1000, maxResolution, slides: true, previous };
  }

  /** Opens the engine's caller-facing socket pair for every accepted role (the same pair again if open): our answer's video addresses. */
  async prepare(video: readonly Pick<NegotiatedVideo, 'role'>[]): Promise<Partial<Record<VideoRole, LocalMediaAddress>>> {
    const out: Partial<Record<VideoRole, LocalMediaAddress>> = {};
    for (const v of video) {
      let at = this.opened.get(v.role);
      if (!at) {
        at = await this.deps.media.openVideo(v.role);
        this.opened.set(v.role, at);
        this.deps.metrics.legOpened(v.role);
      }
      out[v.role] = at;
    }
    return out;
  }

  /** The roles whose caller-facing sockets are open. */
  openRoles(): Set<VideoRole> {
    return new Set(this.opened.keys());
  }

  /** Our addresses of the open roles (for answers given synchronously). */
  openedAddresses(): Partial<Record<VideoRole, LocalMediaAddress>> {
    return Object.fromEntries(this.opened) as Partial<Record<VideoRole, LocalMediaAddress>>;
  }

  /** Applies an offer/answer's video: configures every negotiated role, closes the ones no longer there. */
  async apply(video: readonly NegotiatedVideo[]): Promise<void> {
    const previous = this.streams;
    this.streams = [...video];
    for (const v of video) await this.deps.media.configureVideo(v.role, engineVideoSession(v));
    if (previous.some((v) => v.role === 'main') && !video.some((v) => v.role === 'main') && this.camera) {
      await this.deps.media.setVideoIngress('main', null).catch(() => undefined);
      this.camera = null;
    }
    // Roles the offer/answer dropped, or that our own offer opened and the answer refused.
    for (const role of [...this.opened.keys()]) if (!video.some((v) => v.role === role)) await this.closeRole(role);
    this.meeting?.updateCall(this.view());
  }

  /**
   * In the meeting: the caller's camera becomes a producer on its RTP leg and the engine relays
   * the caller's video into it; the call joins the meeting's video fan-out, which chooses what it sees.
   */
  async enterMeeting(handle: ParticipantHandle<MediaRoomApi>, leg: RtpLegPort): Promise<void> {
    const main = this.streams.find((v) => v.role === 'main');
    if (!main || this.closed || this.participantId) return;
    this.participantId = handle.participantId;
    this.handle = handle;
    this.leg = leg;
    try {
      this.camera = await attachCallerVideo(handle, leg, main, 'camera');
    } catch (err) {
      // A call that joined audio-only (video added later by re-INVITE) may not send a camera; it still sees the meeting.
      this.deps.log.warn({ err }, 'the caller’s camera cannot enter the meeting; it receives video only');
    }
    // The caller's content: presenting while its slides line carries video (RFC 4796, no BFCP).
    this.offs.push(
      leg.events.on('producerClosed', (id) => {
        if (id !== this.slides.producer?.producerId) return;
        // Someone else took the floor (take-over as for browsers): stop relaying until the caller stops and starts again.
        this.slides.producer = null;
        this.slides.presenting = false;
        this.slides.lostFloor = true;
        void this.deps.media.setVideoIngress('slides', null).catch(() => undefined);
        this.deps.log.info('the room system’s presentation was taken over');
      }),
    );
    this.slidesTimer = setInterval(() => void this.watchSlides(), SLIDES_POLL_MS);
    this.slidesTimer.unref();
    if (this.camera) await this.deps.media.setVideoIngress('main', this.camera.target);
    this.meeting = await this.deps.bridges.acquire(handle);
    if (this.closed) {
      this.meeting.release();
      this.meeting = null;
      return;
    }
    await this.deps.media.joinRoomVideo(this.meeting.room);
    this.meeting.addCall(this.view());
    this.deps.log.info({ codec: main.codec.name, capBps: main.maxBitrateBps, roles: this.streams.map((v) => v.role) }, 'caller video is in the meeting');
  }

  /**
   * The join granted less than we answered with (a PIN caller's company policy): the media cap
   * follows at once — TMMBR/REMB to the caller, the forwarded layer — and the SDP at the next offer/answer.
   */
  async lowerCap(callBps: number): Promise<void> {
    const audioBps = AUDIO_RESERVE_BPS.opus;
    const videoBps = Math.max(MIN_VIDEO_BPS, callBps - audioBps);
    this.streams = this.streams.map((v) => (v.maxBitrateBps > videoBps ? { ...v, maxBitrateBps: videoBps } : v));
    for (const v of this.streams) await this.deps.media.configureVideo(v.role, engineVideoSession(v));
    this.meeting?.updateCall(this.view());
  }

  /** A SIP INFO from the caller with a media control body: 200 (and a keyframe for it) or 400. */
  onMediaControlInfo(body: string): 200 | 400 {
    const req = readMediaControl(body);
    if (req.kind === 'malformed') return 400;
    if (req.kind === 'picture_fast_update') {
      this.deps.metrics.keyframeRequest('info');
      for (const v of this.streams) void this.deps.media.requestKeyFrameForCaller(v.role).catch(() => undefined);
    }
    return 200;
  }

  /** Whose video the caller's m-line shows now (null: nothing, or not in the meeting yet). */
  showing(role: VideoRole): { participantId: string; source: 'camera' | 'screen'; layer: number } | null {
    return this.meeting?.showing(this.deps.media.callId, role) ?? null;
  }

  stats(role: VideoRole): Promise<CallVideoStats> | null {
    return this.opened.has(role) ? this.deps.media.videoStats(role) : null;
  }

  /** Presentation from the room system: content flowing on its slides line starts it, SLIDES_QUIET_MS of none stops it. */
  private async watchSlides(): Promise<void> {
    const s = this.slides;
    if (s.busy || this.closed || !this.handle || !this.leg) return;
    s.busy = true;
    try {
      const line = this.streams.find((v) => v.role === 'slides');
      const now = this.deps.now();
      let flowing = false;
      if (line && weReceive(line.direction) && this.opened.has('slides')) flowing = (await this.deps.media.videoStats('slides')).receivedBps > 0;
      if (flowing) {
        s.quietSince = null;
        if (!s.presenting && !s.lostFloor) await this.startPresenting(line!);
      } else {
        s.quietSince ??= now;
        if (!line || !weReceive(line.direction) || now - s.quietSince >= SLIDES_QUIET_MS) {
          s.lostFloor = false;
          if (s.presenting) await this.stopPresenting();
        }
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'room system presentation');
    } finally {
      s.busy = false;
    }
  }

  private async startPresenting(line: NegotiatedVideo): Promise<void> {
    const handle = this.handle!;
    // Takes the floor from whoever presents (the meeting core's rule: one presenter, the latest wins).
    await handle.startPresentation();
    const producer = await attachCallerVideo(handle, this.leg!, line, 'screen', this.slides.transport ?? undefined);
    this.slides.transport = producer.transport;
    this.slides.producer = producer;
    this.slides.presenting = true;
    await this.deps.media.setVideoIngress('slides', producer.target);
    this.deps.log.info({ codec: line.codec.name }, 'the room system presents');
  }

  private async stopPresenting(): Promise<void> {
    const s = this.slides;
    const producer = s.producer;
    s.producer = null;
    s.presenting = false;
    await this.deps.media.setVideoIngress('slides', null).catch(() => undefined);
    if (producer) this.leg?.closeProducer(producer.producerId);
    await this.handle?.stopPresentation().catch(() => undefined);
    this.deps.log.info('the room system stopped presenting');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.slidesTimer) clearInterval(this.slidesTimer);
    for (const off of this.offs.splice(0)) off();
    const main = this.opened.has('main') ? await this.deps.media.videoStats('main').catch(() => null) : null;
    this.deps.metrics.callEnded(this.deps.media.callId, main);
    if (this.meeting) {
      this.meeting.removeCall(this.deps.media.callId);
      await this.deps.media.leaveRoomVideo().catch(() => undefined);
      this.meeting.release();
      this.meeting = null;
    }
    for (const role of [...this.opened.keys()]) await this.closeRole(role);
  }

  private async closeRole(role: VideoRole): Promise<void> {
    if (!this.opened.delete(role)) return;
    this.deps.metrics.legClosed(role);
    await this.deps.media.closeVideo(role).catch(() => undefined);
  }

  private view() {
    const roles: Partial<Record<VideoRole, 'H264' | 'VP8'>> = {};
    for (const v of this.streams) if (v.direction === 'sendrecv' || v.direction === 'sendonly') roles[v.role] = v.codec.name;
    return { callId: this.deps.media.callId, participantId: this.participantId ?? '', roles, capBps: this.capBps };
  }

  /** The SFU wants a keyframe and the caller has no PLI/FIR: SIP INFO picture_fast_update in the dialog. */
  private onKeyframeNeeded(role: VideoRole): void {
    const now = this.deps.now();
    if (now - (this.lastInfoAt.get(role) ?? -Infinity) < MIN_INFO_INTERVAL_MS) return;
    this.lastInfoAt.set(role, now);
    const sent = this.deps.sendInfo(MEDIA_CONTROL_CONTENT_TYPE, PICTURE_FAST_UPDATE_BODY);
    if (!sent) return;
    this.deps.metrics.keyframeRequestSent('info');
    void Promise.resolve(sent).catch((err: unknown) => this.deps.log.debug({ err }, 'picture_fast_update INFO failed'));
  }
}
