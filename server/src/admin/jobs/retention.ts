import type { AdminContext } from '../context.js';
import type { EndpointRecord } from '../model.js';
import { applyRetention } from '../retention/index.js';

export interface RetentionReport {
  anonymized: number;
  removed: number;
  /** Deleted companies whose records were purged (their retention ended); filled in by the admin's pass. */
  companiesPurged?: string[];
}

/**
 * Applies the endpoint usage models to call history (seed 001): Shared anonymizes records older
 * than 3 months, Personal removes them. Records not tied to an endpoint follow Shared.
 */
export async function runRetentionPass(ctx: AdminContext): Promise<RetentionReport> {
  const report: RetentionReport = { anonymized: 0, removed: 0 };
  const now = ctx.clock.now();
  for (const companyId of await ctx.orgs.allCompanyIds()) {
    const endpoints = await ctx.consumers.getMany<EndpointRecord>(companyId, await ctx.consumers.allIds(companyId, 'endpoint'));
    const models = new Map(endpoints.map((e) => [e.id, e.usageModel]));
    // Bounded pages so a huge history does not load at once.
    const pageSize = 500;
    for (let offset = 0; offset < 1_000_000; offset += pageSize) {
      const { items } = await ctx.cdrs.listForCompany(companyId, offset, pageSize);
      if (items.length === 0) break;
      const plan = applyRetention(
        items.map((c) => ({ id: c.id, endpointId: c.endpointId, startedAt: Date.parse(c.startedAt), anonymized: c.anonymized })),
        { now, usageModelFor: (id) => models.get(id) ?? 'shared' },
      );
      await ctx.cdrs.anonymize(companyId, plan.anonymize);
      const removeIds = new Set(plan.remove);
      await ctx.cdrs.remove(companyId, items.filter((c) => removeIds.has(c.id)));
      report.anonymized += plan.anonymize.length;
      report.removed += plan.remove.length;
      // Removed records shift later pages forward.
      offset -= plan.remove.length;
    }
  }
  return report;
}
