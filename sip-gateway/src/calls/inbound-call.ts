/**
 * One inbound SIP call into a meeting, from INVITE to BYE:
 *
 *   routing ──▶ answering ──▶ ivr ──▶ lobby ──▶ in_meeting ──▶ ending ──▶ ended
 *      │            │          │        │                        ▲
 *      └────────────┴──────────┴────────┴── (refused / cancelled / hung up) ┘
 *
 * routing: the Request-URI names a room (404/403 otherwise), the offer is acceptable (488), the
 * media socket is opened, and a first join is tried without a PIN. A refusal before the answer
 * plays its prompt as early media (183) when there is an offer, then gets its status from the
 * shared refusal table. answering: 200 OK (our answer, or our offer for an INVITE without SDP).
 * ivr: PIN rounds by DTMF (RFC 4733, SIP INFO, in-band). lobby: a guest hears the waiting prompt
 * until a host admits it. in_meeting: the caller's audio is in the room mixer, and its Opus in
 * the SFU. ending: BYE (with a Reason) and every resource given back, once.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { MeetingError, sipResponseFor, type ParticipantHandle, type RefusalCode, type RoomInfo, type RtpLegPort } from '../../../server/src/meetings/index.js';
import type { MediaRoomApi } from '../../../sfu/src/index.js';
import { DtmfBodyError, isPinKey, parseSipInfoDtmf, type DtmfKey, type DtmfMethod } from '../media/dtmf/index.js';
import type { CallAudioSession, CallMedia } from '../media/engine/types.js';
import { MediaEngineError } from '../media/engine/index.js';
import { applyAnswer, buildAnswer, buildOffer, bump, negotiateOffer, newOrigin, type MaxResolution, type NegotiatedOffer, type PendingOffer, type RoomVideoCodec, type SdpOrigin, type SipTransport } from '../media/sdp/index.js';
import { SERVICE_MAX_CALL_KBPS } from '../../../server/src/licensing/index.js';
import { DialogEndReason, isSipUri, type Dialog, type IncomingRequest, type SipRequest } from '../sip/index.js';
import { attachCallerAudioLeg } from './caller-audio-leg.js';
import { CallVideo } from './call-video.js';
import { isMediaControl } from './media-control.js';
import type { MeetingVideoBridges } from './meeting-video.js';
import { maxResolutionFor, provisionalCapKbps, sdpAskKbps } from './video-policy.js';
import { callerIdentity, stripScheme } from './caller-identity.js';
import type { MeetingAudio, MeetingAudioBridges } from './meeting-audio.js';
import type { CallMetrics, VideoMetrics } from './metrics.js';
import { PinIvr } from './pin-ivr.js';
import { refusalPrompt } from './refusal-prompts.js';
import type { CallsDeps, CallingEndpoint } from './ports.js';
import { CallEndReason, reasonHeader } from './reasons.js';
import { routeRequestUri } from './routing.js';

export type CallState = 'routing' | 'answering' | 'ivr' | 'lobby' | 'in_meeting' | 'ending' | 'ended';

const TRANSITIONS: Record<CallState, readonly CallState[]> = {
  routing: ['answering', 'ending'],
  answering: ['ivr', 'lobby', 'in_meeting', 'ending'],
  ivr: ['lobby', 'in_meeting', 'ending'],
  lobby: ['in_meeting', 'ending'],
  in_meeting: ['ending'],
  ending: ['ended'],
  ended: [],
};


/** Thrown inside the call's own flow to unwind it when the call has ended meanwhile. */
class CallGone extends Error {
  readonly code = 'call_gone';
}

export interface InboundCallContext {
  deps: CallsDeps;
  bridges: MeetingAudioBridges;
  videoBridges: MeetingVideoBridges;
  metrics: CallMetrics;
  videoMetrics: VideoMetrics;
  /** The meeting routers' video codecs with their payload types (static config: the same on every router, known before any meeting). */
  roomVideoCodecs: readonly RoomVideoCodec[];
  defaultDomain: string;
  /** Told once when the call has ended (the service forgets it). */
  onEnded(call: InboundCall): void;
}

