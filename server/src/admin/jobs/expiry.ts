import type { AdminContext } from '../context.js';
import { addTerm, planTypeForPool, UNLIMITED, type LicencePool } from '../licences/index.js';
import type { Company } from '../model.js';
import { SYSTEM_USER, evaluationOpen, orderEvent } from '../services/common.js';
import type { ConsumerService } from '../services/consumers.js';
import type { PlanService } from '../services/plans.js';
import type { CompanyDeletion } from '../services/deletion.js';

export interface ExpiryReport {
  renewed: string[];
  expired: string[];
  deactivated: { companyId: string; id: string; reason: 'licence_lapsed' | 'trial_ended' }[];
}

/**
 * The licence expiry pass (seed 001/002): auto-renews plans at their renewal date, expires the
 * others, deactivates consumers that no plan covers any more (newest first) and trial consumers
 * once Evaluation Mode ended. Every change is a "System" order event.
 */
export async function runExpiryPass(ctx: AdminContext, plans: PlanService, consumers: ConsumerService, deletion?: CompanyDeletion): Promise<ExpiryReport> {
  const report: ExpiryReport = { renewed: [], expired: [], deactivated: [] };
  for (const companyId of await ctx.orgs.allCompanyIds()) {
    const company = await ctx.orgs.getCompany(companyId);
    if (!company) continue;
    if (company.deletedAt) {
      // A deleted company has nothing to renew or expire; only an interrupted deletion to finish.
      await deletion?.resumeIfInterrupted(company);
      continue;
    }
    await lapsePlans(ctx, plans, company, report);
    await deactivateUncovered(ctx, consumers, company, report);
    await endTrials(ctx, consumers, company, report);
  }
  return report;
}

async function lapsePlans(ctx: AdminContext, plans: PlanService, company: Company, report: ExpiryReport): Promise<void> {
  const now = ctx.clock.now();
  for (const plan of await ctx.plans.list(company.id)) {
    if (plan.status !== 'active' || Date.parse(plan.renewalDate) > now) continue;
    if (plan.autoRenew) {
      let next = Date.parse(plan.renewalDate);
      // Bounded: at most a few hundred terms even if the job was off for years.
      for (let i = 0; i < 1000 && next <= now; i++) next = addTerm(next, plan.paymentPlan);
      await plans.write({ ...plan, renewalDate: new Date(next).toISOString() }, SYSTEM_USER, 'auto_renewal', '', false);
      report.renewed.push(plan.id);
    } else {
      await plans.write({ ...plan, status: 'expired' }, SYSTEM_USER, 'expiry', '', false);
      report.expired.push(plan.id);
    }
  }
}

async function deactivateUncovered(ctx: AdminContext, consumers: ConsumerService, company: Company, report: ExpiryReport): Promise<void> {
  const now = ctx.clock.now();
  const [cap, used] = await Promise.all([ctx.plans.capacity(company.id, now), ctx.consumers.usage(company.id)]);
  for (const [pool, n] of Object.entries(used) as [LicencePool, number][]) {
    const c = cap[pool] ?? 0;
    if (c === UNLIMITED || n <= c) continue;
    const ids = await ctx.consumers.newestInPool(company.id, pool, n - c);
    let count = 0;
    for (const rec of await ctx.consumers.getMany(company.id, ids)) {
      if (await consumers.deactivate(rec, 'licence_lapsed')) {
        count++;
        report.deactivated.push({ companyId: company.id, id: rec.id, reason: 'licence_lapsed' });
      }
    }
    if (count > 0) {
      const type = planTypeForPool(pool);
      await ctx.plans.addEvent(
        orderEvent(ctx, {
          companyId: company.id,
          planId: null,
          user: SYSTEM_USER,
          sku: type?.sku ?? pool,
          product: type?.product ?? pool,
          paymentPlan: '',
          reference: `${count} consumer(s) deactivated`,
          change: 'consumers_deactivated',
          newQuantity: c,
        }),
      );
    }
  }
}

/**
 * Seed 001: trial consumers end with the evaluation, whichever way it ends — its end date
 * passing, or a partner closing it (end date cleared or moved into the past). Called by every
 * expiry pass and at once when a partner changes the evaluation; a no-op while it is open.
 */
export async function endTrials(ctx: AdminContext, consumers: ConsumerService, company: Company, report?: ExpiryReport): Promise<number> {
  if (evaluationOpen(ctx, company)) return 0;
  const ids = await ctx.consumers.trialIds(company.id);
  let count = 0;
  for (const rec of await ctx.consumers.getMany(company.id, ids)) {
    if (await consumers.deactivate(rec, 'trial_ended')) {
      count++;
      report?.deactivated.push({ companyId: company.id, id: rec.id, reason: 'trial_ended' });
    }
  }
  if (count > 0) {
    await ctx.plans.addEvent(
      orderEvent(ctx, {
        companyId: company.id,
        planId: null,
        user: SYSTEM_USER,
        sku: 'CNV-EVAL',
        product: 'Evaluation Mode',
        paymentPlan: '',
        reference: `${count} trial consumer(s) deactivated`,
        change: 'trial_ended',
        newQuantity: 0,
      }),
    );
  }
  return count;
}
