/**
 * SipStack: the one object higher layers use. It wires transport → transaction → dialog, applies
 * the defences (rate limits, hosted domains, overload 503s, Require checks) before a request
 * reaches a handler, and dispatches new requests to one handler per method.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Emitter, systemClock, type Clock } from '../../../../common/src/index.js';
import { isSipUri, type SipRequest } from '../message/index.js';
import {
  DialogLayer,
  IncomingRequest,
  readSessionExpires,
  type Dialog,
  type OutgoingInvite,
  type OutgoingInviteOptions,
  type OutgoingRequestOptions,
} from '../dialog/index.js';
import { makeTimers, TransactionLayer, type Refusal, type ServerTransaction, type SipTimers } from '../transaction/index.js';
import { TransportLayer, type BoundTransport, type Flow, type HostPort, type TransportProtocol } from '../transport/index.js';
import { SipMetrics } from './metrics.js';
import { defaultLimits, type SipLimits, type SipStackOptions } from './options.js';
import { SourceRateLimiter } from './rate-limit.js';
import type { SipResponse } from '../message/index.js';

/** Handles one new out-of-dialog request. Answer with `req.respond()` / `req.accept()`; may be async. */
export type RequestHandler = (req: IncomingRequest) => void | Promise<void>;

export interface SipStackDeps {
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** Asked before a new call (out-of-dialog INVITE) is taken; a refusal answers 503 + Retry-After. */
  admission?: CallAdmission;
}

/**
 * The node's admission control as the SIP side sees it (the media workers' CPU, for instance):
 * `refusal()` returns why a new call must wait, or undefined when it may come in.
 */
export interface CallAdmission {
  refusal(): { retryAfterSeconds: number } | undefined;
}

