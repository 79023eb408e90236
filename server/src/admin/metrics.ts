import { Counter, Gauge, type Registry } from 'prom-client';
import type { ConsumerKind, ConsumerState } from './model.js';

export interface AdminMetrics {
  licenceRefusals: Counter<'reason' | 'pool'>;
  jobRuns: Counter<'job' | 'outcome'>;
  auditEntries: Counter<'outcome'>;
  consumers: Gauge<'kind' | 'state'>;
}

/**
 * Admin metrics on the caller's registry. The consumer gauge is filled at scrape time by
 * `countConsumers` (a bounded scan of the store) so it is right on every node.
 */
export function createAdminMetrics(registry: Registry, countConsumers: () => Promise<Map<`${ConsumerKind}|${ConsumerState}`, number>>): AdminMetrics {
  const registers = [registry];
  return {
    licenceRefusals: new Counter({
      name: 'convene_admin_licence_refusals_total',
      help: 'Consumer creations/reactivations and plan changes refused, by reason',
      labelNames: ['reason', 'pool'],
      registers,
    }),
    jobRuns: new Counter({ name: 'convene_admin_job_runs_total', help: 'Admin job passes by job and outcome', labelNames: ['job', 'outcome'], registers }),
    auditEntries: new Counter({ name: 'convene_admin_audit_entries_total', help: 'Audit log entries by outcome (stored, failed to store)', labelNames: ['outcome'], registers }),
    consumers: new Gauge({
      name: 'convene_admin_consumers',
      help: 'Consumers by kind and state',
      labelNames: ['kind', 'state'],
      registers,
      async collect() {
        // A scrape while the store is down must not fail the whole /metrics page.
        const counts = await countConsumers().catch(() => new Map<string, number>());
        this.reset();
        for (const [k, n] of counts) {
          const [kind = '', state = ''] = k.split('|');
          this.set({ kind, state }, n);
        }
      },
    }),
  };
}
