import type { Logger } from 'pino';
import type { WorkerPool } from '../worker-pool.js';
import type { MediaServiceApi } from './api.js';
import type { MediaConfig } from './media-config.js';
import { MediaRoom } from './media-room.js';
import type { KindCounts, MediaServiceStats, WorkerBitrate } from './types.js';

/**
 * The SFU's face to the meeting core: one MediaRoom per meeting, opened on demand. Knows nothing of
 * PINs, roles or signalling; meeting ids are opaque strings.
 */
export class MediaService implements MediaServiceApi {
  private readonly rooms = new Map<string, Promise<MediaRoom>>();
  private isClosed = false;

  constructor(
    private readonly pool: WorkerPool,
    private readonly config: MediaConfig,
    private readonly logger: Logger,
  ) {}

  /**
   * The open media room for `roomId`, creating it (a router on the least-loaded worker) if needed.
   * Concurrent calls for one id share one room. A room that closed (ended, or its worker died) is
   * replaced by a fresh one on the next call.
   */
  openRoom(roomId: string): Promise<MediaRoom> {
    if (this.isClosed) return Promise.reject(new Error('media service is closed'));
    const existing = this.rooms.get(roomId);
    if (existing) {
      return existing.then((room) => {
        if (!room.closed) return room;
        if (this.rooms.get(roomId) === existing) this.rooms.delete(roomId);
        return this.openRoom(roomId);
      });
    }
    const opening = MediaRoom.open(roomId, this.pool, this.config, this.logger.child({ roomId }));
    this.rooms.set(roomId, opening);
    opening.then(
      (room) => {
        room.events.once('closed', () => {
          if (this.rooms.get(roomId) === opening) this.rooms.delete(roomId);
        });
        if (this.isClosed) room.close();
      },
      () => {
        if (this.rooms.get(roomId) === opening) this.rooms.delete(roomId);
      },
    );
    return opening;
  }

  /** The room if it is open (or opening) now. */
  async room(roomId: string): Promise<MediaRoom | undefined> {
    const room = await this.rooms.get(roomId)?.catch(() => undefined);
    return room && !room.closed ? room : undefined;
  }

  async openRooms(): Promise<MediaRoom[]> {
    const settled = await Promise.allSettled(this.rooms.values());
    return settled.flatMap((r) => (r.status === 'fulfilled' && !r.value.closed ? [r.value] : []));
  }

  /** Totals over every room, with bitrate per worker, for the metrics endpoint to poll. */
  async stats(): Promise<MediaServiceStats> {
    const rooms = await this.openRooms();
    const all = await Promise.all(rooms.map((r) => r.stats()));
    const producers: KindCounts = { audio: 0, video: 0 };
    const consumers: KindCounts = { audio: 0, video: 0 };
    const byWorker = new Map<number, WorkerBitrate>();
    let participants = 0;
    for (const s of all) {
      participants += s.participants;
      producers.audio += s.producers.audio;
      producers.video += s.producers.video;
      consumers.audio += s.consumers.audio;
      consumers.video += s.consumers.video;
      for (const w of s.byWorker) {
        const acc = byWorker.get(w.workerIndex) ?? { workerIndex: w.workerIndex, bitrateInBps: 0, bitrateOutBps: 0 };
        acc.bitrateInBps += w.bitrateInBps;
        acc.bitrateOutBps += w.bitrateOutBps;
        byWorker.set(w.workerIndex, acc);
      }
    }
    return {
      rooms: rooms.length,
      participants,
      producers,
      consumers,
      byWorker: [...byWorker.values()].sort((a, b) => a.workerIndex - b.workerIndex),
    };
  }

  /** Closes every room (call before closing the WorkerPool). Safe to call twice. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const opening of this.rooms.values()) opening.then((r) => r.close(), () => undefined);
    this.rooms.clear();
    this.logger.info('media service closed');
  }
}
