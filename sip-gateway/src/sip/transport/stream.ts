/**
 * TCP or TLS listener plus a pool of connections (inbound and outbound) that are reused by remote
 * address and closed after an idle period. Each connection frames its byte stream with
 * StreamFramer and answers RFC 5626 CRLF keep-alive pings.
 *
 * Slow and greedy peers: inbound connections are capped per source (address, or /64 for IPv6) and
 * in total; a message that has begun must be complete within `messageTimeoutMs` of its first byte,
 * however its bytes trickle in (the idle timer alone restarts on every byte, so it cannot catch a
 * peer sending one byte every few seconds). Idle connections between messages are left alone.
 */
import net, { isIP } from 'node:net';
import tls from 'node:tls';
import { sourceKey } from '../../../../common/src/index.js';
import { StreamFramer, type ParserLimits, type SipParseError } from '../message/index.js';
import { TransportError, TransportErrorCode } from './errors.js';
import type { BoundTransport, HostPort, TlsOptions } from './types.js';

export interface StreamConnection {
  readonly id: string;
  readonly remote: HostPort;
  readonly local: HostPort;
  write(bytes: Buffer): Promise<void>;
  close(): void;
}

export interface StreamHandlers {
  onMessage(bytes: Buffer, conn: StreamConnection): void;
  /** Framing failed; the connection is closed right after. */
  onFramingError(error: SipParseError, conn: StreamConnection): void;
  onError(err: Error): void;
  /** An inbound connection was refused or closed by a defence (for metrics). */
  onDropped?(reason: StreamDropReason): void;
}

/** Why the transport refused or closed a connection on its own initiative. */
export type StreamDropReason = 'per_address_cap' | 'message_timeout';

export interface StreamLimits {
  /** Close connections idle this long. */
  idleTimeoutMs: number;
  /** Inbound connections accepted per listener; more are refused by the OS accept. */
  maxConnections: number;
  /** Inbound connections open at once from one source (address, or /64 for IPv6). */
  maxConnectionsPerAddress: number;
  /** A message (head and body) must be complete within this time of its first byte; also the TLS handshake limit. */
  messageTimeoutMs: number;
}

let nextConnId = 1;
const key = (hp: HostPort) => `${hp.address}|${hp.port}`;
const PONG = Buffer.from('\r\n');

class Connection implements StreamConnection {
  readonly id = `c${nextConnId++}`;
  readonly remote: HostPort;
  readonly local: HostPort;
  private readonly framer: StreamFramer;
  /** Runs while a message is partly received: from its first byte to its last. */
  private messageDeadline: NodeJS.Timeout | undefined;
  closed = false;

  constructor(
    private readonly socket: net.Socket,
    parserLimits: ParserLimits,
    private readonly limits: StreamLimits,
    private readonly handlers: StreamHandlers,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    this.local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
    this.framer = new StreamFramer(parserLimits);
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleTimeoutMs, () => this.close());
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  private onData(chunk: Buffer): void {
    for (const ev of this.framer.push(chunk)) {
      if (this.closed) return;
      if (ev.type === 'message') this.handlers.onMessage(ev.bytes, this);
      else if (ev.type === 'ping') void this.write(PONG).catch(() => undefined);
      else if (ev.type === 'error') {
        this.handlers.onFramingError(ev.error, this);
        this.close();
        return;
      }
    }
    if (this.closed) return;
    // The deadline starts with a message's first byte and is not moved by later ones.
    if (this.framer.pendingBytes === 0) this.clearDeadline();
    else this.messageDeadline ??= setTimeout(() => this.onMessageTimeout(), this.limits.messageTimeoutMs);
  }

  private onMessageTimeout(): void {
    this.messageDeadline = undefined;
    if (this.closed) return;
    this.handlers.onDropped?.('message_timeout');
    this.close();
  }

  private clearDeadline(): void {
    if (this.messageDeadline) clearTimeout(this.messageDeadline);
    this.messageDeadline = undefined;
  }

  write(bytes: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new TransportError(TransportErrorCode.SendFailed, 'connection closed'));
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (err) => (err ? reject(new TransportError(TransportErrorCode.SendFailed, 'write failed')) : resolve())),
    );
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearDeadline();
    this.socket.destroy();
    this.onClose(this);
  }
}

export class StreamTransport implements BoundTransport {
  readonly family: 4 | 6;
  private server: net.Server | undefined;
  private bound: HostPort | undefined;
  private readonly byId = new Map<string, Connection>();
  private readonly byRemote = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  /** Open inbound sockets (TLS: from TCP accept, before the handshake) per source key. */
  private readonly perSource = new Map<string, number>();

