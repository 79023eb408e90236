import type { JoinMode, JoinResult, NotificationData } from '../../../server/src/protocol/index.js';
import type { PROTOCOL_VERSION } from '../../../server/src/protocol/index.js';
import { Emitter } from '../../../common/src/emitter.js';
import { MediaSession, type IceSettings, type RemoteStats, type SendStats } from '../media/index.js';
import { SignalingClient, SignalingError, errorMessage, leaveReasonMessage, type WebSocketLike } from '../signaling/index.js';
import { MeetingState } from './state.js';

export interface JoinRequest {
  address: string;
  displayName: string;
  pin?: string;
  /** From a "start my meeting" link: joins the owner as host without a PIN. */
  hostToken?: string;
  mode: JoinMode;
  bandwidthKbps: number;
}

// A value import of the protocol module would bundle zod; the type still fails the check if the server bumps it.
const PROTOCOL: typeof PROTOCOL_VERSION = 1;

/** The server keeps a dropped session this long; we stop trying a little before it ends. */
const RESUME_GRACE_MS = 28_000;
const RESUME_RETRY_MS = 1_000;

const STATE_NOTIFICATIONS = [
  'roster.joined',
  'roster.updated',
  'roster.left',
  'lobby.changed',
  'speaker.active',
  'presentation.changed',
  'meeting.locked',
  'you.promoted',
  'chat.message',
] as const satisfies ReadonlyArray<keyof NotificationData>;

/**
 * Runs one meeting visit: signalling session, join/lobby, media setup, notifications into
 * state and media, user actions, and session resume after a dropped socket.
 */
export class MeetingController {
  readonly state = new MeetingState();
  /** `toast`: a short message for the user; `media`: media session created or closed. */
  readonly events = new Emitter<{ toast: [string]; media: [] }>();
  readonly signaling: SignalingClient;
  media: MediaSession | null = null;
  private request: JoinRequest | null = null;
  private resumeToken: string | null = null;
  private leaving = false;
  /** TURN servers and policy from the last hello. */
  private ice: IceSettings = { iceServers: [], iceTransportPolicy: 'all' };

  /** `forceRelay`: use TURN-relayed candidates only, whatever the server says (the page's ?relay=1). */
  constructor(
    wsUrl: string,
    createSocket?: (url: string) => WebSocketLike,
    private readonly options: { forceRelay?: boolean } = {},
  ) {
    this.signaling = new SignalingClient({ url: wsUrl, ...(createSocket ? { createSocket } : {}) });
    for (const name of STATE_NOTIFICATIONS) {
      this.signaling.notifications.on(name, (data) => this.state.apply(name, data));
    }
    const n = this.signaling.notifications;
    n.on('consumer.added', (c) => {
      this.media?.addConsumer(c).catch((err) => console.warn('consume failed', err));
    });
    n.on('consumer.closed', ({ consumerId }) => this.media?.removeConsumer(consumerId));
    n.on('consumer.paused', ({ consumerId }) => this.media?.setConsumerPaused(consumerId, true));
    n.on('consumer.resumed', ({ consumerId }) => this.media?.setConsumerPaused(consumerId, false));
    n.on('presentation.changed', ({ presenterId, previousPresenterId }) => {
      const me = this.state.participantId;
      // A new presenter took over: the server closed our screen producer; stop the capture too.
      if (me && previousPresenterId === me && presenterId !== me) {
        void this.media?.stopScreen(false);
        if (presenterId) this.toast('Someone else started presenting, so your screen share stopped.');
      }
    });
    n.on('you.muted', () => {
      this.media?.mutedByHost();
      this.toast('A host muted your microphone.');
    });
    n.on('you.promoted', ({ role }) => {
      if (role === 'host') this.toast('You are now a host.');
    });
    n.on('you.removed', ({ reason }) => this.end(leaveReasonMessage(reason)));
    n.on('meeting.ended', ({ reason }) =>
      this.end(reason === 'server_shutdown' ? leaveReasonMessage('server_shutdown') : 'The host ended the meeting.'),
    );
    n.on('session.closing', () => this.toast('The server is closing this connection.'));
    n.on('lobby.admitted', (result) => {
      if (!this.request) return;
      this.state.applyJoin(result, this.request.mode);
      this.toast('A host let you in.');
      void this.startMedia(result);
    });
    this.signaling.lifecycle.on('closed', () => void this.onConnectionLost());
  }

  /** Connects, says hello and joins. Throws a SignalingError (with a code) when refused. */
  async join(req: JoinRequest): Promise<void> {
    this.request = req;
    this.leaving = false;
    this.state.setPhase('connecting', null);
    try {
      await this.signaling.connect();
      const hello = await this.signaling.request('hello', { protocolVersion: PROTOCOL });
      this.resumeToken = hello.resumeToken;
      this.setIce(hello);
      const result = await this.signaling.request('join', {
        address: req.address,
        displayName: req.displayName,
        ...(req.pin ? { pin: req.pin } : {}),
        ...(req.hostToken ? { hostToken: req.hostToken } : {}),
        mode: req.mode,
        bandwidthKbps: req.bandwidthKbps,
      });
      this.state.applyJoin(result, req.mode);
      if (result.state === 'joined') await this.startMedia(result);
    } catch (err) {
      this.leaving = true;
      this.signaling.close();
      this.state.setPhase('join', null);
      throw err;
    }
  }

  async leave(): Promise<void> {
    this.leaving = true;
    await this.signaling.request('leave', {}, 3_000).catch(() => undefined);
    this.end(leaveReasonMessage('left'));
  }

