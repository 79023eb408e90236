import { randomBytes } from 'node:crypto';
import { DomainError } from '../../errors.js';
import type { AdminContext } from '../context.js';
import { nowIso } from '../context.js';
import { autoVerifyReason, normalizeDomain, InvalidDomainNameError } from '../domains/index.js';
import { callingDomainEmail } from '../email/index.js';
import { adminError } from '../errors.js';
import { ENDPOINT_TIERS, poolForTier, type EndpointTier } from '../licences/index.js';
import type {
  CallingDomainRecord,
  Company,
  ConsumerKind,
  ConsumerRecord,
  EndpointRecord,
  MemberRecord,
  TeamVmrRecord,
  UsageModel,
  VmrRecord,
} from '../model.js';
import { keys, newId, type Claim } from '../store/index.js';
import { addressError, claimKeysOf, consumerAddress, createLicensed, evaluationOpen, isDefaultDomain, poolFor } from './common.js';
import { newVmr } from './vmrs.js';

export interface BatchItemResult {
  kind: ConsumerKind;
  id: string;
  ok: boolean;
  state?: string;
  error?: { code: string; message: string };
}

function base(company: Company, ctx: AdminContext, id: string, pool: string, trial: boolean) {
  return {
    id,
    companyId: company.id,
    state: 'active' as const,
    pool: pool as ConsumerRecord['pool'],
    trial,
    createdAt: nowIso(ctx),
    deactivatedAt: null,
    deactivatedReason: null,
  };
}

/** Team VMRs, endpoints, calling domains, and the actions common to every consumer. */
export class ConsumerService {
  constructor(private readonly ctx: AdminContext) {}

  async createTeamVmr(company: Company, input: { name: string; localPart: string; domain: string }): Promise<{ team: TeamVmrRecord; vmr: VmrRecord }> {
    const addr = await consumerAddress(this.ctx, company, input.localPart, input.domain);
    const id = newId('tv');
    const vmr = newVmr({ companyId: company.id, addresses: [addr.address], displayName: input.name, owner: { kind: 'team', teamVmrId: id } });
    let team!: TeamVmrRecord;
    await createLicensed(this.ctx, company, 'eul', ({ pool, trial }) => {
      team = { ...base(company, this.ctx, id, pool, trial), kind: 'team_vmr', name: input.name, domain: addr.domain, address: addr.address, vmrId: vmr.id };
      const claims: Claim[] = [
        { key: keys.addressClaim(addr.address), value: `${company.id}|vmr|${vmr.id}`, label: addr.address },
        { key: keys.numericIdClaim(vmr.numericId), value: `${company.id}|vmr|${vmr.id}`, label: 'numeric id', numeric: true },
      ];
      return { record: team, pool, claims, vmr: { record: vmr, state: 'active' }, now: this.ctx.clock.now() };
    });
    return { team, vmr };
  }

  async createEndpoint(company: Company, input: { name: string; localPart: string; domain: string; tier: EndpointTier; usageModel?: UsageModel | undefined }): Promise<EndpointRecord> {
    const addr = await consumerAddress(this.ctx, company, input.localPart, input.domain);
    const id = newId('ep');
    let endpoint!: EndpointRecord;
    await createLicensed(this.ctx, company, poolForTier(input.tier), ({ pool, trial }) => {
      endpoint = {
        ...base(company, this.ctx, id, pool, trial),
        kind: 'endpoint',
        name: input.name,
        domain: addr.domain,
        address: addr.address,
        tier: input.tier,
        bandwidthKbps: ENDPOINT_TIERS[input.tier],
        usageModel: input.usageModel ?? 'shared',
        sipUsername: addr.address,
        sipPassword: randomBytes(18).toString('base64url'),
      };
      return {
        record: endpoint,
        pool,
        claims: [{ key: keys.addressClaim(addr.address), value: `${company.id}|endpoint|${id}`, label: addr.address }],
        now: this.ctx.clock.now(),
      };
    });
    return endpoint;
  }

  async updateEndpoint(rec: EndpointRecord, patch: { name?: string | undefined; usageModel?: UsageModel | undefined }): Promise<EndpointRecord> {
    const next = { ...rec, ...(patch.name !== undefined ? { name: patch.name } : {}), ...(patch.usageModel ? { usageModel: patch.usageModel } : {}) };
    await this.ctx.consumers.update(next);
    return next;
  }

