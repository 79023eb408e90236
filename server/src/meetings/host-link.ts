import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../../common/src/index.js';
import { DomainError } from '../errors.js';
import type { RedisClient } from '../store/index.js';

/** What a "start my meeting" link vouches for: this member may host this VMR until `exp`. */
export interface HostLinkClaims {
  vmrId: string;
  companyId: string;
  memberId: string;
  /** Epoch seconds. */
  exp: number;
}

const Payload = z.strictObject({
  v: z.string().min(1).max(64),
  c: z.string().min(1).max(64),
  m: z.string().min(1).max(64),
  exp: z.number().int().positive(),
});

const PREFIX = 'h1';
const SECRET_KEY = 'conv:meetings:host-link-secret';

/**
 * Signs and checks host links: `h1.<payload b64url>.<HMAC-SHA256 b64url>`. Every node must use
 * the same secret: the configured one, or one generated once and kept in Redis (`load()`).
 * The token is short-lived and names one VMR and one member, so a leaked link opens one room
 * for minutes; the member's ownership is checked again at join (see MeetingService).
 */
export class HostLinks {
  private constructor(
    private readonly secret: Buffer,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {}

  /** `secret` null: the cluster-wide secret in Redis, created by whichever node starts first. */
  static async load(opts: { secret: string | null; ttlSeconds: number; redis: RedisClient; clock: Clock }): Promise<HostLinks> {
    let secret = opts.secret;
    if (!secret) {
      await opts.redis.set(SECRET_KEY, randomBytes(32).toString('hex'), { NX: true });
      secret = await opts.redis.get(SECRET_KEY);
      if (!secret) throw new Error('could not load the host link secret');
    }
    return new HostLinks(Buffer.from(secret, 'utf8'), opts.ttlSeconds, opts.clock);
  }

  private sign(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(`${PREFIX}.${payload}`).digest();
  }

  mint(claims: Omit<HostLinkClaims, 'exp'>): { token: string; expiresAt: string } {
    const exp = Math.floor(this.clock.now() / 1000) + this.ttlSeconds;
    const payload = Buffer.from(JSON.stringify({ v: claims.vmrId, c: claims.companyId, m: claims.memberId, exp })).toString('base64url');
    return { token: `${PREFIX}.${payload}.${this.sign(payload).toString('base64url')}`, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The claims of a genuine, unexpired token; `host_link_invalid` / `host_link_expired` otherwise. */
  verify(token: string): HostLinkClaims {
    const invalid = () => new DomainError('host_link_invalid', 'this start link is not valid; open your meeting again from the portal');
    const [prefix, payload, sig, ...rest] = token.split('.');
    if (prefix !== PREFIX || !payload || !sig || rest.length > 0) throw invalid();
    const given = Buffer.from(sig, 'base64url');
    const expected = this.sign(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    let parsed: z.output<typeof Payload>;
    try {
      parsed = Payload.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    } catch {
      throw invalid();
    }
    if (parsed.exp * 1000 <= this.clock.now()) {
      throw new DomainError('host_link_expired', 'this start link has expired; open your meeting again from the portal');
    }
    return { vmrId: parsed.v, companyId: parsed.c, memberId: parsed.m, exp: parsed.exp };
  }
}
