import type { RedisClient } from '../store/index.js';

export interface PinGuardConfig {
  /** Wrong PINs for one room within `windowSeconds` that lock PIN entry for that room. */
  maxFailuresPerRoom: number;
  /** Wrong PINs from one source address within `windowSeconds` that lock that source out. */
  maxFailuresPerSource: number;
  windowSeconds: number;
  /** How long a lockout lasts once reached. */
  lockoutSeconds: number;
}

/**
 * Rate-limits wrong PINs per room and per source address, in Redis so every node counts
 * together. A lockout refuses even a correct PIN until it lapses (otherwise guessing would
 * simply continue after the lock).
 */
export class PinGuard {
  constructor(
    private readonly redis: RedisClient,
    private readonly config: PinGuardConfig,
  ) {}

  private keys(roomId: string, source: string) {
    return { room: `conv:pinfail:room:${roomId}`, source: `conv:pinfail:src:${source}` };
  }

  /** Seconds until PIN entry is allowed again for this room/source, or 0 when it is allowed now. */
  async lockedFor(roomId: string, source: string): Promise<number> {
    const k = this.keys(roomId, source);
    const [room, src] = await this.redis.mGet([k.room, k.source]);
    const over = [
      Number(room ?? 0) >= this.config.maxFailuresPerRoom ? k.room : null,
      Number(src ?? 0) >= this.config.maxFailuresPerSource ? k.source : null,
    ].filter((x): x is string => x !== null);
    if (over.length === 0) return 0;
    const ttls = await Promise.all(over.map((key) => this.redis.ttl(key)));
    return Math.max(1, ...ttls);
  }

  /** Counts a wrong PIN; the count that reaches a limit turns the window into the lockout. */
  async recordFailure(roomId: string, source: string): Promise<void> {
    const k = this.keys(roomId, source);
    const [room, , src] = (await this.redis
      .multi()
      .incr(k.room)
      .expire(k.room, this.config.windowSeconds, 'NX')
      .incr(k.source)
      .expire(k.source, this.config.windowSeconds, 'NX')
      .exec()) as unknown as [number, number, number, number];
    const lock = this.redis.multi();
    if (room === this.config.maxFailuresPerRoom) lock.expire(k.room, this.config.lockoutSeconds);
    if (src === this.config.maxFailuresPerSource) lock.expire(k.source, this.config.lockoutSeconds);
    await lock.exec();
  }
}
