import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock, type Clock } from '../../../common/src/index.js';
import type { IceConfigSource } from '../turn/index.js';
import type { SignalingConfig } from './config.js';
import { ConnectionGuard, UpgradeRefusals, type UpgradeRefusalCode } from './connection-guard.js';
import type { SignalingMeetings } from './context.js';
import { ParticipantLinks } from './links.js';
import { Session, type SessionObserver } from './session.js';

export interface SignalingObserver extends SessionObserver {
  /** An upgrade refused by the Origin check or the per-address cap. */
  connectionRefused?(reason: UpgradeRefusalCode): void;
}

/**
 * WebSocket signalling on the HTTP server's `upgrade` at `config.path`. ws's own payload cap is
 * set above ours so an oversized message gets a protocol error reply instead of a dropped socket.
 */
export class SignalingServer {
  private readonly wss: WebSocketServer;
  readonly sessions = new Set<Session>();
  private readonly pingTimer: NodeJS.Timeout;
  private accepting = true;
  private readonly links: ParticipantLinks;
  private readonly guard: ConnectionGuard;

  constructor(
    private readonly deps: {
      server: Server;
      meetings: SignalingMeetings;
      config: SignalingConfig;
      /** How long a dropped connection's participant waits for a resume (`meetings.reconnectGraceMs`). */
      reconnectGraceMs: number;
      /** Hello timeouts, rate limits and reconnect grace; default the system clock. */
      clock?: Clock;
      logger: Logger;
      observer: SignalingObserver;
      /** TURN servers and credentials for each session's hello answer (none when absent). */
      iceConfig?: IceConfigSource;
      /** The client's address behind trusted proxies (PIN and rate limits); default: the socket peer. */
      clientAddress?: (req: IncomingMessage) => string;
      /** Origins allowed on top of config.allowedOrigins, e.g. the node's configured public URL. */
      extraOrigins?: string[];
    },
  ) {
    this.links = new ParticipantLinks({ clock: deps.clock ?? systemClock, reconnectGraceMs: deps.reconnectGraceMs, logger: deps.logger });
    this.guard = new ConnectionGuard({
      maxConnectionsPerAddress: deps.config.maxConnectionsPerAddress,
      allowedOrigins: [...deps.config.allowedOrigins, ...(deps.extraOrigins ?? [])],
      allowMissingOrigin: deps.config.allowMissingOrigin,
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: Math.max(deps.config.maxMessageBytes * 4, 256 * 1024) });
    deps.server.on('upgrade', this.onUpgrade);
    this.pingTimer = setInterval(() => {
      for (const s of this.sessions) s.heartbeat();
    }, deps.config.pingIntervalMs);
    this.pingTimer.unref();
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.deps.config.path) return; // someone else's upgrade (or a 404 by fastify)
    if (!this.accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n\r\n');
      return;
    }
    // The client's address behind trusted proxies: caps, rate limits and the session's source.
    const source = this.deps.clientAddress?.(req) ?? req.socket.remoteAddress ?? 'unknown';
    const admitted = this.guard.admit(req, source);
    if (!admitted.ok) {
      this.deps.observer.connectionRefused?.(admitted.code);
      this.deps.logger.debug({ source, origin: req.headers.origin, code: admitted.code }, 'WebSocket upgrade refused');
      refuseUpgrade(socket, admitted.code, admitted.retryAfterSeconds);
      return;
    }
    // The slot is held from the upgrade until the TCP socket closes, whatever happens between.
    socket.once('close', admitted.release);
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const session = new Session(
        ws,
        source,
        this.deps.meetings,
        this.links,
        this.deps.config,
        this.deps.logger,
        this.deps.observer,
        this.deps.iceConfig,
        this.deps.clock,
      );
      this.sessions.add(session);
      ws.once('close', () => this.sessions.delete(session));
    });
  };

  get connections(): number {
    return this.sessions.size;
  }

  /** Stops taking new connections; existing sessions carry on until `close()`. */
  stopAccepting(): void {
    this.accepting = false;
  }

  close(): void {
    this.accepting = false;
    clearInterval(this.pingTimer);
    this.deps.server.off('upgrade', this.onUpgrade);
    for (const s of this.sessions) s.shutdown();
    this.links.close();
    this.wss.close();
  }
}

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 429: 'Too Many Requests' };

/** An HTTP answer to the upgrade request, with the JSON error body the REST API uses. */
function refuseUpgrade(socket: Duplex, code: UpgradeRefusalCode, retryAfterSeconds?: number): void {
  const status = UpgradeRefusals[code].http;
  const body = JSON.stringify({ error: { code, message: UpgradeRefusals[code].description, ...(retryAfterSeconds ? { details: { retryAfterSeconds } } : {}) } });
  socket.on('error', () => undefined);
  // A peer that never closes its side must not keep the descriptor.
  setTimeout(() => socket.destroy(), 2_000).unref();
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
      (retryAfterSeconds ? `Retry-After: ${retryAfterSeconds}\r\n` : '') +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
