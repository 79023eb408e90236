import type { AdminContext } from '../context.js';
import { nowIso } from '../context.js';
import { adminError } from '../errors.js';
import { LICENCE_POOLS, UNLIMITED, companyLimits, planTypesForPool, poolProduct, type CompanyLimits, type LicencePool } from '../licences/index.js';
import type { Company, Principal } from '../model.js';
import { newId } from '../store/index.js';
import { evaluationOpen } from './common.js';
import { sha256Hex } from '../auth/index.js';

export interface CompanyInput {
  name: string;
  contactEmail?: string | null | undefined;
  evaluationEndsAt?: string | null | undefined;
  maxParticipantsPerMeeting?: number | null | undefined;
  /** Call bandwidth policy for browsers and unregistered callers (kbps); null = the service default. */
  maxCallBandwidthKbps?: number | null | undefined;
}

export interface LicenceSummaryRow {
  pool: LicencePool;
  /** Product name of the pool's licences (seed 002). */
  product: string;
  /** Plan types that add licences to this pool. */
  orderPlanTypes: string[];
  /** -1 = unlimited (Enterprise Wide Agreement). */
  capacity: number;
  used: number;
  available: number | null;
}

export class CompanyService {
  constructor(private readonly ctx: AdminContext) {}

  async create(p: Principal, input: CompanyInput): Promise<Company> {
    const company: Company = {
      id: newId('co'),
      partnerId: p.partnerId,
      name: input.name,
      contactEmail: input.contactEmail ?? null,
      createdAt: nowIso(this.ctx),
      evaluation: input.evaluationEndsAt ? { endsAt: new Date(input.evaluationEndsAt).toISOString() } : null,
      maxParticipantsPerMeeting: input.maxParticipantsPerMeeting ?? null,
      maxCallBandwidthKbps: input.maxCallBandwidthKbps ?? null,
      deletedAt: null,
      recordsKeptUntil: null,
    };
    await this.ctx.orgs.saveCompany(company, true);
    return company;
  }

  async update(company: Company, patch: Partial<CompanyInput>): Promise<Company> {
    const next: Company = {
      ...company,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.contactEmail !== undefined ? { contactEmail: patch.contactEmail } : {}),
      ...(patch.maxParticipantsPerMeeting !== undefined ? { maxParticipantsPerMeeting: patch.maxParticipantsPerMeeting } : {}),
      ...(patch.maxCallBandwidthKbps !== undefined ? { maxCallBandwidthKbps: patch.maxCallBandwidthKbps } : {}),
      ...(patch.evaluationEndsAt !== undefined
        ? { evaluation: patch.evaluationEndsAt ? { endsAt: new Date(patch.evaluationEndsAt).toISOString() } : null }
        : {}),
    };
    await this.ctx.orgs.saveCompany(next, false);
    return next;
  }

  async get(id: string): Promise<Company | null> {
    return this.ctx.orgs.getCompany(id);
  }

  async addAdmin(company: Company, name: string): Promise<{ token: string; principal: Principal }> {
    const issued = await this.ctx.tokens.issue({ role: 'company_admin', name, partnerId: company.partnerId, companyId: company.id });
    await this.ctx.orgs.indexCompanyAdmin(company.id, issued.principal.tokenId, sha256Hex(issued.token));
    return issued;
  }

  async listAdmins(company: Company): Promise<Principal[]> {
    return this.ctx.orgs.listCompanyAdmins(company.id);
  }

  async revokeAdmin(company: Company, tokenId: string): Promise<void> {
    if (!(await this.ctx.orgs.revokeCompanyAdmin(company.id, tokenId))) throw adminError('not_found', 'no such administrator token');
  }

  async licenceSummary(companyId: string): Promise<LicenceSummaryRow[]> {
    const now = this.ctx.clock.now();
    const [cap, used] = await Promise.all([this.ctx.plans.capacity(companyId, now), this.ctx.consumers.usage(companyId)]);
    return LICENCE_POOLS.filter((pool) => cap[pool] !== undefined || (used[pool] ?? 0) > 0).map((pool) => {
      const capacity = cap[pool] ?? 0;
      const u = used[pool] ?? 0;
      return { pool, product: poolProduct(pool), orderPlanTypes: planTypesForPool(pool).map((t) => t.id), capacity, used: u, available: capacity === UNLIMITED ? null : Math.max(0, capacity - u) };
    });
  }

  /** The meeting limits the meetings issue enforces for this company. */
  async limits(companyId: string): Promise<CompanyLimits> {
    const company = await this.ctx.orgs.getCompany(companyId);
    if (!company) throw adminError('not_found', 'no such company');
    const cap = await this.ctx.plans.capacity(companyId, this.ctx.clock.now());
    return companyLimits(cap, {
      perMeetingOverride: company.maxParticipantsPerMeeting,
      evaluationOpen: evaluationOpen(this.ctx, company),
      policy: this.ctx.config.limits,
      maxCallBandwidthKbps: company.maxCallBandwidthKbps,
    });
  }
}