  constructor(
    readonly protocol: 'tcp' | 'tls',
    private readonly host: string,
    private readonly port: number,
    private readonly parserLimits: ParserLimits,
    private readonly limits: StreamLimits,
    private readonly tlsOptions: TlsOptions | undefined,
    private readonly handlers: StreamHandlers,
  ) {
    this.family = isIP(host) === 6 ? 6 : 4;
    if (protocol === 'tls' && !tlsOptions) throw new TransportError(TransportErrorCode.TlsNotConfigured, 'TLS needs cert and key');
  }

  get local(): HostPort {
    if (!this.bound) throw new Error('stream transport not started');
    return this.bound;
  }

  get connectionCount(): number {
    return this.byId.size;
  }

  async start(): Promise<void> {
    const server: net.Server =
      this.protocol === 'tls'
        ? tls.createServer({ cert: this.tlsOptions?.cert, key: this.tlsOptions?.key, handshakeTimeout: this.limits.messageTimeoutMs })
        : net.createServer();
    // Counted at TCP accept, so for TLS a flood of unfinished handshakes counts too. For TCP the
    // accepted socket is the connection; for TLS it is adopted once the handshake is done.
    server.on('connection', (raw: net.Socket) => {
      if (!this.admitInbound(raw)) return;
      if (this.protocol === 'tcp') this.adopt(raw);
    });
    if (this.protocol === 'tls') server.on('secureConnection', (socket: tls.TLSSocket) => this.adopt(socket));
    // Handshake failures and resets from hostile peers must not reach the process.
    server.on('tlsClientError', () => undefined);
    server.on('error', this.handlers.onError);
    // Node closes sockets beyond this at once, so a connection flood cannot exhaust descriptors.
    server.maxConnections = this.limits.maxConnections;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.port, host: this.host, ipv6Only: this.family === 6 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as net.AddressInfo;
    this.bound = { address: addr.address, port: addr.port };
  }

  /** Per-source cap: the socket over it is closed at once; the count drops when a socket closes. */
  private admitInbound(raw: net.Socket): boolean {
    const source = sourceKey(raw.remoteAddress ?? '');
    const open = this.perSource.get(source) ?? 0;
    if (open >= this.limits.maxConnectionsPerAddress) {
      raw.on('error', () => undefined);
      raw.destroy();
      this.handlers.onDropped?.('per_address_cap');
      return false;
    }
    this.perSource.set(source, open + 1);
    raw.once('close', () => {
      const n = (this.perSource.get(source) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(source);
      else this.perSource.set(source, n);
    });
    // Until adopted (TLS handshake), errors on the raw socket must not reach the process.
    raw.on('error', () => undefined);
    return true;
  }

  private adopt(socket: net.Socket): Connection {
    const conn = new Connection(socket, this.parserLimits, this.limits, this.handlers, (c) => {
      this.byId.delete(c.id);
      if (this.byRemote.get(key(c.remote)) === c) this.byRemote.delete(key(c.remote));
    });
    this.byId.set(conn.id, conn);
    this.byRemote.set(key(conn.remote), conn);
    return conn;
  }

  connectionById(id: string): StreamConnection | undefined {
    const c = this.byId.get(id);
    return c && !c.closed ? c : undefined;
  }

  /** Reuses an open connection to `remote` or opens one. */
  async connectionTo(remote: HostPort): Promise<StreamConnection> {
    const k = key(remote);
    const existing = this.byRemote.get(k);
    if (existing && !existing.closed) return existing;
    const pending = this.connecting.get(k);
    if (pending) return pending;
    const p = this.connect(remote).finally(() => this.connecting.delete(k));
    this.connecting.set(k, p);
    return p;
  }

  private connect(remote: HostPort): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const fail = () => reject(new TransportError(TransportErrorCode.ConnectFailed, `cannot connect over ${this.protocol}`));
      const family = this.family;
      const onReady = () => {
        socket.off('error', fail);
        resolve(this.adopt(socket));
      };
      const socket: net.Socket =
        this.protocol === 'tls'
          ? tls.connect(
              {
                host: remote.address,
                port: remote.port,
                ca: this.tlsOptions?.ca,
                rejectUnauthorized: this.tlsOptions?.rejectUnauthorized ?? true,
                // SNI must not be an IP literal.
                servername: isIP(remote.address) ? undefined : remote.address,
              },
              onReady,
            )
          : net.connect({ host: remote.address, port: remote.port, family }, onReady);
      socket.once('error', fail);
    });
  }

  async stop(): Promise<void> {
    for (const c of [...this.byId.values()]) c.close();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
