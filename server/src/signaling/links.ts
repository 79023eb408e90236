import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../common/src/index.js';
import type { MediaRoomApi } from '../../../sfu/src/index.js';
import { MeetingError, type ParticipantHandle } from '../meetings/index.js';
import type { JoinResult, NotificationData, NotificationName } from '../protocol/index.js';
import type { WebRtcLeg } from './webrtc-leg.js';

export const newResumeToken = (): string => randomBytes(24).toString('base64url');

/** Where a link's notifications go: the WebSocket session currently acting for the participant. */
export interface LinkChannel {
  notify<N extends NotificationName>(name: N, data: NotificationData[N]): void;
  /** Another connection resumed this participant: this one must stop acting for it. */
  replaced(): void;
}

/**
 * One participant as the WebSocket layer holds it: its meetings-API handle, its WebRTC leg, the
 * session acting for it now, and what to deliver when a dropped connection comes back.
 */
export class ParticipantLink {
  leg: WebRtcLeg | undefined;
  channel: LinkChannel | undefined;
  token: string;
  graceTimer: TimerHandle | undefined;
  /** Notifications queued while the socket is away (bounded), delivered on resume. */
  private readonly pending: { name: NotificationName; data: unknown }[] = [];
  private static readonly MAX_PENDING = 1000;

  constructor(
    readonly handle: ParticipantHandle<MediaRoomApi>,
    readonly bandwidthKbps: number,
    channel: LinkChannel,
    token: string,
  ) {
    this.channel = channel;
    this.token = token;
  }

  get participantId(): string {
    return this.handle.participantId;
  }

  notify<N extends NotificationName>(name: N, data: NotificationData[N]): void {
    if (this.channel) this.channel.notify(name, data);
    else if (this.pending.length < ParticipantLink.MAX_PENDING) this.pending.push({ name, data });
  }

  detach(): void {
    this.channel = undefined;
  }

  /** A resumed session takes over; what was queued meanwhile is delivered in order. */
  attach(channel: LinkChannel): void {
    const previous = this.channel;
    this.channel = channel;
    if (previous && previous !== channel) previous.replaced();
    for (const { name, data } of this.pending.splice(0)) channel.notify(name, data as never);
  }
}

/** The JoinResult a browser needs: the core's answer plus the router capabilities once joined. */
export async function webRtcJoinResult(handle: ParticipantHandle<MediaRoomApi>, result?: JoinResult): Promise<JoinResult> {
  const r = result ?? (await handle.joinResult());
  if (r.state !== 'joined') return r;
  const caps = await handle.readMediaRoom((room) => room.rtpCapabilities);
  return { ...r, routerRtpCapabilities: caps as unknown as Record<string, unknown> };
}

/**
 * Resume tokens and socket replacement: a dropped WebSocket keeps its participant for the grace
 * period (roster: reconnecting); a new socket with the token takes it over (tokens are single-use).
 */
export class ParticipantLinks {
  private readonly byToken = new Map<string, ParticipantLink>();

  constructor(
    private readonly deps: { clock: Clock; reconnectGraceMs: number; logger: Logger },
  ) {}

  /** Binds a joined participant to the connection that joined it (its hello token). */
  bind(handle: ParticipantHandle<MediaRoomApi>, bandwidthKbps: number, channel: LinkChannel, token: string): ParticipantLink {
    const link = new ParticipantLink(handle, bandwidthKbps, channel, token);
    this.byToken.set(token, link);
    handle.events.on('notification', (name, data) => link.notify(name, data as never));
    handle.events.on('admitted', (result) => {
      webRtcJoinResult(handle, result).then(
        (full) => link.notify('lobby.admitted', full),
        (err: unknown) => this.deps.logger.warn({ err, participant: handle.participantId }, 'admission answer failed'),
      );
    });
    handle.events.on('left', () => {
      link.graceTimer?.cancel();
      link.graceTimer = undefined;
      if (this.byToken.get(link.token) === link) this.byToken.delete(link.token);
    });
    return link;
  }

  /** The connection dropped: keep the participant for the grace period, then it leaves. */
  disconnected(link: ParticipantLink): void {
    if (this.byToken.get(link.token) !== link) return;
    link.detach();
    link.graceTimer?.cancel();
    link.graceTimer = this.deps.clock.setTimeout(() => {
      link.graceTimer = undefined;
      void link.handle.leave('connection_lost');
    }, this.deps.reconnectGraceMs);
    void link.handle.setConnected(false);
  }

  /** A new connection presents the resume token: it takes over the participant with a fresh token. */
  resume(token: string, channel: LinkChannel): ParticipantLink {
    const link = this.byToken.get(token);
    if (!link) throw new MeetingError('session_expired', 'that session is over; join again');
    link.graceTimer?.cancel();
    link.graceTimer = undefined;
    // Rotate the token so a leaked one is good for a single resume.
    this.byToken.delete(token);
    link.token = newResumeToken();
    this.byToken.set(link.token, link);
    link.attach(channel);
    void link.handle.setConnected(true);
    return link;
  }

  get size(): number {
    return this.byToken.size;
  }

  close(): void {
    for (const link of this.byToken.values()) link.graceTimer?.cancel();
  }
}
