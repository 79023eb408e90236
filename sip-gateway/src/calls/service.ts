import { meetingRtpCapabilities } from '../../../sfu/src/index.js';
import { roomVideoCodecs } from '../media/sdp/index.js';
import type { IncomingRequest } from '../sip/index.js';
import { InboundCall, type CallState } from './inbound-call.js';
import { MeetingAudioBridges } from './meeting-audio.js';
import { MeetingVideoBridges } from './meeting-video.js';
import { CallMetrics, VideoMetrics, type LiveVideoStats } from './metrics.js';
import type { CallsDeps } from './ports.js';
import { CallEndReason } from './reasons.js';

/**
 * The gateway's call service: takes every new INVITE from the SIP stack, runs it as an
 * InboundCall, keeps the live calls (for metrics and drain), and ends them all on stop.
 */
export class CallService {
  private readonly calls = new Map<string, InboundCall>();
  private readonly bridges: MeetingAudioBridges;
  private readonly metrics: CallMetrics;
  private readonly videoBridges: MeetingVideoBridges;
  private readonly videoMetrics: VideoMetrics;
  /** The meeting routers' video codecs: static config, so known before any meeting exists. */
  private readonly roomVideoCodecs = roomVideoCodecs(meetingRtpCapabilities());
  private accepting = true;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly deps: CallsDeps,
    private readonly defaultDomain: string,
  ) {
    this.bridges = new MeetingAudioBridges(deps.engine, deps.logger.child({ component: 'meeting-audio' }));
    this.metrics = new CallMetrics(deps.registry, () => this.countByState());
    this.videoMetrics = new VideoMetrics(deps.registry, () => this.liveVideoStats());
    this.videoBridges = new MeetingVideoBridges(deps.engine, deps.logger.child({ component: 'meeting-video' }), this.videoMetrics, () => deps.clock.now());
    deps.stack.handle('INVITE', (req) => this.onInvite(req));
  }

  get size(): number {
    return this.calls.size;
  }

  /** Live calls (tests, admin views). */
  list(): { callId: string; state: CallState; participantId: string | null; audio: InboundCall['audio']; video: InboundCall['videoSummary']; localSdp: string | null }[] {
    return [...this.calls.values()].map((c) => ({ callId: c.callId, state: c.state, participantId: c.participantId, audio: c.audio, video: c.videoSummary, localSdp: c.localSdp }));
  }

  /** The media engine's stats of a live call's video m-line (tests, admin views); null without one. */
  videoStats(callId: string, role: 'main' | 'slides' = 'main'): ReturnType<InboundCall['videoStats']> {
    return this.calls.get(callId)?.videoStats(role) ?? null;
  }

  private async liveVideoStats(): Promise<LiveVideoStats[]> {
    const out: LiveVideoStats[] = [];
    for (const c of this.calls.values()) {
      const stats = await c.videoStats('main')?.catch(() => null);
      if (stats) out.push({ callId: c.callId, stats });
    }
    return out;
  }

  private onInvite(incoming: IncomingRequest): Promise<void> | void {
    const callId = incoming.request.callId;
    if (!this.accepting) {
      incoming.respond(503, { headers: { 'Retry-After': '30' }, reason: 'Service Unavailable' });
      return;
    }
    if (this.calls.has(callId)) {
      // A second INVITE with the same Call-ID and no To-tag is a loop or a forked retry: refuse it.
      incoming.respond(482, { reason: 'Loop Detected' });
      return;
    }
    const call = new InboundCall(incoming, {
      deps: this.deps,
      bridges: this.bridges,
      videoBridges: this.videoBridges,
      metrics: this.metrics,
      videoMetrics: this.videoMetrics,
      roomVideoCodecs: this.roomVideoCodecs,
      defaultDomain: this.defaultDomain,
      onEnded: (c) => {
        if (this.calls.get(c.callId) === c) this.calls.delete(c.callId);
        if (this.calls.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      },
    });
    this.calls.set(callId, call);
    return call.run();
  }

  /** Drain, step 1: new INVITEs get 503 + Retry-After; calls in meetings go on until their meeting ends. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /** Drain, last step: every live call gets BYE (Reason: server_shutdown, cause 503). */
  async stop(): Promise<void> {
    this.accepting = false;
    await Promise.all([...this.calls.values()].map((c) => c.hangUp(CallEndReason.ServerShutdown, 503)));
  }

  /** Resolves when no call is left (tests). */
  idle(): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private countByState(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.calls.values()) counts[c.state] = (counts[c.state] ?? 0) + 1;
    return counts;
  }
}
