/**
 * Call-detail-record retention by endpoint usage model (seed 001):
 * - Shared (the default): records older than 3 months are kept but anonymized.
 * - Personal: records older than 3 months are removed; switching back to Shared does not bring
 *   them back (they are deleted, not hidden).
 *
 * "3 months" is calendar months in UTC: the cutoff is the same UTC day-of-month and time of day
 * three months before `now`, clamped to the last day of a shorter month (31 May → 28/29 Feb).
 * A record is "older" when it started strictly before the cutoff. Records without an endpoint
 * (calls not tied to one) follow the default, Shared.
 */
export type UsageModel = 'shared' | 'personal';

export interface RetentionRecord {
  id: string;
  endpointId?: string | null;
  /** Start of the call (Date or epoch ms). */
  startedAt: Date | number;
  anonymized?: boolean;
}

export interface RetentionOptions {
  now: Date | number;
  usageModelFor: (endpointId: string) => UsageModel;
}

export interface RetentionPlan {
  /** Ids to anonymize in place (Shared, older than 3 months, not yet anonymized). */
  anonymize: string[];
  /** Ids to delete for good (Personal, older than 3 months). */
  remove: string[];
}

export const RETENTION_MONTHS = 3;

/** `now` minus `months` calendar months in UTC, clamping the day to the target month's length. */
export function subtractUtcMonths(now: Date | number, months: number): Date {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() - months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(y, m, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()),
  );
}

/** Records that started before this instant are past retention. */
export function retentionCutoff(now: Date | number): Date {
  return subtractUtcMonths(now, RETENTION_MONTHS);
}

/** Decides, without side effects, which records to anonymize and which to remove. */
export function applyRetention(cdrs: readonly RetentionRecord[], opts: RetentionOptions): RetentionPlan {
  const cutoff = retentionCutoff(opts.now).getTime();
  const plan: RetentionPlan = { anonymize: [], remove: [] };
  for (const cdr of cdrs) {
    const started = new Date(cdr.startedAt).getTime();
    // An unreadable timestamp is left alone rather than guessed at.
    if (!Number.isFinite(started) || started >= cutoff) continue;
    const model: UsageModel = cdr.endpointId ? opts.usageModelFor(cdr.endpointId) : 'shared';
    if (model === 'personal') plan.remove.push(cdr.id);
    else if (!cdr.anonymized) plan.anonymize.push(cdr.id);
  }
  return plan;
}
