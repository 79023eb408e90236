import { createHash } from 'node:crypto';
import type { RedisClient } from '../../store/index.js';
import { keys } from './keys.js';

export type IdempotencyBegin =
  | { kind: 'new' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

interface StoredEntry {
  fingerprint: string;
  status?: number;
  body?: unknown;
}

/**
 * Idempotency-Key handling for creates: the first request with a key claims it (SET NX); a retry
 * with the same key and body gets the stored response; a different body under the same key is refused.
 */
export class IdempotencyStore {
  constructor(private readonly redis: RedisClient, private readonly ttlSeconds: number) {}

  static fingerprint(method: string, url: string, body: unknown): string {
    return createHash('sha256').update(`${method} ${url}\n${JSON.stringify(body ?? null)}`).digest('hex');
  }

  async begin(principal: string, key: string, fingerprint: string): Promise<IdempotencyBegin> {
    const k = keys.idempotency(principal, key);
    const claimed = await this.redis.set(k, JSON.stringify({ fingerprint } satisfies StoredEntry), { NX: true, EX: this.ttlSeconds });
    if (claimed === 'OK') return { kind: 'new' };
    const v = await this.redis.get(k);
    if (!v) return this.begin(principal, key, fingerprint);
    const entry = JSON.parse(v) as StoredEntry;
    if (entry.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (entry.status === undefined) return { kind: 'in_progress' };
    return { kind: 'replay', status: entry.status, body: entry.body };
  }

  async complete(principal: string, key: string, fingerprint: string, status: number, body: unknown): Promise<void> {
    await this.redis.set(keys.idempotency(principal, key), JSON.stringify({ fingerprint, status, body } satisfies StoredEntry), { EX: this.ttlSeconds });
  }

  /** A failed request frees its key so the client may retry. */
  async abandon(principal: string, key: string): Promise<void> {
    await this.redis.del(keys.idempotency(principal, key));
  }
}