  async createDomain(company: Company, input: { domain: string }): Promise<CallingDomainRecord> {
    let domain: string;
    try {
      domain = normalizeDomain(input.domain);
    } catch (err) {
      if (err instanceof InvalidDomainNameError) throw addressError('invalid_domain', err.message);
      throw err;
    }
    const verifiedDomains = (await this.listAll<CallingDomainRecord>(company.id, 'domain')).filter((d) => d.verified && d.state === 'active').map((d) => d.domain);
    const rules = { defaultDomain: this.ctx.config.defaultDomain, verifiedDomains, m365DnsEvidence: [] as string[] };
    let reason = autoVerifyReason(domain, rules);
    if (reason === 'needs_dns') {
      // Microsoft 365 evidence only from DNS: the MS=ms… record the domain's owner published for
      // Microsoft 365 — never from anything the partner types.
      const m365 = await this.ctx.verifier.microsoft365Evidence(domain);
      if (m365.found) reason = autoVerifyReason(domain, { ...rules, m365DnsEvidence: [m365.name] });
    }
    const id = newId('cd');
    const now = nowIso(this.ctx);
    let rec!: CallingDomainRecord;
    const pool = isDefaultDomain(this.ctx, domain) ? '' : 'domain_hosting';
    await createLicensed(this.ctx, company, pool, ({ pool: p, trial }) => {
      rec = {
        ...base(company, this.ctx, id, p, trial),
        kind: 'domain',
        domain,
        verified: reason !== 'needs_dns',
        verifiedAt: reason !== 'needs_dns' ? now : null,
        verifiedBy: reason !== 'needs_dns' ? reason : null,
        lastVerifyFailure: null,
      };
      return { record: rec, pool: p, claims: [{ key: keys.domainClaim(domain), value: `${company.id}|domain|${id}`, label: domain }], now: this.ctx.clock.now() };
    });
    await this.sendDomainInstructions(company, rec).catch((err: unknown) => this.ctx.logger.warn({ err, domain }, 'calling domain email failed'));
    return rec;
  }

  /** The "New calling domain" email (seed 001), also used by "resend DNS instructions". */
  async sendDomainInstructions(company: Company, rec: CallingDomainRecord, to?: string): Promise<void> {
    const recipients = to ? [to] : company.contactEmail ? [company.contactEmail] : [];
    const record = rec.verified ? null : this.ctx.verifier.verificationRecord(company.id, rec.domain);
    for (const r of recipients) {
      await this.ctx.mailer.send(callingDomainEmail({ to: r, companyName: company.name, domain: rec.domain, record }));
    }
  }

  async verifyDomain(company: Company, rec: CallingDomainRecord): Promise<CallingDomainRecord> {
    if (rec.verified) return rec;
    const result = await this.ctx.verifier.verify(rec.domain, this.ctx.verifier.verificationToken(company.id, rec.domain));
    const now = nowIso(this.ctx);
    // Not our token: the domain may have been verified in Microsoft 365 since it was added.
    const m365 = result.verified ? null : await this.ctx.verifier.microsoft365Evidence(rec.domain);
    const next: CallingDomainRecord = result.verified
      ? { ...rec, verified: true, verifiedAt: now, verifiedBy: 'dns', lastVerifyFailure: null }
      : m365?.found
        ? { ...rec, verified: true, verifiedAt: now, verifiedBy: 'm365_domain', lastVerifyFailure: null }
        : { ...rec, lastVerifyFailure: result.reason ?? 'record_missing' };
    await this.ctx.consumers.update(next);
    return next;
  }

  async listAll<T extends ConsumerRecord>(companyId: string, kind: ConsumerKind): Promise<T[]> {
    return this.ctx.consumers.getMany<T>(companyId, await this.ctx.consumers.allIds(companyId, kind));
  }

  // ---- delete / deactivate / reactivate -------------------------------------------------------

  async get(company: Company, kind: ConsumerKind, id: string): Promise<ConsumerRecord> {
    const rec = await this.ctx.consumers.get(company.id, id, kind);
    if (!rec) throw adminError('not_found', `no such ${kind}`);
    return rec;
  }

  async delete(company: Company, rec: ConsumerRecord): Promise<void> {
    if (rec.kind === 'domain') {
      const users = [
        ...(await this.listAll<MemberRecord>(company.id, 'user')),
        ...(await this.listAll<TeamVmrRecord>(company.id, 'team_vmr')),
        ...(await this.listAll<EndpointRecord>(company.id, 'endpoint')),
      ].filter((c) => c.domain === rec.domain);
      if (users.length > 0) throw adminError('domain_in_use', `${users.length} consumers use ${rec.domain}`, { count: users.length });
    }
    let numericId: string | undefined;
    if (rec.kind === 'user' || rec.kind === 'team_vmr') numericId = (await this.ctx.consumers.getVmr(company.id, rec.vmrId))?.numericId;
    const prev = await this.ctx.consumers.release(rec, 'delete', claimKeysOf(rec, numericId));
    if (prev === null) throw adminError('not_found', 'already deleted');
  }

