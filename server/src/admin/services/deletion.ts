import type { AdminContext } from '../context.js';
import { nowIso } from '../context.js';
import { adminError } from '../errors.js';
import type { Company, Principal } from '../model.js';
import { SYSTEM_USER } from './common.js';
import type { ConsumerService } from './consumers.js';
import type { PlanService } from './plans.js';

export interface CompanyDeletionResult {
  company: Company;
  /** Consumers that were active or invited and are now inactive. */
  consumersDeactivated: number;
  /** Address, numeric-id and calling-domain claims released for reuse. */
  addressesReleased: number;
  /** Running plans ended now (order events "company deleted"). */
  plansEnded: number;
}

const DAY_MS = 86_400_000;

/**
 * Deleting a customer company. Order matters: the company is flagged deleted first (every
 * licence script then refuses to activate anything in it, so a create racing the deletion cannot
 * slip in after the sweep), then its consumers are retired (licence back, inactive, addresses
 * released), then its plans end. Orders, plans, consumer records and call records stay, readable
 * by the partner, until `recordsKeptUntil`; the retention job purges them after that.
 */
export class CompanyDeletion {
  constructor(
    private readonly ctx: AdminContext,
    private readonly consumers: ConsumerService,
    private readonly plans: PlanService,
  ) {}

  async delete(p: Principal, company: Company): Promise<CompanyDeletionResult> {
    if (company.deletedAt) throw adminError('company_deleted', 'the company is already deleted', { recordsKeptUntil: company.recordsKeptUntil });
    const now = this.ctx.clock.now();
    const deleted: Company = {
      ...company,
      evaluation: null,
      deletedAt: nowIso(this.ctx),
      recordsKeptUntil: new Date(now + this.ctx.config.companyDeletion.keepRecordsDays * DAY_MS).toISOString(),
    };
    if (!(await this.ctx.orgs.markCompanyDeleted(deleted))) {
      throw adminError('company_deleted', 'the company is already deleted');
    }
    const { retired, plansEnded } = await this.sweep(p.name, deleted);
    this.ctx.logger.info({ companyId: deleted.id, partnerId: deleted.partnerId, by: p.tokenId, ...retired, plansEnded }, 'company deleted');
    return { company: deleted, consumersDeactivated: retired.consumers, addressesReleased: retired.claimsReleased, plansEnded };
  }

  /** Retires the consumers and ends the plans; idempotent, so an interrupted sweep can run again. */
  private async sweep(userName: string, company: Company) {
    const retired = await this.consumers.retireAll(company);
    const plansEnded = await this.plans.endForDeletedCompany(userName, company.id);
    await this.ctx.orgs.finishCompanyDeletion(company.id);
    return { retired, plansEnded };
  }

  /** Called by the expiry pass: finishes the sweep of a deleted company if it was interrupted (crash, lost store). */
  async resumeIfInterrupted(company: Company): Promise<void> {
    if (!company.deletedAt || (await this.ctx.orgs.companyDeletionFinished(company.id))) return;
    const { retired, plansEnded } = await this.sweep(SYSTEM_USER, company);
    this.ctx.logger.warn({ companyId: company.id, ...retired, plansEnded }, 'resumed an interrupted company deletion');
  }

  /** Purges deleted companies whose records' retention ended. Returns the purged company ids. */
  async purgeExpired(): Promise<string[]> {
    const purged: string[] = [];
    const now = this.ctx.clock.now();
    for (const id of await this.ctx.orgs.allCompanyIds()) {
      const c = await this.ctx.orgs.getCompany(id);
      if (!c?.deletedAt || !c.recordsKeptUntil || Date.parse(c.recordsKeptUntil) > now) continue;
      await this.ctx.orgs.purgeCompany(id);
      purged.push(id);
    }
    return purged;
  }
}