/** Refusal reasons: stable names for logs and the `sip_requests_refused_total` label. */
export const RefusalReason = {
  RateLimited: 'rate_limited',
  NotHosted: 'not_hosted',
  Overloaded: 'overloaded',
  BadExtension: 'bad_extension',
  TooManyHops: 'too_many_hops',
  UnsupportedScheme: 'unsupported_scheme',
  SessionTooSmall: 'session_interval_too_small',
  /** The node's admission control (media CPU) refused a new call. */
  AdmissionRefused: 'admission',
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

export type SipStackEvents = {
  /** A dialog was created (either side). */
  dialog: [dialog: Dialog];
};

export class SipStack {
  readonly events = new Emitter<SipStackEvents>();
  readonly timers: SipTimers;
  readonly limits: SipLimits;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: SipMetrics;
  private readonly transport: TransportLayer;
  private readonly transactions: TransactionLayer;
  private readonly dialogs: DialogLayer;
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly hosted: Set<string>;
  private readonly supported: string[];
  private readonly rateLimiter: SourceRateLimiter;
  private readonly admission: CallAdmission | undefined;
  private pendingInvites = 0;
  private started = false;

  constructor(
    private readonly options: SipStackOptions,
    deps: SipStackDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger;
    this.admission = deps.admission;
    this.timers = makeTimers(options.timers);
    this.limits = { ...defaultLimits, ...options.limits };
    this.hosted = new Set(options.hostedDomains.map((d) => d.toLowerCase()));
    this.supported = options.supported ?? ['timer', 'path'];
    this.rateLimiter = new SourceRateLimiter(this.clock, this.limits.ratePerSecond, this.limits.rateBurst);
    this.metrics = new SipMetrics(deps.registry, { transactions: () => this.transactionCount, dialogs: () => this.dialogCount });
    this.transport = new TransportLayer(
      {
        listen: options.transports,
        tls: options.tls,
        limits: { maxMessageBytes: this.limits.maxMessageBytes, maxHeaders: this.limits.maxHeaders, maxLineLength: this.limits.maxLineLength },
        idleTimeoutMs: options.idleTimeoutMs,
        maxConnections: options.maxConnections,
        maxConnectionsPerAddress: options.maxConnectionsPerAddress,
        messageTimeoutMs: options.messageTimeoutMs,
        udpMaxRequestBytes: options.udpMaxRequestBytes,
        advertisedAddress: options.advertisedAddress,
        admitSource: (src) => this.admitSource(src),
        observer: {
          parseError: (code, transport) => this.metrics.parseErrors.inc({ code, transport }),
          connectionDropped: (reason, transport) => this.metrics.connectionsDropped.inc({ reason, transport }),
        },
      },
      this.logger,
    );
    this.transactions = new TransactionLayer(this.transport, {
      clock: this.clock,
      timers: this.timers,
      logger: this.logger,
      observer: this.metrics,
    });
    this.dialogs = new DialogLayer({
      transactions: this.transactions,
      clock: this.clock,
      timers: this.timers,
      logger: this.logger,
      supported: this.supported,
      allow: ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'UPDATE', 'INFO'],
      minSessionExpires: options.minSessionExpires ?? 90,
    }, (d) => this.events.emit('dialog', d));
    this.transactions.setUser({
      admit: (req, flow) => this.admit(req, flow),
      onRequest: (tx) => this.onRequest(tx),
      onAck: (ack) => this.dialogs.receiveAck(ack),
      onStrayResponse: (res) => this.dialogs.receiveStray2xx(res),
    });
  }

  // ------------------------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    await this.transport.start();
    this.started = true;
    this.logger.info({ transports: this.transport.transports.map((t) => `${t.protocol}:${t.local.address}:${t.local.port}`) }, 'SIP stack listening');
  }

  /** Stops transactions, dialogs (BYE when `sendBye`) and transports. Safe to call twice. */
  async stop(opts: { sendBye?: boolean } = {}): Promise<void> {
    if (!this.started) return;
    await this.dialogs.stop(opts.sendBye ?? false);
    this.transactions.stop();
    await this.transport.stop();
    this.started = false;
  }

  /** Bound transports with their actual ports (port 0 resolved). */
  get transports(): BoundTransport[] {
    return this.transport.transports;
  }

  /** Advertised address of our transport for a protocol and family. */
  localEndpoint(protocol: TransportProtocol, family: 4 | 6 = 4): HostPort | undefined {
    return this.transport.localEndpoint(protocol, family);
  }

  get transactionCount(): number {
    return this.transactions.size;
  }

  get dialogCount(): number {
    return this.dialogs.size;
  }

  /** Open TCP/TLS connections. */
  get connectionCount(): number {
    return this.transport.connectionCount;
  }

  // ----------------------------------------------------------------------------------- UAS

  /** Registers the handler for new requests of one method (replacing any previous one). */
  handle(method: string, handler: RequestHandler): void {
    this.handlers.set(method.toUpperCase(), handler);
  }

  private admitSource(src: HostPort): boolean {
    if (this.rateLimiter.take(src.address)) return true;
    this.metrics.refused.inc({ reason: RefusalReason.RateLimited });
    return false;
  }

  private refuse(reason: RefusalReason, refusal: Refusal): Refusal {
    this.metrics.refused.inc({ reason });
    return refusal;
  }

  private admit(req: SipRequest, flow: Flow): Refusal | undefined {
    const retryAfter = { 'Retry-After': String(this.limits.retryAfterSeconds) };
    if (req.toTag !== undefined) {
      // In-dialog requests keep established calls working under load; only a hard ceiling applies.
      if (this.transactions.serverCount >= this.limits.maxServerTransactions * 2) {
        return this.refuse(RefusalReason.Overloaded, { status: 503, headers: retryAfter });
      }
      return undefined;
    }
    if (!isSipUri(req.uri)) return this.refuse(RefusalReason.UnsupportedScheme, { status: 416 });
    if (req.maxForwards === 0 && req.method !== 'OPTIONS') return this.refuse(RefusalReason.TooManyHops, { status: 483 });
    if (!this.isHosted(req.uri.host) && !this.options.domainCheckedByHandler?.includes(req.method)) {
      this.logger.debug({ callId: req.callId, method: req.method }, 'request for a domain we do not host');
      return this.refuse(RefusalReason.NotHosted, { status: req.method === 'REGISTER' ? 403 : 404 });
    }
    const unsupported = req.optionTags('Require').filter((t) => !this.supported.includes(t));
    if (unsupported.length > 0) return this.refuse(RefusalReason.BadExtension, { status: 420, headers: { Unsupported: unsupported.join(', ') } });
    if (this.transactions.serverCount >= this.limits.maxServerTransactions) {
      return this.refuse(RefusalReason.Overloaded, { status: 503, headers: retryAfter });
    }
    if (req.method === 'INVITE' && this.dialogs.size + this.pendingInvites >= this.limits.maxDialogs) {
      return this.refuse(RefusalReason.Overloaded, { status: 503, headers: retryAfter });
    }
    if (req.method === 'INVITE') {
      const overloaded = this.admission?.refusal();
      if (overloaded) {
        return this.refuse(RefusalReason.AdmissionRefused, { status: 503, headers: { 'Retry-After': String(overloaded.retryAfterSeconds) } });
      }
      return this.checkSessionInterval(req);
    }
    void flow;
    return undefined;
  }

  /** RFC 4028 §9: a Session-Expires below our Min-SE is refused with 422 naming our minimum. */
  private checkSessionInterval(req: SipRequest): Refusal | undefined {
    const se = readSessionExpires(req);
    const minSE = this.options.minSessionExpires ?? 90;
    if (se && se.seconds < minSE) return this.refuse(RefusalReason.SessionTooSmall, { status: 422, headers: { 'Min-SE': String(minSE) } });
    return undefined;
  }

  /** Whether `host` is one of the configured hosted domains or (unless disabled) one of our own addresses. */
  isHosted(host: string): boolean {
    const h = host.toLowerCase();
    if (this.hosted.has(h)) return true;
    if (this.options.acceptOwnAddresses === false || isIP(h) === 0) return false;
    return this.transport.transports.some((t) => t.local.address === h || this.transport.sentBy(t).address === h);
  }

  private onRequest(tx: ServerTransaction): void {
    const req = tx.request;
    if (req.toTag !== undefined) {
      // Same guards as for new requests: a listener that never answers cannot pin a transaction.
      if (req.method === 'INVITE') this.trackPendingInvite(tx, false);
      else this.guardUnanswered(tx);
      this.dialogs.receiveInDialog(tx);
      return;
    }
    const log = this.logger.child({ callId: req.callId });
    log.debug({ method: req.method, from: tx.flow.remote.address }, 'new request');
    const incoming = new IncomingRequest(tx, this.dialogs);
    if (req.method === 'INVITE') this.trackPendingInvite(tx);
    else this.guardUnanswered(tx);
    const handler = this.handlers.get(req.method);
    if (!handler) {
      if (req.method === 'OPTIONS') {
        incoming.respond(200, {
          headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO', Accept: 'application/sdp', Supported: this.supported.join(', ') },
        });
      } else {
        incoming.respond(405, { headers: { Allow: ['OPTIONS', ...this.handlers.keys()].join(', ') } });
      }
      return;
    }
    const onError = (err: unknown) => {
      // Never leak the error to the peer: log it, answer a bare 500.
      log.error({ err: err instanceof Error ? err.message : String(err), method: req.method }, 'request handler failed');
      if (!incoming.answered) incoming.respond(500);
    };
    try {
      void Promise.resolve(handler(incoming)).catch(onError);
    } catch (err) {
      onError(err);
    }
    incoming.events.on('cancel', () => log.debug('INVITE cancelled by caller'));
  }

  /** Counts an INVITE being answered against the dialog cap (`counts`) and bounds its ringing time. */
  private trackPendingInvite(tx: ServerTransaction, counts = true): void {
    if (counts) this.pendingInvites++;
    let counted = counts;
    const ring = this.clock.setTimeout(() => {
      if (!tx.finalSent && !tx.terminated) tx.respond(tx.makeResponse(480));
    }, this.limits.maxRingSeconds * 1000);
    const release = () => {
      ring.cancel();
      if (counted) this.pendingInvites--;
      counted = false;
    };
    tx.events.once('final', release);
    tx.events.once('terminated', release);
  }

  /** A non-INVITE the handler never answers would hold its transaction forever: answer 500 at Timer F. */
  private guardUnanswered(tx: ServerTransaction): void {
    const timer = this.clock.setTimeout(() => {
      if (!tx.finalSent && !tx.terminated) tx.respond(tx.makeResponse(500));
    }, this.timers.F);
    tx.events.once('final', () => timer.cancel());
    tx.events.once('terminated', () => timer.cancel());
  }

  // ----------------------------------------------------------------------------------- UAC

  /** Sends an INVITE; see OutgoingInvite for provisional events, cancel() and the result. */
  invite(opts: OutgoingInviteOptions): OutgoingInvite {
    return this.dialogs.invite(opts);
  }

  /** Sends an out-of-dialog non-INVITE request (OPTIONS, MESSAGE, REGISTER, ...); resolves with the final response. */
  request(method: string, opts: OutgoingRequestOptions): Promise<SipResponse> {
    return this.dialogs.request(method, opts);
  }
}
