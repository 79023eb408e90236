/**
 * The transport layer: owns every bound transport, turns bytes into parsed messages for the layer
 * above, stamps Via received/rport on requests (RFC 3581), sends requests (falling back from UDP to
 * TCP for large ones, RFC 3261 §18.1.1) and sends responses along the path of §18.2.2.
 * Malformed requests are answered 400 here, statelessly, when enough headers survived.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import {
  defaultParserLimits,
  formatVia,
  parseMessage,
  serializeMessage,
  SipResponse,
  type ParseFailure,
  type ParserLimits,
  type SipMessage,
  type SipRequest,
} from '../message/index.js';
import { TransportError, TransportErrorCode } from './errors.js';
import { StreamTransport, type StreamConnection, type StreamDropReason } from './stream.js';
import { UdpTransport } from './udp.js';
import {
  defaultPort,
  type BoundTransport,
  type Endpoint,
  type Flow,
  type HostPort,
  type ListenSpec,
  type TlsOptions,
  type TransportProtocol,
  type TransportUser,
} from './types.js';

export interface TransportLayerOptions {
  listen: ListenSpec[];
  tls?: TlsOptions;
  limits?: ParserLimits;
  /** Close TCP/TLS connections idle this long (default 5 min). */
  idleTimeoutMs?: number;
  /** Inbound TCP/TLS connections accepted per listener (default 10,000); more are refused by the OS accept. */
  maxConnections?: number;
  /** Inbound TCP/TLS connections open at once from one source address (IPv6: /64) (default 32); more are closed at once. */
  maxConnectionsPerAddress?: number;
  /** A TCP/TLS message must be complete within this time of its first byte, or the connection closes (default 10 s). */
  messageTimeoutMs?: number;
  /** Requests larger than this go over TCP when a TCP transport exists (RFC 3261 §18.1.1: MTU - 200). */
  udpMaxRequestBytes?: number;
  /** Checked before parsing anything from a source; false drops the input (rate limiting). */
  admitSource?: (source: HostPort, protocol: TransportProtocol) => boolean;
  /** Address written into Via/Contact instead of the bound one (e.g. when bound to 0.0.0.0). */
  advertisedAddress?: { 4?: string; 6?: string };
  /** Monitoring hook for input that failed to parse or frame. */
  observer?: {
    parseError(code: string, protocol: TransportProtocol, answered: boolean): void;
    /** A TCP/TLS connection refused (per-address cap) or closed (message deadline) by a defence. */
    connectionDropped?(reason: StreamDropReason, protocol: TransportProtocol): void;
  };
}

export class TransportLayer {
  private readonly udp: UdpTransport[] = [];
  private readonly streams: StreamTransport[] = [];
  private user: TransportUser | undefined;
  private readonly limits: ParserLimits;

  constructor(
    private readonly opts: TransportLayerOptions,
    private readonly logger: Logger,
  ) {
    this.limits = opts.limits ?? defaultParserLimits;
  }

  setUser(user: TransportUser): void {
    this.user = user;
  }

  get transports(): BoundTransport[] {
    return [...this.udp, ...this.streams];
  }

  /** Open TCP/TLS connections (for tests and metrics). */
  get connectionCount(): number {
    return this.streams.reduce((n, s) => n + s.connectionCount, 0);
  }

  async start(): Promise<void> {
    const onError = (err: Error) => this.logger.warn({ err: err.message }, 'transport socket error');
    for (const spec of this.opts.listen) {
      if (spec.protocol === 'udp') {
        const t = new UdpTransport(spec.host, spec.port, (data, remote, local) => this.onDatagram(t, data, remote, local), onError);
        await t.start();
        this.udp.push(t);
      } else {
        const t: StreamTransport = new StreamTransport(
          spec.protocol,
          spec.host,
          spec.port,
          this.limits,
          {
            idleTimeoutMs: this.opts.idleTimeoutMs ?? 300_000,
            maxConnections: this.opts.maxConnections ?? 10_000,
            maxConnectionsPerAddress: this.opts.maxConnectionsPerAddress ?? 32,
            messageTimeoutMs: this.opts.messageTimeoutMs ?? 10_000,
          },
          this.opts.tls,
          {
            onMessage: (bytes, conn) => this.onStreamMessage(t, bytes, conn),
            onFramingError: (error, conn) => {
              this.opts.observer?.parseError(error.code, t.protocol, false);
              this.user?.onParseError?.({ ok: false, error }, this.streamFlow(t, conn), false);
            },
            onError,
            onDropped: (reason) => this.opts.observer?.connectionDropped?.(reason, spec.protocol),
          },
        );
        await t.start();
        this.streams.push(t);
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.udp, ...this.streams].map((t) => t.stop()));
    this.udp.length = 0;
    this.streams.length = 0;
  }