  /**
   * Changes an endpoint's tier (Basic/Plus/Premium): the new tier's licence is checked and taken
   * and the old one freed in one Lua step (store CHANGE_TIER), so no race overdraws a tier.
   */
  async changeTier(company: Company, rec: EndpointRecord, tier: EndpointTier): Promise<EndpointRecord> {
    try {
      await this.ctx.consumers.changeTier(company.id, rec.id, tier, ENDPOINT_TIERS[tier], String(Date.parse(rec.createdAt)), this.ctx.clock.now());
    } catch (err) {
      if (err instanceof DomainError && err.code === 'no_licence_available') this.ctx.metrics.licenceRefusals.inc({ reason: err.code, pool: poolForTier(tier) });
      throw err;
    }
    const fresh = await this.ctx.consumers.get<EndpointRecord>(company.id, rec.id, 'endpoint');
    if (!fresh) throw adminError('not_found', 'no such endpoint');
    return fresh;
  }

  /**
   * Deleting a company: every consumer gives its licence back, becomes inactive (reason
   * `company_deleted`) and releases its addresses, numeric ids and calling-domain claims so other
   * companies can use them; the records themselves stay until the company's records are purged.
   */
  async retireAll(company: Company): Promise<{ consumers: number; claimsReleased: number }> {
    let consumers = 0;
    let claimsReleased = 0;
    const at = nowIso(this.ctx);
    for (const kind of ['user', 'team_vmr', 'endpoint', 'domain'] as const) {
      for (const rec of await this.listAll(company.id, kind)) {
        let numericId: string | undefined;
        if (rec.kind === 'user' || rec.kind === 'team_vmr') numericId = (await this.ctx.consumers.getVmr(company.id, rec.vmrId))?.numericId;
        const done = await this.ctx.consumers.retire(rec, claimKeysOf(rec, numericId));
        if (!done) continue;
        claimsReleased += done.released;
        if (done.previous !== 'inactive') consumers++;
        else if (done.released === 0 && rec.deactivatedReason === 'company_deleted') continue; // already retired
        const fresh = await this.ctx.consumers.get(company.id, rec.id);
        if (fresh) await this.ctx.consumers.update({ ...fresh, deactivatedAt: fresh.deactivatedAt ?? at, deactivatedReason: 'company_deleted' });
        if (rec.kind === 'user') await this.ctx.orgs.finishInvitation(company.id, rec.id);
      }
    }
    return { consumers, claimsReleased };
  }

  /** Deactivates (keeps the record and its addresses; frees the licence). */
  async deactivate(rec: ConsumerRecord, reason: string): Promise<boolean> {
    const prev = await this.ctx.consumers.release(rec, 'deactivate');
    if (prev === null) return false;
    const fresh = await this.ctx.consumers.get(rec.companyId, rec.id);
    if (fresh) await this.ctx.consumers.update({ ...fresh, deactivatedAt: nowIso(this.ctx), deactivatedReason: reason });
    return true;
  }

  /** Reactivates with a licence (or as a trial while Evaluation Mode is open). */
  async reactivate(company: Company, rec: ConsumerRecord): Promise<ConsumerRecord> {
    if (rec.state !== 'inactive') throw adminError('consumer_not_inactive', `consumer is ${rec.state}`, { state: rec.state });
    const pool = poolFor(this.ctx, rec);
    const accepted = rec.kind !== 'user' || rec.acceptedAt !== null;
    const vmrPart = rec.kind === 'user' || rec.kind === 'team_vmr' ? { record: { id: rec.vmrId } as VmrRecord, state: accepted ? 'active' : 'inactive' } : undefined;
    const attempt = async (p: typeof pool, trial: boolean): Promise<ConsumerRecord> => {
      const next = { ...rec, state: accepted ? 'active' : 'invited', pool: p, trial, deactivatedAt: null, deactivatedReason: null } as ConsumerRecord;
      await this.ctx.consumers.reactivate(next, p, this.ctx.clock.now(), vmrPart);
      return next;
    };
    try {
      return await attempt(pool, false);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'no_licence_available') {
        if (evaluationOpen(this.ctx, company)) return attempt('', true);
        this.ctx.metrics.licenceRefusals.inc({ reason: err.code, pool: pool || 'none' });
      }
      throw err;
    }
  }

  /** Batch delete/reactivate: every item is tried; each gets its own result. */
  async batch(company: Company, action: 'delete' | 'reactivate', items: { kind: ConsumerKind; id: string }[]): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = [];
    for (const item of items) {
      try {
        const rec = await this.get(company, item.kind, item.id);
        if (action === 'delete') {
          await this.delete(company, rec);
          results.push({ ...item, ok: true, state: 'deleted' });
        } else {
          const next = await this.reactivate(company, rec);
          results.push({ ...item, ok: true, state: next.state });
        }
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        results.push({ ...item, ok: false, error: { code: err.code, message: err.message } });
      }
    }
    return results;
  }
}
