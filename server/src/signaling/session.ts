import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { systemClock, type Clock, type TimerHandle } from '../../../common/src/index.js';
import { DomainError } from '../errors.js';
import {
  isRequestMethod,
  requestEnvelope,
  requestSchemas,
  type NotificationData,
  type NotificationName,
  type RequestMethod,
} from '../protocol/index.js';
import { noTurn, type IceConfigSource } from '../turn/index.js';
import type { SignalingConfig } from './config.js';
import type { Handler, HandlerContext, SessionState, SignalingMeetings } from './context.js';
import { newResumeToken, type LinkChannel, type ParticipantLink, type ParticipantLinks } from './links.js';
import { hostHandlers } from './handlers/host.js';
import { mediaHandlers } from './handlers/media.js';
import { meetingHandlers } from './handlers/meeting.js';
import { sessionHandlers } from './handlers/session.js';
import { TokenBucket } from './rate-limiter.js';

const handlers = { ...sessionHandlers, ...mediaHandlers, ...meetingHandlers, ...hostHandlers };

export interface SessionObserver {
  requestHandled(method: string, outcome: 'ok' | string): void;
  protocolError(code: string): void;
}

type RequestId = string | number | null;

/**
 * One WebSocket = one Session. It speaks the protocol (hello first, then requests), enforces
 * size and rate limits, validates every message, and is its participant's notification channel.
 * Nothing a client sends can throw past `onMessage`.
 */
