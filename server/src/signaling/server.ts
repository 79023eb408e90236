import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock, type Clock } from '../../../common/src/index.js';
import type { IceConfigSource } from '../turn/index.js';
import type { SignalingConfig } from './config.js';
import type { SignalingMeetings } from './context.js';
import { ParticipantLinks } from './links.js';
import { Session, type SessionObserver } from './session.js';

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
      observer: SessionObserver;
      /** TURN servers and credentials for each session's hello answer (none when absent). */
      iceConfig?: IceConfigSource;
      /** The client's address behind trusted proxies (PIN and rate limits); default: the socket peer. */
      clientAddress?: (req: IncomingMessage) => string;
    },
  ) {
    this.links = new ParticipantLinks({ clock: deps.clock ?? systemClock, reconnectGraceMs: deps.reconnectGraceMs, logger: deps.logger });
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
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const source = this.deps.clientAddress?.(req) ?? req.socket.remoteAddress ?? 'unknown';
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
