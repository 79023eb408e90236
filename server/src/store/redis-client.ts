import { createClient } from 'redis';
import type { Logger } from 'pino';
import { Emitter, type RedisClient } from '../../../common/src/index.js';

// The type lives in common/ so packages that must not import server/ can name it.
export type { RedisClient };

type StoreConnectionEvents = { up: []; down: [reason: string] };

/**
 * The one Redis connection a node uses for commands. node-redis reconnects by itself; this
 * wrapper turns its events into an up/down state that readiness and metrics read, and logs
 * each transition once (not every retry).
 */
export class StoreConnection extends Emitter<StoreConnectionEvents> {
  readonly client: RedisClient;
  private up = false;
  private closing = false;

  constructor(url: string, private readonly logger: Logger) {
    super((event, err) => logger.error({ err, event }, 'store listener failed'));
    const socket = {
      // Back off to at most 2 s between attempts; never give up (the embedded server restarts).
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
      connectTimeout: 5_000,
    };
    // Fail fast while disconnected instead of queueing without bound: a request (or a metrics
    // scrape) during an outage gets an error now rather than hanging until Redis returns.
    const common = { disableOfflineQueue: true };
    // node-redis takes unix sockets as a path, not as a URL.
    this.client = url.startsWith('unix://')
      ? createClient({ ...common, socket: { ...socket, path: url.slice('unix://'.length) } })
      : createClient({ ...common, url, socket });
    this.client.on('ready', () => this.setUp(true, 'ready'));
    this.client.on('end', () => this.setUp(false, 'closed'));
    this.client.on('reconnecting', () => this.setUp(false, 'reconnecting'));
    // Without an error listener node-redis would throw; errors here are connection-level.
    this.client.on('error', (err: Error) => this.setUp(false, err.message));
  }

  get isUp(): boolean {
    return this.up;
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  private setUp(up: boolean, reason: string): void {
    if (up === this.up) return;
    this.up = up;
    if (up) {
      this.logger.info('store connected');
      this.emit('up');
    } else if (this.closing) {
      this.logger.info('store connection closed');
      this.emit('down', 'closed');
    } else {
      this.logger.warn({ reason }, 'store connection lost');
      this.emit('down', reason);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.client.isOpen) {
      await this.client.close().catch(() => this.client.destroy());
    }
    this.up = false;
  }
}