export class InboundCall {
  readonly callId: string;
  state: CallState = 'routing';
  private readonly log: Logger;
  private readonly startedAt: number;
  private readonly source: { transport: SipTransport; address: string; port: number };
  private readonly displayName: string;
  private readonly callerAddress: string | null;
  private room: RoomInfo | null = null;
  private media: CallMedia | null = null;
  private session: CallAudioSession | null = null;
  private origin: SdpOrigin = newOrigin();
  private pendingOffer: PendingOffer | null = null;
  /** The negotiation whose answer we sent, applied to the media after the 200 (initial INVITE). */
  private pendingVideo: NegotiatedOffer | null = null;
  private dialog: Dialog | null = null;
  private handle: ParticipantHandle<MediaRoomApi> | null = null;
  /** The caller's RTP leg in the meeting (video added later joins the fan-out through it). */
  private leg: RtpLegPort | null = null;
  /** Our re-INVITE adding video is under way (one at a time). */
  private addingVideo = false;
  private meetingAudio: MeetingAudio | null = null;
  private ivr: PinIvr<ParticipantHandle<MediaRoomApi>> | null = null;
  private video: CallVideo | null = null;
  /** The call's bandwidth cap (kbps) as known now: tier and SDP before the join, the join's grant after. */
  private capKbps = SERVICE_MAX_CALL_KBPS;
  private maxResolution: MaxResolution = '720p';
  /** The caller offered a video m-line (join mode, whether video is worth setting up). */
  private offeredVideo = false;
  private sdpKbps: number | null = null;
  /** The last SDP we sent in the dialog (answer or offer): admin views and tests. */
  localSdp: string | null = null;
  private finalStatus: number | null = null;
  private endReason: string | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly incoming: IncomingRequest,
    private readonly ctx: InboundCallContext,
  ) {
    const req = incoming.request;
    this.callId = req.callId;
    this.startedAt = ctx.deps.clock.now();
    this.source = { transport: incoming.flow.protocol, address: incoming.flow.remote.address, port: incoming.flow.remote.port };
    const identity = callerIdentity(req);
    this.displayName = identity.displayName;
    this.callerAddress = identity.address;
    this.log = ctx.deps.logger.child({ callId: this.callId, source: `${this.source.transport}:${this.source.address}:${this.source.port}` });
  }

  get participantId(): string | null {
    return this.handle?.participantId ?? null;
  }

  /** The negotiated audio: codec, and whether SRTP protects it (null before an offer/answer). */
  get audio(): { codec: string; srtp: string | null; transport: SipTransport } | null {
    return this.session ? { codec: this.session.codec.name, srtp: this.session.srtp?.suite ?? null, transport: this.source.transport } : null;
  }

  /** The negotiated video: main codec, cap and roles (null for audio-only calls). */
  get videoSummary(): {
    codec: string | null;
    capBps: number;
    roles: string[];
    /** Whose video the main m-line shows, which source and simulcast layer. */
    showing: string | null;
    showingSource: 'camera' | 'screen' | null;
    showingLayer: number | null;
    /** Whose screen the slides m-line shows (null: none, or no slides line). */
    showingSlides: string | null;
  } | null {
    const v = this.video;
    if (!v || v.negotiated.length === 0) return null;
    const showing = v.showing('main');
    return { codec: v.mainCodec, capBps: v.capBps, roles: v.negotiated.map((n) => n.role), showing: showing?.participantId ?? null, showingSource: showing?.source ?? null, showingLayer: showing?.layer ?? null, showingSlides: v.showing('slides')?.participantId ?? null };
  }

  /** The engine's stats of one video m-line (tests, metrics); null without it. */
  videoStats(role: 'main' | 'slides'): ReturnType<CallVideo['stats']> {
    return this.video?.stats(role) ?? null;
  }

  /** Drives the call from the INVITE to its end; never throws. */
  async run(): Promise<void> {
    this.incoming.events.on('cancel', () => void this.end(CallEndReason.CallerCancelled, { status: 487 }));
    try {
      await this.route();
    } catch (err) {
      // A call that ended meanwhile (CANCEL, BYE, drain) unwinds its flow: pending media requests fail then.
      if (err instanceof CallGone || this.state === 'ending' || this.state === 'ended') return;
      this.log.error({ err }, 'call failed');
      await this.end(CallEndReason.InternalError, { status: 500 });
    }
  }

  /** Ends the call from outside (node drain). */
  hangUp(reason: CallEndReason, sipCause = 200): Promise<void> {
    return this.end(reason, { status: sipCause, byeCause: sipCause });
  }

  // ── routing and answering ───────────────────────────────────────────────────────────────────

  private async route(): Promise<void> {
    const { deps } = this.ctx;
    const req = this.incoming.request;
    const uri = req.uri;
    if (!isSipUri(uri)) return this.refuse(416, 'Unsupported URI Scheme', 'bad_uri');
    const route = await routeRequestUri(
      { user: uri.user, host: uri.host },
      {
        defaultDomain: this.ctx.defaultDomain,
        isStaticallyHosted: (h) => deps.stack.isHosted(h),
        isIpAddress: (h) => /^[\d.]+$/.test(h) || h.includes(':'),
        isVerifiedCustomerDomain: (d) => deps.domains.isVerifiedCustomerDomain(d),
      },
    );
    this.assertLive();
    if (!route.ok) return this.refuse(route.status, route.reason, route.code);

    try {
      this.room = await deps.meetings.lookupRoom(route.address, this.source.address);
    } catch (err) {
      const code = refusalCode(err);
      if (!code) throw err;
      const sip = sipResponseFor(code);
      return this.refuse(sip.status, sip.reason, code);
    }
    this.assertLive();
    this.log.info({ room: this.room.meetingId, address: route.address, from: this.callerAddress }, 'call for a meeting');

    try {
      this.media = await deps.engine.openCall({ callId: this.callId, meetingId: this.room.meetingId });
    } catch (err) {
      // No media port or worker for a new call: the node is full for now, not broken.
      if (err instanceof MediaEngineError && (err.code === 'ports_exhausted' || err.code === 'worker_failed' || err.code === 'engine_closed')) {
        this.log.warn({ code: err.code }, 'no media for a new call');
        return this.refuse(503, 'Service Unavailable', `media_${err.code}`, { 'Retry-After': '10' });
      }
      throw err;
    }
    if (this.state === 'ending' || this.state === 'ended') {
      await this.media.close();
      throw new CallGone();
    }
    this.watchMedia(this.media);
    this.video = this.newCallVideo(this.media);

    // The offer (if any) must be acceptable before a seat is taken; its addresses must be of our
    // media socket's family (ending the call frees the socket just opened).
    const offer = req.body.length > 0 ? req.body : null;
    let negotiated: ReturnType<typeof negotiateOffer> | null = null;
    let sdpKbps: number | null = null;
    if (offer) {
      negotiated = negotiateOffer(offer, { transport: this.source.transport, addressFamily: this.mediaFamily() });
      if (!negotiated.ok) {
        this.log.info({ reason: negotiated.reason, warning: negotiated.warning }, 'offer refused');
        return this.refuse(negotiated.status, 'Not Acceptable Here', `sdp_${negotiated.reason}`, { Warning: negotiated.warning });
      }
      this.session = negotiated.session;
      this.offeredVideo = /^m=video [1-9]/m.test(offer.toString('latin1'));
      // What the SDP asks for (b=), read from a negotiation at the service ceiling.
      const atCeiling = this.negotiate(offer, SERVICE_MAX_CALL_KBPS);
      if (atCeiling.ok) sdpKbps = sdpAskKbps(atCeiling);
      this.sdpKbps = sdpKbps;
    }

    const endpoint = this.callerAddress
      ? await deps.endpoints.identify(stripScheme(this.callerAddress), this.source).catch((err: unknown) => {
          this.log.warn({ err }, 'endpoint lookup failed; treating the caller as a guest');
          return null;
        })
      : null;
    this.assertLive();

    // First try: no PIN (rooms without one, the owner's registered endpoint, …).
    const first = await this.tryJoin(endpoint, undefined, sdpKbps);
    this.assertLive();
    if (first.kind === 'refused' && first.code !== 'pin_required') {
      return this.refuseWithPrompt(first.code, negotiated && negotiated.ok ? buildAnswer({ negotiated, local: this.media.local, origin: this.origin }) : null);
    }

    // The call's cap: the join's grant (tier or company policy, SDP) when joined; else tier and SDP until the PIN is in.
    if (first.kind === 'joined') {
      await this.takeGrant(first.handle);
    } else {
      this.capKbps = provisionalCapKbps(endpoint?.tier ?? null, sdpKbps);
    }
    this.assertLive();

    // Answer: our answer, or (no offer) our offer, which the ACK answers.
    let body: string;
    if (offer && negotiated && negotiated.ok) {
      const withVideo = await this.negotiateWithVideo(offer, negotiated);
      this.assertLive();
      body = withVideo.body;
    } else {
      body = await this.lateOffer();
      this.assertLive();
    }
    this.transition('answering');
    this.dialog = this.incoming.accept({ body });
    this.localSdp = body;
    this.finalStatus = 200;
    this.ctx.metrics.answered();
    this.watchDialog(this.dialog);
    if (this.session) await this.media.configure(this.session);
    if (this.pendingVideo && this.video) await this.video.apply(this.pendingVideo.video);
    this.pendingVideo = null;
    this.assertLive();

    if (first.kind === 'joined') {
      this.handle = first.handle;
      return this.afterJoin();
    }
    return this.runIvr(endpoint, first.guestPin);
  }

  // ── video (call-video.ts does the work; these tie it to the offer/answer) ───────────────────

  private newCallVideo(media: CallMedia): CallVideo {
    return new CallVideo({
      media,
      bridges: this.ctx.videoBridges,
      metrics: this.ctx.videoMetrics,
      log: this.log,
      now: () => this.ctx.deps.clock.now(),
      sendInfo: (contentType, body) => {
        const dialog = this.dialog;
        if (!dialog || dialog.terminated) return null;
        return dialog.request('INFO', { contentType, body }).then(() => undefined);
      },
    });
  }

  /**
   * An offer negotiated with video at `capKbps` (when the room's codecs are known), else audio only.
   * `only`: accept video only on these roles (a re-offer is answered at once, so only with the sockets already open).
   */
  private negotiate(offer: Buffer | string, capKbps: number, only?: ReadonlySet<'main' | 'slides'>): ReturnType<typeof negotiateOffer> {
    let video = CallVideo.negotiation(this.ctx.roomVideoCodecs, capKbps, this.maxResolution, this.video?.negotiated ?? []);
    if (video && only) video = only.has('main') ? { ...video, slides: only.has('slides') } : null;
    return negotiateOffer(offer, { transport: this.source.transport, previous: this.session, addressFamily: this.mediaFamily(), video });
  }

  /**
   * Our answer to an offer, with its video m-lines accepted at the call's cap and the engine's video
   * sockets open for them. A video socket we cannot open leaves the call audio-only (video port 0).
   */
  private async negotiateWithVideo(offer: Buffer | string, audioOnly: NegotiatedOffer): Promise<{ body: string; negotiated: NegotiatedOffer }> {
    const n = this.negotiate(offer, this.capKbps);
    if (n.ok && n.video.length > 0 && this.video) {
      try {
        const videoLocal = await this.video.prepare(n.video);
        const body = buildAnswer({ negotiated: n, local: this.media!.local, origin: this.origin, videoLocal });
        this.session = n.session;
        this.pendingVideo = n;
        return { body, negotiated: n };
      } catch (err) {
        this.log.warn({ err }, 'no video socket for the call: answering audio only');
      }
    }
    if (n.ok && n.videoRejected.length > 0) this.log.info({ videoRejected: n.videoRejected }, 'video m-lines answered with port 0');
    const plain = n.ok && n.video.length === 0 ? n : audioOnly;
    this.session = plain.session;
    this.pendingVideo = plain;
    return { body: buildAnswer({ negotiated: plain, local: this.media!.local, origin: this.origin }), negotiated: plain };
  }

  /** Our offer for an INVITE without SDP: audio, and video (main and slides) when the room's codecs are known. */
  private async lateOffer(): Promise<string> {
    const codecs = this.ctx.roomVideoCodecs;
    let video: Parameters<typeof buildOffer>[0]['video'] = null;
    if (codecs && codecs.length > 0 && this.video) {
      try {
        const local = await this.video.prepare([{ role: 'main' }, { role: 'slides' }] as Parameters<CallVideo['prepare']>[0]);
        video = { codecs, callBitrateBps: this.capKbps * 1000, maxResolution: this.maxResolution, slides: true, local, previous: this.video.negotiated };
      } catch (err) {
        this.log.warn({ err }, 'no video socket for the call: offering audio only');
      }
    }
    const made = buildOffer({ transport: this.source.transport, local: this.media!.local, origin: this.origin, srtp: this.session?.srtp != null || this.source.transport === 'tls', video });
    this.pendingOffer = made.pending;
    return made.sdp;
  }

  /** The join's bandwidth grant (tier or company policy, SDP, service ceiling) and resolution become the call's cap. */
  private async takeGrant(handle: ParticipantHandle<MediaRoomApi>): Promise<void> {
    const grant = (await handle.joinResult()).bandwidth;
    this.maxResolution = maxResolutionFor(grant.maxVideoHeight);
    const lower = grant.kbps < this.capKbps;
    this.capKbps = grant.kbps;
    // Already answered (PIN callers): the media cap follows at once (TMMBR); the SDP at the next offer/answer.
    if (lower && this.video && this.video.negotiated.length > 0) await this.video.lowerCap(grant.kbps * 1000);
  }

  /** The IP family of our media socket: an offer must give addresses of the same family. */
  private mediaFamily(): 4 | 6 {
    return isIP(this.media!.local.ip) === 6 ? 6 : 4;
  }

  /** Before answering: a final response, and the call is over. */
  private async refuse(status: number, reason: string, code: string, headers: Record<string, string> = {}): Promise<void> {
    if (!this.incoming.answered) this.incoming.respond(status, { reason, headers });
    this.finalStatus = status;
    this.ctx.metrics.refused(code);
    await this.end(CallEndReason.Refused, { status, code });
  }

  /** A refusal with a prompt: as early media (183) when we could answer the offer, then the final status. */
  private async refuseWithPrompt(code: RefusalCode, earlyAnswer: string | null): Promise<void> {
    const sip = sipResponseFor(code);
    const prompt = refusalPrompt(code);
    if (earlyAnswer && this.media && this.session && !this.incoming.answered) {
      this.incoming.respond(183, { body: earlyAnswer });
      await this.media.configure(this.session);
      this.assertLive();
      await this.media.play(prompt);
      this.assertLive();
    }
    return this.refuse(sip.status, sip.reason, code);
  }

  private async tryJoin(
    endpoint: CallingEndpoint | null,
    pin: string | undefined,
    sdpKbps: number | null = null,
  ): Promise<{ kind: 'joined'; handle: ParticipantHandle<MediaRoomApi> } | { kind: 'refused'; code: RefusalCode; guestPin: boolean }> {
    const room = this.room!;
    try {
      const handle = await this.ctx.deps.meetings.join({
        address: room.roomAddress,
        displayName: endpoint?.displayName ?? this.displayName,
        pin,
        mode: this.offeredVideo ? 'video' : 'audio-only',
        // A video caller asks for what its tier or the service allows; the core caps it (company policy, SDP).
        bandwidthKbps: endpoint?.bandwidthKbps ?? (this.offeredVideo ? SERVICE_MAX_CALL_KBPS : this.ctx.deps.config.defaultBandwidthKbps),
        sdpBandwidthKbps: sdpKbps,
        kind: 'sip',
        callerAddress: this.callerAddress,
        caller: endpoint ? { endpointAddress: endpoint.address, source: this.source } : undefined,
        endpoint: endpoint ? { address: endpoint.address, tier: endpoint.tier } : undefined,
        source: this.source.address,
        call: { callId: this.callId, audioCodec: this.session?.codec.name ?? null },
      });
      if (this.state === 'ending' || this.state === 'ended') {
        await handle.leave('left');
        throw new CallGone();
      }
      return { kind: 'joined', handle };
    } catch (err) {
      const code = refusalCode(err);
      if (!code) throw err;
      const details = err instanceof MeetingError ? err.details : undefined;
      return { kind: 'refused', code, guestPin: Boolean(details && (details as { guestPin?: unknown }).guestPin) };
    }
  }

  // ── IVR ─────────────────────────────────────────────────────────────────────────────────────

  private async runIvr(endpoint: CallingEndpoint | null, guestPin: boolean): Promise<void> {
    this.transition('ivr');
    const ivr = new PinIvr<ParticipantHandle<MediaRoomApi>>(
      {
        media: this.media!,
        clock: this.ctx.deps.clock,
        config: this.ctx.deps.config,
        join: async (pin) => {
          const attempt = await this.tryJoin(endpoint, pin, this.sdpKbps);
          return attempt.kind === 'joined' ? attempt : { kind: 'refused', code: attempt.code };
        },
        wrongPin: () => this.ctx.metrics.wrongPin(),
        refused: (code) => this.ctx.metrics.refused(code),
        assertLive: () => this.assertLive(),
      },
      { guestPin, inbandDtmf: this.session?.telephoneEventPayloadType == null },
    );
    this.ivr = ivr;
    const outcome = await ivr.run();
    this.ivr = null;
    if (outcome.kind === 'joined') {
      this.handle = outcome.handle;
      await this.takeGrant(outcome.handle);
      this.assertLive();
      return this.afterJoin();
    }
    for (const prompt of outcome.prompts) await this.media?.play(prompt).catch(() => undefined);
    await this.end(outcome.reason, { byeCause: outcome.cause, status: outcome.cause, ...(outcome.code ? { code: outcome.code } : {}) });
  }

  /** A key from any DTMF path. */
  private onKey(key: DtmfKey, method: DtmfMethod): void {
    if (method === 'sip_info') this.ctx.metrics.sipInfoDigit();
    if (isPinKey(key)) this.ivr?.key(key);
  }

  // ── in the meeting ──────────────────────────────────────────────────────────────────────────

  private async afterJoin(): Promise<void> {
    const handle = this.handle!;
    this.log.info({ participant: handle.participantId }, 'joined the meeting');
    this.cleanups.push(
      handle.events.on('removed', () => void this.end(CallEndReason.RemovedByHost, { byeCause: 200 })),
      handle.events.on('meetingEnded', (why) => void this.end(why === 'server_shutdown' ? CallEndReason.ServerShutdown : CallEndReason.MeetingEnded, { byeCause: 200 })),
      handle.events.on('left', () => void this.end(CallEndReason.MeetingEnded, { byeCause: 200, left: true })),
    );
    if ((await handle.state()) === 'lobby') {
      this.transition('lobby');
      const admitted = new Promise<void>((resolve) => this.cleanups.push(handle.events.on('admitted', () => resolve())));
      void this.media!.play('waiting_for_host', { loop: true });
      await admitted;
      this.assertLive();
      await this.media!.stopPlayback();
    }
    await this.enterRoom(handle);
  }

  private async enterRoom(handle: ParticipantHandle<MediaRoomApi>): Promise<void> {
    const media = this.media!;
    const withVideo = (this.video?.negotiated.length ?? 0) > 0;
    const { target, producerId, leg } = await attachCallerAudioLeg(handle, { audioLevelExtensionId: this.ctx.deps.config.audioLevelExtensionId, logger: this.log, mode: withVideo ? 'video' : 'audio-only' });
    this.leg = leg;
    this.assertLive();
    // Host mute pauses the producer in the SFU; the mixer must stop mixing the caller too.
    this.cleanups.push(
      leg.events.on('producerPaused', (id) => id === producerId && void media.setMuted(true).catch(() => undefined)),
      leg.events.on('producerResumed', (id) => id === producerId && void media.setMuted(false).catch(() => undefined)),
    );
    this.meetingAudio = await this.ctx.bridges.acquire(handle);
    if (this.state === 'ending' || this.state === 'ended') {
      this.meetingAudio.release();
      this.meetingAudio = null;
      throw new CallGone();
    }
    await media.joinRoom(this.meetingAudio.room, target, handle.participantId);
    if (withVideo && this.video) {
      // Video trouble never costs the call its audio.
      await this.video.enterMeeting(handle, leg).catch((err: unknown) => {
        if (this.state === 'ending' || this.state === 'ended') throw new CallGone();
        this.log.warn({ err }, 'caller video could not join the meeting; audio carries on');
      });
      this.assertLive();
    }
    this.transition('in_meeting');
    this.log.info({ participant: handle.participantId, codec: this.session?.codec.name }, 'caller audio is in the meeting');
  }

  // ── signalling and media events ─────────────────────────────────────────────────────────────

  private watchMedia(media: CallMedia): void {
    this.cleanups.push(
      media.events.on('dtmf', (e) => this.onKey(e.key, e.method)),
      media.events.on('inactive', (ms) => {
        this.log.info({ silentForMs: ms }, 'no media from the caller: hanging up');
        void this.end(CallEndReason.MediaTimeout, { byeCause: 408 });
      }),
      media.events.on('failed', (reason) => {
        this.log.error({ reason }, 'media failed');
        void this.end(CallEndReason.MediaFailed, { byeCause: 500, status: 500 });
      }),
    );
  }

  private watchDialog(dialog: Dialog): void {
    this.cleanups.push(
      dialog.events.on('terminated', (reason) => {
        if (reason === DialogEndReason.RemoteBye) void this.end(CallEndReason.CallerHungUp, {});
        else if (reason !== DialogEndReason.LocalBye) void this.end(CallEndReason.DialogFailed, {});
      }),
      dialog.events.on('ack', (ack) => this.onAck(ack)),
      dialog.events.on('request', (req) => this.onInDialogRequest(req)),
    );
  }

  private onAck(ack: SipRequest): void {
    if (!this.pendingOffer) return;
    const pending = this.pendingOffer;
    this.pendingOffer = null;
    let answered = applyAnswer(ack.body, pending);
    if (!answered.ok && answered.reason === 'answer_mismatch' && pending.video) {
      // An audio phone answering our video offer with its audio line only (not RFC 3264, but common): take the audio.
      const audioOnly = applyAnswer(ack.body, { ...pending, video: undefined });
      if (audioOnly.ok) answered = audioOnly;
    }
    if (!answered.ok) {
      this.log.info({ reason: answered.reason, warning: answered.warning }, 'the ACK carried no usable answer to our offer');
      void this.end(CallEndReason.Refused, { byeCause: 488, code: `sdp_${answered.reason}` });
      return;
    }
    this.session = answered.session;
    void this.media?.configure(answered.session).catch((err: unknown) => this.log.warn({ err }, 'media configure failed'));
    void this.video?.apply(answered.video).catch((err: unknown) => this.log.warn({ err }, 'video configure failed'));
  }

  /** re-INVITE / UPDATE (hold, resume, codec change, session refresh) and INFO (DTMF). Answered synchronously. */
  private onInDialogRequest(incoming: IncomingRequest): void {
    const req = incoming.request;
    if (req.method === 'INFO') {
      if (isMediaControl(req.get('Content-Type'))) {
        // RFC 5168 picture_fast_update: the caller wants a keyframe of what it receives.
        const status = this.video ? this.video.onMediaControlInfo(req.body.toString('utf8')) : 200;
        incoming.respond(status, status === 400 ? { reason: 'Bad Media Control Body' } : {});
        return;
      }
      const parsed = parseSipInfoDtmf(req.get('Content-Type'), req.body.toString('utf8'));
      if (parsed instanceof DtmfBodyError) {
        // Another INFO package (e.g. media control) is accepted and ignored; a broken DTMF body is refused.
        if (parsed.code === 'unsupported_content_type') incoming.respond(200);
        else incoming.respond(400, { reason: 'Bad DTMF Body' });
        return;
      }
      incoming.respond(200);
      this.onKey(parsed.key, 'sip_info');
      return;
    }
    if (req.method !== 'INVITE' && req.method !== 'UPDATE') return;
    if (!this.media) return;
    if (req.body.length === 0) {
      // Offerless re-INVITE: offer our current session again; the ACK answers it (RFC 3261 §14.2).
      if (req.method === 'INVITE') {
        this.origin = bump(this.origin);
        const sdp = this.reOffer();
        incoming.accept({ body: sdp });
        this.localSdp = sdp;
      }
      return;
    }
    const audioOnly = negotiateOffer(req.body, { transport: this.source.transport, previous: this.session, addressFamily: this.mediaFamily() });
    if (!audioOnly.ok) {
      incoming.respond(488, { headers: { Warning: audioOnly.warning } });
      return;
    }
    this.origin = bump(this.origin);
    // Answered at once (the dialog needs it synchronously): video on the m-lines whose sockets are open —
    // hold, resume, codec change and refreshes apply to video too; a video line new to the call gets port 0.
    const open = this.video?.openRoles() ?? new Set<'main' | 'slides'>();
    const n = open.size > 0 ? this.negotiate(req.body, this.capKbps, open) : audioOnly;
    // A video line new to a call without video: answered with port 0 now (the answer cannot wait for
    // sockets), then we offer video ourselves by re-INVITE once this transaction is ACKed.
    const videoAdded = req.method === 'INVITE' && open.size === 0 && n.ok && n.video.length === 0 && /^m=video [1-9]/m.test(req.body.toString('latin1'));
    const negotiated = n.ok ? n : audioOnly;
    const videoLocal = this.video?.openedAddresses() ?? {};
    const body = buildAnswer({ negotiated, local: this.media.local, origin: this.origin, videoLocal });
    incoming.accept({ body });
    this.localSdp = body;
    this.session = negotiated.session;
    this.log.info({ direction: negotiated.session.direction, codec: negotiated.session.codec.name, video: negotiated.video.map((v) => `${v.role}:${v.codec.name}:${v.direction}`) }, 'session updated');
    void this.media.configure(negotiated.session).catch((err: unknown) => this.log.warn({ err }, 'media configure failed'));
    void this.video?.apply(negotiated.video).catch((err: unknown) => this.log.warn({ err }, 'video configure failed'));
    const dialog = this.dialog;
    if (videoAdded && dialog && this.video && this.ctx.roomVideoCodecs.length > 0 && !this.addingVideo) {
      this.addingVideo = true;
      const off = dialog.events.on('ack', () => {
        off();
        void this.offerVideo().finally(() => (this.addingVideo = false));
      });
      this.cleanups.push(off);
    }
  }

  /**
   * The caller's re-offer added video we answered with port 0: offer it video (main) by re-INVITE.
   * Its answer decides; audio carries on either way. In the meeting, the call then joins the video fan-out.
   */
  private async offerVideo(): Promise<void> {
    const codecs = this.ctx.roomVideoCodecs;
    const dialog = this.dialog;
    if (!dialog || dialog.terminated || !this.video || this.video.negotiated.length > 0 || this.state === 'ending' || this.state === 'ended') return;
    try {
      const local = await this.video.prepare([{ role: 'main' }]);
      this.origin = bump(this.origin);
      const made = buildOffer({
        transport: this.source.transport,
        local: this.media!.local,
        origin: this.origin,
        srtp: this.session?.srtp != null || this.source.transport === 'tls',
        video: { codecs, callBitrateBps: this.capKbps * 1000, maxResolution: this.maxResolution, slides: false, local },
      });
      const res = await dialog.reinvite({ body: made.sdp });
      const answered = res.status === 200 ? applyAnswer(res.body, made.pending) : null;
      if (!answered || !answered.ok || answered.video.length === 0) {
        this.log.info({ status: res.status }, 'the caller took no video from our re-INVITE');
        await this.video.apply([]);
        return;
      }
      this.localSdp = made.sdp;
      this.session = answered.session;
      await this.media!.configure(answered.session);
      await this.video.apply(answered.video);
      this.log.info({ video: answered.video.map((v) => `${v.role}:${v.codec.name}`) }, 'video added by our re-INVITE');
      if (this.state === 'in_meeting' && this.handle && this.leg) await this.video.enterMeeting(this.handle, this.leg);
    } catch (err) {
      this.log.warn({ err }, 'adding video by re-INVITE failed; audio carries on');
      await this.video?.apply([]).catch(() => undefined);
    }
  }

  /** Our offer for an offerless re-INVITE (synchronous): audio, and video on the m-lines the call has open. */
  private reOffer(): string {
    const codecs = this.ctx.roomVideoCodecs;
    const local = this.video?.openedAddresses() ?? {};
    const video = codecs && codecs.length > 0 && local.main
      ? { codecs, callBitrateBps: this.capKbps * 1000, maxResolution: this.maxResolution, slides: local.slides !== undefined, local, previous: this.video?.negotiated ?? [] }
      : null;
    const made = buildOffer({ transport: this.source.transport, local: this.media!.local, origin: this.origin, srtp: this.session?.srtp != null || this.source.transport === 'tls', video });
    this.pendingOffer = made.pending;
    return made.sdp;
  }

  // ── the end ─────────────────────────────────────────────────────────────────────────────────

  private ending: Promise<void> | null = null;

  /**
   * Ends the call once, whatever asked first: BYE (after an answer) with a Reason, or a final
   * status (before one); leaves the meeting; frees media; records the call if it never joined.
   */
  private end(reason: CallEndReason, opts: { status?: number; byeCause?: number; code?: string; left?: boolean }): Promise<void> {
    if (this.ending) return this.ending;
    this.ending = (async () => {
      if (this.state !== 'ending') this.state = 'ending';
      this.endReason = opts.code ?? reason;
      this.ivr?.cancel();
      for (const off of this.cleanups.splice(0)) off();
      if (!this.incoming.answered) {
        const status = opts.status ?? 480;
        this.incoming.respond(status);
        this.finalStatus = status;
      } else if (this.finalStatus === null) {
        this.finalStatus = opts.status ?? 487;
      }
      const dialog = this.dialog;
      if (dialog && !dialog.terminated) {
        await dialog.bye(DialogEndReason.LocalBye, { reasonHeader: reasonHeader(opts.code ?? reason, opts.byeCause ?? 200) }).catch(() => undefined);
      }
      const handle = this.handle;
      if (handle && !opts.left) {
        await handle.leave(leaveReasonFor(reason)).catch((err: unknown) => this.log.warn({ err }, 'leave failed'));
      }
      this.meetingAudio?.release();
      this.meetingAudio = null;
      await this.video?.close().catch((err: unknown) => this.log.warn({ err }, 'video close failed'));
      await this.media?.close().catch(() => undefined);
      if (!handle) this.recordNeverJoined(reason, opts);
      this.state = 'ended';
      this.ctx.metrics.ended(reason);
      this.log.info({ reason, code: opts.code, status: this.finalStatus, participant: handle?.participantId }, 'call ended');
      this.ctx.onEnded(this);
    })();
    return this.ending;
  }

  private recordNeverJoined(reason: CallEndReason, opts: { status?: number; byeCause?: number; code?: string }): void {
    const status = this.finalStatus === 200 ? (opts.byeCause ?? 200) : (this.finalStatus ?? 480);
    this.ctx.deps.records.recordRefusedCall({
      callId: this.callId,
      kind: 'sip',
      room: this.room ? { meetingId: this.room.meetingId, companyId: this.room.companyId, roomAddress: this.room.roomAddress } : null,
      displayName: this.displayName,
      callerAddress: this.callerAddress,
      source: this.source.address,
      audioCodec: this.session?.codec.name ?? null,
      sipStatus: status,
      reason: opts.code ?? reason,
      startedAt: this.startedAt,
      endedAt: this.ctx.deps.clock.now(),
    });
  }

  private transition(next: CallState): void {
    if (this.state === next) return;
    if (!TRANSITIONS[this.state].includes(next)) {
      if (this.state === 'ending' || this.state === 'ended') throw new CallGone();
      throw new Error(`illegal call transition ${this.state} → ${next}`);
    }
    this.state = next;
  }

  /** After every await: stop the flow if the call ended meanwhile (CANCEL, BYE, drain). */
  private assertLive(): void {
    if (this.state === 'ending' || this.state === 'ended') throw new CallGone();
  }
}

function refusalCode(err: unknown): RefusalCode | null {
  if (err instanceof MeetingError) return err.code;
  return null;
}

/** The participant's leave reason for a call end reason. */
function leaveReasonFor(reason: CallEndReason): 'left' | 'removed_by_host' | 'meeting_ended' | 'connection_lost' | 'server_shutdown' {
  switch (reason) {
    case CallEndReason.RemovedByHost:
      return 'removed_by_host';
    case CallEndReason.MeetingEnded:
      return 'meeting_ended';
    case CallEndReason.ServerShutdown:
      return 'server_shutdown';
    case CallEndReason.MediaTimeout:
    case CallEndReason.DialogFailed:
    case CallEndReason.MediaFailed:
      return 'connection_lost';
    default:
      return 'left';
  }
}
