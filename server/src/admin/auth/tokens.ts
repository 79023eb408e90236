import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../../../common/src/index.js';
import { adminError } from '../errors.js';
import type { Principal, Role } from '../model.js';
import type { OrgRepository } from '../store/index.js';
import { newId } from '../store/index.js';

export const TOKEN_PREFIX = 'cvt_';

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A 256-bit random bearer token; only its SHA-256 is stored. */
export function newSecretToken(prefix = TOKEN_PREFIX): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export interface IssueInput {
  role: Role;
  name: string;
  partnerId: string;
  companyId?: string | null;
  memberId?: string | null;
}

/** Issues and resolves bearer API tokens. */
export class TokenService {
  constructor(private readonly orgs: OrgRepository, private readonly clock: Clock) {}

  /** Creates a principal and returns the token (shown once; the store keeps its hash). */
  async issue(input: IssueInput, secret = newSecretToken()): Promise<{ token: string; principal: Principal }> {
    const principal: Principal = {
      tokenId: newId('tk'),
      role: input.role,
      name: input.name,
      partnerId: input.partnerId,
      companyId: input.companyId ?? null,
      memberId: input.memberId ?? null,
      createdAt: new Date(this.clock.now()).toISOString(),
    };
    await this.orgs.saveToken(sha256Hex(secret), principal);
    return { token: secret, principal };
  }

  /** Revokes the token in an `Authorization: Bearer …` header. */
  async revoke(header: string | undefined): Promise<void> {
    await this.authenticate(header);
    const secret = /^Bearer\s+(\S+)$/i.exec(header?.trim() ?? '')?.[1] ?? '';
    await this.orgs.deleteToken(sha256Hex(secret));
  }

  /** Resolves an `Authorization: Bearer …` header; throws `unauthorized`. */
  async authenticate(header: string | undefined): Promise<Principal> {
    const m = /^Bearer\s+(\S{16,512})$/i.exec(header?.trim() ?? '');
    if (!m?.[1]) throw adminError('unauthorized', 'missing or malformed bearer token');
    const principal = await this.orgs.getToken(sha256Hex(m[1]));
    if (!principal) throw adminError('unauthorized', 'unknown or revoked token');
    return principal;
  }
}