  // ----------------------------------------------------------------------------------- inbound

  private onDatagram(t: UdpTransport, data: Buffer, remote: HostPort, local: HostPort): void {
    // A bare CRLF datagram is a keep-alive; nothing to parse.
    if (data.length <= 4 && data.toString('latin1').trim() === '') return;
    if (this.opts.admitSource && !this.opts.admitSource(remote, 'udp')) return;
    const flow: Flow = { protocol: 'udp', local, remote };
    this.deliver(parseMessage(data, this.limits), flow, (bytes) => t.send(bytes, remote));
  }

  private onStreamMessage(t: StreamTransport, bytes: Buffer, conn: StreamConnection): void {
    if (this.opts.admitSource && !this.opts.admitSource(conn.remote, t.protocol)) return;
    this.deliver(parseMessage(bytes, this.limits), this.streamFlow(t, conn), (b) => conn.write(b));
  }

  private streamFlow(t: StreamTransport, conn: StreamConnection): Flow {
    return { protocol: t.protocol, local: conn.local, remote: conn.remote, connectionId: conn.id };
  }

  private deliver(result: ReturnType<typeof parseMessage>, flow: Flow, reply: (b: Buffer) => Promise<void>): void {
    if (!result.ok) {
      const answered = this.answerBadRequest(result, reply);
      this.logger.debug({ code: result.error.code, remote: flow.remote.address }, 'SIP parse error');
      this.opts.observer?.parseError(result.error.code, flow.protocol, answered);
      this.user?.onParseError?.(result, flow, answered);
      return;
    }
    const msg = result.message;
    try {
      if (msg.kind === 'request') stampReceived(msg, flow.remote);
      this.user?.onMessage(msg, flow);
    } catch (err) {
      // A bug above must cost one message, never the socket or the process.
      this.logger.error({ err: err instanceof Error ? err.stack : String(err), callId: msg.get('Call-ID') }, 'SIP message handling failed');
    }
  }

  /** Stateless 400 straight back to the source; never for ACK, never when headers are missing. */
  private answerBadRequest(failure: ParseFailure, reply: (b: Buffer) => Promise<void>): boolean {
    const ctx = failure.requestContext;
    if (!ctx || ctx.method === 'ACK') return false;
    const names = new Set(ctx.headers.map((h) => h.name.toLowerCase()));
    for (const n of ['via', 'from', 'to', 'call-id', 'cseq']) if (!names.has(n)) return false;
    const res = new SipResponse(400, `Bad Request (${failure.error.code})`);
    res.headers = ctx.headers.map((h) => ({ ...h }));
    void reply(serializeMessage(res)).catch(() => undefined);
    return true;
  }

  // ---------------------------------------------------------------------------------- outbound

  /**
   * Chooses the transport for a request to `target`, rewrites the top Via's transport and sent-by
   * to match, and returns the endpoint actually used (UDP may become TCP for large requests).
   */
  prepareRequest(req: SipRequest, target: Endpoint): Endpoint {
    if (isIP(target.address) === 0) throw new TransportError(TransportErrorCode.NotIpAddress, 'target must be an IP address');
    let protocol = target.protocol;
    const limit = this.opts.udpMaxRequestBytes ?? 1300;
    if (protocol === 'udp' && serializeMessage(req).length > limit && this.findStream('tcp', target.address)) protocol = 'tcp';
    const t = protocol === 'udp' ? this.findUdp(target.address) : this.findStream(protocol, target.address);
    if (!t) throw new TransportError(TransportErrorCode.NoTransport, `no ${protocol} transport for that address family`);
    const via = req.topVia;
    via.transport = protocol.toUpperCase();
    const sentBy = this.sentBy(t);
    via.host = sentBy.address;
    via.port = sentBy.port;
    if (protocol === 'udp' && !via.params.has('rport')) via.params.set('rport', null);
    req.removeFirst('Via').prepend('Via', formatVia(via));
    return { ...target, protocol };
  }

