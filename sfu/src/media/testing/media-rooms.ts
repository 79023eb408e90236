/**
 * For a test file of the media layer on real mediasoup workers: a worker pool started before its
 * tests, media services (rooms) and RTP peers opened through it, and everything closed after each
 * test — RTP senders first, so no timer sends on a closed socket.
 */
import pino, { type Logger } from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestPool } from '../../testing.js';
import type { WorkerPool } from '../../worker-pool.js';
import { mediaConfigSchema } from '../media-config.js';
import type { MediaRoom } from '../media-room.js';
import { MediaService } from '../media-service.js';
import { RtpPeer } from './rtp-peer.js';

export interface MediaRooms {
  readonly logger: Logger;
  /** The started pool (after beforeAll). */
  readonly pool: WorkerPool;
  /** A fresh media service with `config` (`sfu.media` keys; the rest defaulted), closed after the test. */
  openService(config?: Record<string, unknown>): MediaService;
  /** A room of a fresh media service with `config` (`sfu.media` keys; the rest defaulted). */
  openRoom(id: string, config?: Record<string, unknown>): Promise<MediaRoom>;
  /** A UDP RTP peer on 127.0.0.1, closed after the test. */
  peer(): Promise<RtpPeer>;
  /** An interval timer (an RTP sender) to stop after the test, before the peers close. */
  stopAfterTest(timer: NodeJS.Timeout): void;
}

export function useMediaRooms(opts: { workers: number; beforeStart?: () => Promise<void> }): MediaRooms {
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  let pool: WorkerPool | undefined;
  const services: MediaService[] = [];
  const peers: RtpPeer[] = [];
  const timers: NodeJS.Timeout[] = [];
  beforeAll(async () => {
    await opts.beforeStart?.();
    pool = await startTestPool(logger, opts.workers);
  });
  afterEach(() => {
    for (const t of timers.splice(0)) clearInterval(t);
    for (const p of peers.splice(0)) p.close();
    for (const s of services.splice(0)) s.close();
  });
  afterAll(() => pool?.close());
  const rooms: MediaRooms = {
    logger,
    get pool(): WorkerPool {
      if (!pool) throw new Error('the worker pool starts in beforeAll');
      return pool;
    },
    openService(config = {}) {
      const s = new MediaService(rooms.pool, mediaConfigSchema.parse(config), logger);
      services.push(s);
      return s;
    },
    async openRoom(id, config = {}) {
      return rooms.openService(config).openRoom(id);
    },
    async peer() {
      const p = await RtpPeer.open();
      peers.push(p);
      return p;
    },
    stopAfterTest(timer) {
      timers.push(timer);
    },
  };
  return rooms;
}

/** Polls `check` every 25 ms until it returns a truthy value; fails after `timeoutMs`. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<Awaited<T>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<Awaited<T>>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
