import type { RedisClient } from '../../store/index.js';
import type { Company, Partner, Principal } from '../model.js';
import { keys } from './keys.js';

/** Partners, companies, API tokens and invitation tokens (dial-in numbers: dialins.ts). */
export class OrgRepository {
  constructor(private readonly redis: RedisClient) {}

  async createPartner(p: Partner): Promise<void> {
    await this.redis.multi().set(keys.partner(p.id), JSON.stringify(p)).sAdd(keys.partners(), p.id).exec();
  }

  async getPartner(id: string): Promise<Partner | null> {
    const v = await this.redis.get(keys.partner(id));
    return v ? (JSON.parse(v) as Partner) : null;
  }

  /** The partner created by bootstrap(): the service operator. */
  async operatorPartnerId(): Promise<string | null> {
    return this.redis.get(keys.operatorPartner());
  }

  /** Creates the operator partner only if none exists yet (SET NX); false if one does. */
  async createOperatorPartner(p: Partner): Promise<boolean> {
    const claimed = await this.redis.set(keys.operatorPartner(), p.id, { NX: true });
    if (claimed !== 'OK') return false;
    await this.createPartner(p);
    return true;
  }

  async listPartners(): Promise<Partner[]> {
    const ids = await this.redis.sMembers(keys.partners());
    const vals = ids.length ? await this.redis.mGet(ids.map((id) => keys.partner(id))) : [];
    return vals
      .filter((v): v is string => v !== null)
      .map((v) => JSON.parse(v) as Partner)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async partnerCount(): Promise<number> {
    return this.redis.sCard(keys.partners());
  }

  async saveCompany(c: Company, isNew: boolean): Promise<void> {
    const m = this.redis.multi().set(keys.company(c.id), JSON.stringify(c));
    if (isNew) {
      const score = Date.parse(c.createdAt);
      m.zAdd(keys.companies(), { score, value: c.id }).zAdd(keys.partnerCompanies(c.partnerId), { score, value: c.id });
    }
    await m.exec();
  }

  async getCompany(id: string): Promise<Company | null> {
    const v = await this.redis.get(keys.company(id));
    return v ? (JSON.parse(v) as Company) : null;
  }

  async allCompanyIds(): Promise<string[]> {
    return this.redis.zRange(keys.companies(), 0, -1);
  }

  async listCompanies(partnerId: string, f: { offset: number; limit: number; q?: string | undefined }): Promise<{ items: Company[]; total: number }> {
    const ids = await this.redis.zRange(keys.partnerCompanies(partnerId), 0, -1, { REV: true });
    const vals = ids.length ? await this.redis.mGet(ids.map((id) => keys.company(id))) : [];
    const q = f.q?.toLowerCase();
    const all = vals.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Company).filter((c) => !q || c.name.toLowerCase().includes(q));
    return { items: all.slice(f.offset, f.offset + f.limit), total: all.length };
  }

  // ---- API tokens (stored by SHA-256 of the secret) -----------------------------------------

  async saveToken(sha256: string, principal: Principal): Promise<void> {
    await this.redis.set(keys.token(sha256), JSON.stringify(principal));
  }

  async getToken(sha256: string): Promise<Principal | null> {
    const v = await this.redis.get(keys.token(sha256));
    return v ? (JSON.parse(v) as Principal) : null;
  }

  async deleteToken(sha256: string): Promise<void> {
    await this.redis.del(keys.token(sha256));
  }

  // ---- invitation tokens -----------------------------------------------------------------

  /**
   * Stores an invitation token hash. Tokens live a little longer than the 60-day schedule; the
   * pending set (one entry per invited user) is what the invitation job walks.
   */
  async saveInvitation(sha256: string, companyId: string, memberId: string, invitedAtMs: number): Promise<void> {
    await this.redis
      .multi()
      .set(keys.invitation(sha256), `${companyId}|${memberId}`, { EX: 61 * 86_400 })
      .zAdd(keys.pendingInvitations(), { score: invitedAtMs, value: `${companyId}|${memberId}` })
      .exec();
  }

  async getInvitation(sha256: string): Promise<{ companyId: string; memberId: string } | null> {
    const v = await this.redis.get(keys.invitation(sha256));
    if (!v) return null;
    const [companyId = '', memberId = ''] = v.split('|');
    return { companyId, memberId };
  }

  async pendingInvitations(): Promise<{ companyId: string; memberId: string }[]> {
    const all = await this.redis.zRange(keys.pendingInvitations(), 0, -1);
    return all.map((v) => {
      const [companyId = '', memberId = ''] = v.split('|');
      return { companyId, memberId };
    });
  }

  /** Removes the user from the pending set and, if given, invalidates one token. */
  async finishInvitation(companyId: string, memberId: string, sha256?: string): Promise<void> {
    const m = this.redis.multi().zRem(keys.pendingInvitations(), `${companyId}|${memberId}`);
    if (sha256) m.del(keys.invitation(sha256));
    await m.exec();
  }
}