export class Session implements SessionState, LinkChannel {
  readonly sessionId = randomUUID();
  link: ParticipantLink | undefined;
  resumeToken = '';
  pinFailures = 0;
  readonly logger: Logger;
  private helloDone = false;
  private closing: string | undefined;
  private readonly bucket: TokenBucket;
  private readonly helloTimer: TimerHandle;
  private alive = true;
  /** Requests run one after another per connection, so a client sees effects in order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ws: WebSocket,
    readonly source: string,
    private readonly meetings: SignalingMeetings,
    private readonly links: ParticipantLinks,
    private readonly config: SignalingConfig,
    logger: Logger,
    private readonly observer: SessionObserver,
    /** TURN servers and credentials handed out at hello. */
    private readonly iceConfig: IceConfigSource = noTurn,
    private readonly clock: Clock = systemClock,
  ) {
    this.logger = logger.child({ session: this.sessionId });
    this.bucket = new TokenBucket(config.ratePerSecond, config.burst, () => clock.now());
    this.helloTimer = clock.setTimeout(() => this.close(4000, 'hello_timeout'), config.helloTimeoutMs);
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.logger.debug({ err }, 'socket error'));
  }

  get channel(): LinkChannel {
    return this;
  }

  /** Called by the server's ping timer; a socket that missed the last pong is dropped. */
  heartbeat(): void {
    if (!this.alive) {
      this.logger.info('no pong; dropping connection');
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  notify<N extends NotificationName>(name: N, data: NotificationData[N]): void {
    this.send({ notification: name, data });
    // Removal and meeting end are the last word on this connection.
    if (name === 'you.removed' || name === 'meeting.ended') this.closeAfterResponse(name);
  }

  replaced(): void {
    this.link = undefined;
    this.send({ notification: 'session.closing', data: { reason: 'replaced' } });
    this.closeAfterResponse('replaced');
  }

  closeAfterResponse(reason: string): void {
    if (this.closing) return;
    this.closing = reason;
    // Let queued frames flush before closing.
    setImmediate(() => this.close(1000, reason));
  }

  private send(msg: unknown): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private error(id: RequestId, err: DomainError): void {
    this.send({ id, ok: false, error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
  }

  private close(code: number, reason: string): void {
    this.helloTimer.cancel();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private onMessage(raw: RawData, isBinary: boolean): void {
    const size = Array.isArray(raw) ? raw.reduce((n, b) => n + b.length, 0) : raw instanceof ArrayBuffer ? raw.byteLength : raw.length;
    if (size > this.config.maxMessageBytes) {
      this.observer.protocolError('message_too_large');
      return this.error(null, new DomainError('message_too_large', `messages are limited to ${this.config.maxMessageBytes} bytes`));
    }
    if (!this.bucket.take()) {
      this.observer.protocolError('rate_limited');
      return this.error(null, new DomainError('rate_limited', 'too many messages; slow down'));
    }
    if (isBinary) {
      this.observer.protocolError('bad_message');
      return this.error(null, new DomainError('bad_message', 'binary messages are not part of the protocol'));
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(raw as Buffer[]).toString('utf8'));
    } catch {
      this.observer.protocolError('bad_message');
      return this.error(null, new DomainError('bad_message', 'not valid JSON'));
    }
    const envelope = requestEnvelope.safeParse(parsed);
    if (!envelope.success) {
      this.observer.protocolError('bad_message');
      const id = typeof parsed === 'object' && parsed !== null && 'id' in parsed ? (parsed as { id: unknown }).id : null;
      return this.error(typeof id === 'string' || typeof id === 'number' ? id : null, new DomainError('bad_message', 'expected { id, method, data }'));
    }
    const { id, method, data } = envelope.data;
    this.queue = this.queue.then(() => this.handle(id, method, data ?? {}));
  }

  private async handle(id: string | number, method: string, data: unknown): Promise<void> {
    if (this.closing) return;
    try {
      if (!isRequestMethod(method)) throw new DomainError('unknown_method', `no such method: ${method}`);
      const parsed = requestSchemas[method].safeParse(data);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        throw new DomainError(
          method === 'hello' && issues.some((i) => i.path === 'protocolVersion') ? 'protocol_version_unsupported' : 'bad_message',
          `invalid ${method}: ${issues.map((i) => `${i.path || '(data)'} ${i.message}`).join('; ')}`,
          { issues },
        );
      }
      let result: unknown;
      if (method === 'hello') {
        result = await this.hello(parsed.data as { protocolVersion: 1; resumeToken?: string });
      } else {
        if (!this.helloDone) throw new DomainError('hello_required', 'the first message must be hello');
        const handler = handlers[method] as Handler<RequestMethod> | undefined;
        if (!handler) throw new DomainError('unknown_method', `no such method: ${method}`);
        const ctx: HandlerContext = { session: this, meetings: this.meetings, links: this.links };
        result = await handler(ctx, parsed.data as never);
      }
      this.send({ id, ok: true, data: result });
      this.observer.requestHandled(method, 'ok');
    } catch (err) {
      const domain = toDomainError(err);
      if (domain.code === 'internal') this.logger.error({ err, method }, 'request failed');
      else this.logger.debug({ code: domain.code, method }, 'request refused');
      this.observer.requestHandled(isRequestMethod(method) ? method : 'unknown', domain.code);
      this.error(id, domain);
    }
  }

  private async hello(data: { protocolVersion: 1; resumeToken?: string }) {
    if (this.helloDone) throw new DomainError('bad_message', 'hello was already sent');
    this.helloTimer.cancel();
    if (data.resumeToken) {
      const link = this.links.resume(data.resumeToken, this);
      this.link = link;
      this.resumeToken = link.token;
      this.helloDone = true;
      this.logger.info({ participant: link.participantId, room: link.handle.meetingId }, 'session resumed');
      return {
        sessionId: this.sessionId,
        resumeToken: link.token,
        resumed: true,
        participant: await link.handle.view(),
        meeting: await link.handle.meeting(),
        ...this.iceConfig(this.sessionId),
      };
    }
    this.helloDone = true;
    this.resumeToken = newResumeToken();
    return { sessionId: this.sessionId, resumeToken: this.resumeToken, resumed: false, ...this.iceConfig(this.sessionId) };
  }

  private onClose(): void {
    this.helloTimer.cancel();
    const link = this.link;
    if (!link || link.channel !== this) return;
    if (this.closing === 'left' || this.closing === 'too_many_pin_attempts') return;
    // The socket dropped without a leave: keep the seat for the grace period.
    this.links.disconnected(link);
  }

  /** Server shutdown: say why, then close. */
  shutdown(): void {
    this.send({ notification: 'session.closing', data: { reason: 'server_shutdown' } });
    this.close(1001, 'server_shutdown');
  }
}

/** Anything thrown becomes a DomainError; media errors keep their message, internals do not leak. */
function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  if (err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && err.name !== 'Error') {
    return new DomainError('media_error', err.message);
  }
  if (err instanceof Error && /^(TypeError|InvalidStateError|UnsupportedError)$/.test(err.name)) {
    // mediasoup's validation of client-supplied RTP/DTLS parameters.
    return new DomainError('media_error', err.message);
  }
  return new DomainError('internal', 'internal error');
}