  /** Address and port this stack advertises for a transport (Via sent-by, Contact). */
  sentBy(t: BoundTransport): HostPort {
    const adv = this.opts.advertisedAddress?.[t.family];
    const unspecified = t.local.address === '0.0.0.0' || t.local.address === '::';
    return { address: adv ?? (unspecified ? (t.family === 6 ? '::1' : '127.0.0.1') : t.local.address), port: t.local.port };
  }

  /** The advertised address of the first transport of a protocol/family (for Contact headers). */
  localEndpoint(protocol: TransportProtocol, family: 4 | 6 = 4): HostPort | undefined {
    const t = protocol === 'udp' ? this.udp.find((u) => u.family === family) : this.streams.find((s) => s.protocol === protocol && s.family === family);
    return t ? this.sentBy(t) : undefined;
  }

  async send(msg: SipMessage, target: Endpoint): Promise<void> {
    const bytes = serializeMessage(msg);
    if (target.protocol === 'udp') {
      const t = this.findUdp(target.address);
      if (!t) throw new TransportError(TransportErrorCode.NoTransport, 'no UDP transport for that address family');
      await t.send(bytes, target).catch(() => {
        throw new TransportError(TransportErrorCode.SendFailed, 'UDP send failed');
      });
      return;
    }
    const t = this.findStream(target.protocol, target.address);
    if (!t) throw new TransportError(TransportErrorCode.NoTransport, `no ${target.protocol} transport for that address family`);
    const conn = await t.connectionTo(target);
    await conn.write(bytes);
  }

  /** Sends a response per RFC 3261 §18.2.2 (with RFC 3581 rport). */
  async sendResponse(res: SipResponse, requestFlow: Flow): Promise<void> {
    const bytes = serializeMessage(res);
    const via = res.topVia;
    if (requestFlow.protocol === 'udp') {
      const t = this.udp.find((u) => u.local.port === requestFlow.local.port && sameFamily(u.local.address, requestFlow.remote.address)) ?? this.findUdp(requestFlow.remote.address);
      if (!t) throw new TransportError(TransportErrorCode.NoTransport, 'no UDP transport');
      const maddr = via.params.get('maddr');
      const rport = via.params.get('rport');
      const received = via.params.get('received');
      const address = maddr ?? received ?? via.host;
      const port = maddr ? (via.port ?? 5060) : rport ? Number(rport) : (via.port ?? defaultPort('udp'));
      // When maddr/Via name a host we cannot reach without DNS, fall back to the source address.
      const to = isIP(address) ? { address, port } : requestFlow.remote;
      await t.send(bytes, to).catch(() => {
        throw new TransportError(TransportErrorCode.SendFailed, 'UDP send failed');
      });
      return;
    }
    const t = this.streams.find((s) => s.protocol === requestFlow.protocol && sameFamily(s.local.address, requestFlow.remote.address));
    if (!t) throw new TransportError(TransportErrorCode.NoTransport, `no ${requestFlow.protocol} transport`);
    const open = requestFlow.connectionId ? t.connectionById(requestFlow.connectionId) : undefined;
    if (open) {
      await open.write(bytes);
      return;
    }
    // Connection gone: open a new one to received (or sent-by) and the Via port.
    const address = via.params.get('received') ?? via.host;
    const to = isIP(address) ? { address, port: via.port ?? defaultPort(requestFlow.protocol) } : requestFlow.remote;
    const conn = await t.connectionTo(to);
    await conn.write(bytes);
  }

  private findUdp(address: string): UdpTransport | undefined {
    return this.udp.find((u) => sameFamily(u.local.address, address));
  }

  private findStream(protocol: TransportProtocol, address: string): StreamTransport | undefined {
    return this.streams.find((s) => s.protocol === protocol && sameFamily(s.local.address, address));
  }
}

function sameFamily(a: string, b: string): boolean {
  return (isIP(a) === 6) === (isIP(b) === 6);
}

/** RFC 3261 §18.2.1 `received` and RFC 3581 `rport` on the top Via of an incoming request. */
function stampReceived(req: SipRequest, remote: HostPort): void {
  const via = req.topVia;
  const wantsRport = via.params.has('rport');
  if (!wantsRport && via.host === remote.address) return;
  via.params.set('received', remote.address);
  if (wantsRport) via.params.set('rport', String(remote.port));
  req.removeFirst('Via').prepend('Via', formatVia(via));
}