  // ---- user actions (errors surface as toasts) ----

  async toggleMic(): Promise<void> {
    const media = this.media;
    if (!media) return;
    await this.guard(async () => {
      if (!media.hasProducer('mic')) await media.startMic();
      else await media.setPaused('mic', media.isActive('mic'));
    });
  }

  async toggleCamera(): Promise<void> {
    const media = this.media;
    if (!media) return;
    await this.guard(async () => {
      if (!media.hasProducer('camera')) await media.startCamera();
      else await media.setPaused('camera', media.isActive('camera'));
    });
  }

  async toggleScreen(): Promise<void> {
    const media = this.media;
    if (!media) return;
    await this.guard(() => (media.hasProducer('screen') ? media.stopScreen() : media.startScreen()));
  }

  async setHand(raised: boolean): Promise<void> {
    await this.guard(() => this.signaling.request('hand.set', { raised }));
  }

  async sendChat(text: string): Promise<boolean> {
    return this.guard(() => this.signaling.request('chat.send', { text }));
  }

  async muteParticipant(participantId?: string): Promise<void> {
    await this.guard(async () => {
      const { muted } = await this.signaling.request('host.mute', participantId ? { participantId } : {});
      if (!participantId) this.toast(muted === 1 ? 'Muted 1 participant.' : `Muted ${muted} participants.`);
    });
  }

  async disconnectParticipant(participantId: string): Promise<void> {
    await this.guard(() => this.signaling.request('host.disconnect', { participantId }));
  }

  async admit(participantId: string): Promise<void> {
    await this.guard(() => this.signaling.request('host.admit', { participantId }));
  }

  async promote(participantId: string): Promise<void> {
    await this.guard(() => this.signaling.request('host.promote', { participantId }));
  }

  async setLocked(locked: boolean): Promise<void> {
    await this.guard(() => this.signaling.request('host.lock', { locked }));
  }

  async endMeeting(): Promise<void> {
    await this.guard(() => this.signaling.request('host.end', {}));
  }

  async stats(): Promise<Record<string, RemoteStats>> {
    return this.media ? this.media.stats() : {};
  }

  async sendStats(): Promise<SendStats> {
    return this.media ? this.media.sendStats() : { audioBytesSent: 0, videoBytesSent: 0 };
  }

  // ---- internals ----

  private setIce(hello: Partial<IceSettings>): void {
    this.ice = {
      iceServers: hello.iceServers ?? [],
      iceTransportPolicy: this.options.forceRelay ? 'relay' : (hello.iceTransportPolicy ?? 'all'),
    };
  }

  private async startMedia(result: JoinResult): Promise<void> {
    const req = this.request;
    if (!req || !result.routerRtpCapabilities) return;
    this.media?.close();
    // The server's answer, not our choice: our organisation may have capped it, and the SFU drops
    // what goes over it, so encode for what applies.
    const media = new MediaSession(this.signaling, req.mode, result.bandwidth.kbps, this.ice, result.bandwidth.maxVideoHeight);
    this.media = media;
    this.events.emit('media');
    try {
      await media.start(result.routerRtpCapabilities);
    } catch (err) {
      this.toast(`Media could not be set up: ${describe(err)}`);
      return;
    }
    // Each device separately: a missing camera must not cost the microphone.
    await this.guard(() => media.startMic());
    if (req.mode === 'video') await this.guard(() => media.startCamera());
  }

  /** The socket dropped without us leaving: resume the session within the grace period. */
  private async onConnectionLost(): Promise<void> {
    const token = this.resumeToken;
    const previous = this.state.phase;
    // Only an established visit resumes; a drop during join fails that join instead.
    if (this.leaving || !token || (previous !== 'joined' && previous !== 'lobby')) return;
    this.state.setPhase('reconnecting', 'Connection lost. Reconnecting…');
    const deadline = Date.now() + RESUME_GRACE_MS;
    // Bounded: at most RESUME_GRACE_MS / RESUME_RETRY_MS attempts.
    while (Date.now() < deadline && !this.leaving) {
      try {
        await this.signaling.connect();
        const hello = await this.signaling.request('hello', { protocolVersion: PROTOCOL, resumeToken: token });
        this.resumeToken = hello.resumeToken;
        if (!hello.resumed) throw new SignalingError('session_expired', 'Session not resumed.');
        this.setIce(hello);
        if (hello.meeting) this.state.meeting = { ...hello.meeting };
        if (hello.participant) this.state.roster.set(hello.participant.id, hello.participant);
        this.state.setPhase(previous === 'lobby' ? 'lobby' : 'joined', null);
        await this.media?.restartIce(this.ice.iceServers);
        this.toast('Reconnected.');
        return;
      } catch (err) {
        if (err instanceof SignalingError && err.code === 'session_expired') {
          this.end(errorMessage('session_expired'));
          return;
        }
        await new Promise((r) => setTimeout(r, RESUME_RETRY_MS));
      }
    }
    if (!this.leaving) this.end(errorMessage('session_expired'));
  }

  private end(notice: string): void {
    this.leaving = true;
    this.media?.close();
    this.media = null;
    this.events.emit('media');
    this.signaling.close();
    this.state.setPhase('ended', notice);
  }

  private async guard(fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (err) {
      this.toast(describe(err));
      return false;
    }
  }

  private toast(message: string): void {
    this.events.emit('toast', message);
  }
}

function describe(err: unknown): string {
  if (err instanceof SignalingError) return errorMessage(err.code, err.details);
  return err instanceof Error ? err.message : String(err);
}
