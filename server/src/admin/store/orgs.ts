import type { RedisClient } from '../../store/index.js';
import type { Company, DialInNumber, Partner, Principal } from '../model.js';
import { companyKeyPrefix, keys } from './keys.js';

/**
 * A stored company in today's shape: records written before company deletion existed get the
 * new fields; the removed typed Microsoft 365 list is dropped (it never verifies anything now).
 */
function companyFrom(json: string): Company {
  const { m365VerifiedDomains: _removed, ...rest } = JSON.parse(json) as Company & { m365VerifiedDomains?: unknown };
  return { ...rest, deletedAt: rest.deletedAt ?? null, recordsKeptUntil: rest.recordsKeptUntil ?? null };
}

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
    return v ? companyFrom(v) : null;
  }

  /**
   * Marks a company deleted: the flag key first (from then on every licence script refuses to
   * activate anything in it), then the record; it leaves the partner's list. Returns false if it
   * was already deleted (another request won).
   */
  async markCompanyDeleted(c: Company): Promise<boolean> {
    const set = await this.redis.set(keys.companyDeleted(c.id), c.deletedAt ?? '', { NX: true });
    if (set !== 'OK') return false;
    await this.redis.multi().set(keys.company(c.id), JSON.stringify(c)).zRem(keys.partnerCompanies(c.partnerId), c.id).exec();
    return true;
  }

  /** Records that a deleted company's sweep (consumers retired, plans ended) finished. */
  async finishCompanyDeletion(id: string): Promise<void> {
    await this.redis.set(keys.companyDeleted(id), 'done');
  }

  /** Whether a deleted company's sweep finished (false: it was interrupted and must be resumed). */
  async companyDeletionFinished(id: string): Promise<boolean> {
    return (await this.redis.get(keys.companyDeleted(id))) === 'done';
  }

  /**
   * Removes everything stored for a deleted company once its records' retention ended: every
   * key in its slot (plans, orders, consumers, VMRs, call records), then the company itself.
   * Bounded: SCAN in pages of 500.
   */
  async purgeCompany(id: string): Promise<number> {
    let removed = 0;
    const pattern = `${companyKeyPrefix(id).replace(/[*?[\]\\]/g, '\\$&')}*`;
    for await (const batch of this.redis.scanIterator({ MATCH: pattern, COUNT: 500 })) {
      const list = Array.isArray(batch) ? batch : [batch];
      if (list.length > 0) removed += await this.redis.unlink(list);
    }
    await this.redis.multi().del(keys.company(id)).zRem(keys.companies(), id).exec();
    return removed;
  }

  async allCompanyIds(): Promise<string[]> {
    return this.redis.zRange(keys.companies(), 0, -1);
  }

  async listCompanies(partnerId: string, f: { offset: number; limit: number; q?: string | undefined }): Promise<{ items: Company[]; total: number }> {
    const ids = await this.redis.zRange(keys.partnerCompanies(partnerId), 0, -1, { REV: true });
    const vals = ids.length ? await this.redis.mGet(ids.map((id) => keys.company(id))) : [];
    const q = f.q?.toLowerCase();
    const all = vals.filter((v): v is string => v !== null).map(companyFrom).filter((c) => !q || c.name.toLowerCase().includes(q));
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

  // ---- company administrator tokens (an index so a partner can list and revoke them) ---------

  async indexCompanyAdmin(companyId: string, tokenId: string, sha256: string): Promise<void> {
    await this.redis.hSet(keys.companyAdmins(companyId), tokenId, sha256);
  }

  /** The company's administrator principals whose tokens still exist (revoked ones drop out). */
  async listCompanyAdmins(companyId: string): Promise<Principal[]> {
    const index = await this.redis.hGetAll(keys.companyAdmins(companyId));
    const entries = Object.entries(index);
    if (entries.length === 0) return [];
    const vals = await this.redis.mGet(entries.map(([, sha]) => keys.token(sha)));
    const out: Principal[] = [];
    const stale: string[] = [];
    entries.forEach(([tokenId], i) => {
      const v = vals[i];
      if (v) out.push(JSON.parse(v) as Principal);
      else stale.push(tokenId);
    });
    if (stale.length > 0) await this.redis.hDel(keys.companyAdmins(companyId), stale);
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Revokes one company administrator token by id; false if there is no such token. */
  async revokeCompanyAdmin(companyId: string, tokenId: string): Promise<boolean> {
    const sha = await this.redis.hGet(keys.companyAdmins(companyId), tokenId);
    if (!sha) return false;
    const [deleted] = await this.redis.multi().del(keys.token(sha)).hDel(keys.companyAdmins(companyId), tokenId).exec();
    return Number(deleted) > 0;
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
