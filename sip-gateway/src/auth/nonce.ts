import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../../common/src/index.js';
import { DigestConfigError } from './errors.js';

const TIME_BYTES = 8;
const RANDOM_BYTES = 8;
const MAC_BYTES = 16;
const NONCE_BYTES = TIME_BYTES + RANDOM_BYTES + MAC_BYTES;

export type NonceCheck =
  | { status: 'valid'; issuedAt: number; expiresAt: number }
  | { status: 'stale'; issuedAt: number }
  | { status: 'invalid' };

export interface NonceServiceOptions {
  /** Shared by every node so any node validates any node's nonce. At least 16 characters. */
  secret: string;
  lifetimeMs: number;
  clock: Clock;
}

/**
 * Stateless nonces: base64url(issued-at ms ‖ 8 random bytes ‖ HMAC-SHA256(secret, both ‖ realm)[0..16]).
 * No storage is needed to issue or check one; only the nonce-count (replay) needs Redis.
 */
export class NonceService {
  private readonly secret: Buffer;

  constructor(private readonly options: NonceServiceOptions) {
    if (options.secret.length < 16) throw new DigestConfigError('nonce secret must be at least 16 characters');
    if (!(options.lifetimeMs > 0)) throw new DigestConfigError('nonce lifetime must be positive');
    this.secret = Buffer.from(options.secret, 'utf8');
  }

  get lifetimeMs(): number {
    return this.options.lifetimeMs;
  }

  issue(realm: string): string {
    const head = Buffer.alloc(TIME_BYTES + RANDOM_BYTES);
    head.writeBigUInt64BE(BigInt(Math.floor(this.options.clock.now())), 0);
    randomBytes(RANDOM_BYTES).copy(head, TIME_BYTES);
    return Buffer.concat([head, this.mac(head, realm)]).toString('base64url');
  }

  check(nonce: string, realm: string): NonceCheck {
    if (nonce.length > 64 || !/^[A-Za-z0-9_-]+$/.test(nonce)) return { status: 'invalid' };
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== NONCE_BYTES) return { status: 'invalid' };
    const head = raw.subarray(0, TIME_BYTES + RANDOM_BYTES);
    if (!timingSafeEqual(raw.subarray(TIME_BYTES + RANDOM_BYTES), this.mac(head, realm))) return { status: 'invalid' };
    const issuedAt = Number(head.readBigUInt64BE(0));
    const now = this.options.clock.now();
    // A nonce "from the future" beyond small skew between nodes is not one we issued honestly.
    if (issuedAt > now + 5_000) return { status: 'invalid' };
    const expiresAt = issuedAt + this.options.lifetimeMs;
    if (now >= expiresAt) return { status: 'stale', issuedAt };
    return { status: 'valid', issuedAt, expiresAt };
  }

  private mac(head: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.secret).update(head).update(realm, 'utf8').digest().subarray(0, MAC_BYTES);
  }
}
