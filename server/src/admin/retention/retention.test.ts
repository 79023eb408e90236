import { describe, expect, it } from 'vitest';
import { applyRetention, retentionCutoff, subtractUtcMonths, type UsageModel } from './index.js';

const models: Record<string, UsageModel> = { shared1: 'shared', personal1: 'personal' };
const usageModelFor = (id: string): UsageModel => models[id] ?? 'shared';

describe('retention cutoff: 3 calendar months in UTC', () => {
  it.each([
    ['2026-05-15T10:30:00.000Z', '2026-02-15T10:30:00.000Z'],
    ['2026-05-31T23:59:59.999Z', '2026-02-28T23:59:59.999Z'], // clamped to February's end
    ['2028-05-31T00:00:00.000Z', '2028-02-29T00:00:00.000Z'], // leap year
    ['2026-01-10T00:00:00.000Z', '2025-10-10T00:00:00.000Z'], // across the year
    ['2026-03-31T12:00:00.000Z', '2025-12-31T12:00:00.000Z'],
    ['2026-07-31T00:00:00.000Z', '2026-04-30T00:00:00.000Z'],
  ])('now %s → cutoff %s', (now, cutoff) => {
    expect(retentionCutoff(new Date(now)).toISOString()).toBe(cutoff);
  });

  it('accepts epoch milliseconds and other month counts', () => {
    expect(subtractUtcMonths(Date.UTC(2026, 11, 31), 10).toISOString()).toBe('2026-02-28T00:00:00.000Z');
    expect(subtractUtcMonths(Date.UTC(2026, 0, 31), 13).toISOString()).toBe('2024-12-31T00:00:00.000Z');
  });
});

describe('applyRetention', () => {
  const now = new Date('2026-05-15T10:30:00.000Z');
  const cutoff = Date.parse('2026-02-15T10:30:00.000Z');

  it('anonymizes Shared records older than 3 months and keeps newer ones untouched', () => {
    const plan = applyRetention(
      [
        { id: 'old', endpointId: 'shared1', startedAt: cutoff - 1 },
        { id: 'edge', endpointId: 'shared1', startedAt: cutoff },
        { id: 'new', endpointId: 'shared1', startedAt: new Date(cutoff + 1) },
      ],
      { now, usageModelFor },
    );
    expect(plan).toEqual({ anonymize: ['old'], remove: [] });
  });

  it('removes Personal records older than 3 months, anonymized or not', () => {
    const plan = applyRetention(
      [
        { id: 'p-old', endpointId: 'personal1', startedAt: cutoff - 1 },
        { id: 'p-old-anon', endpointId: 'personal1', startedAt: cutoff - 86_400_000, anonymized: true },
        { id: 'p-edge', endpointId: 'personal1', startedAt: cutoff },
      ],
      { now, usageModelFor },
    );
    expect(plan).toEqual({ anonymize: [], remove: ['p-old', 'p-old-anon'] });
  });

  it('does not anonymize twice, treats unknown endpoints and endpoint-less calls as Shared, skips bad timestamps', () => {
    const plan = applyRetention(
      [
        { id: 'done', endpointId: 'shared1', startedAt: cutoff - 1, anonymized: true },
        { id: 'unknown-ep', endpointId: 'nobody', startedAt: cutoff - 1 },
        { id: 'no-ep', startedAt: cutoff - 1 },
        { id: 'null-ep', endpointId: null, startedAt: cutoff - 1 },
        { id: 'bad', endpointId: 'personal1', startedAt: Number.NaN },
      ],
      { now, usageModelFor },
    );
    expect(plan).toEqual({ anonymize: ['unknown-ep', 'no-ep', 'null-ep'], remove: [] });
  });

  it('switching Personal back to Shared does not bring removed records back', () => {
    let model: UsageModel = 'personal';
    let cdrs = [
      { id: 'a', endpointId: 'ep', startedAt: cutoff - 1, anonymized: false },
      { id: 'b', endpointId: 'ep', startedAt: cutoff + 1, anonymized: false },
    ];
    const first = applyRetention(cdrs, { now, usageModelFor: () => model });
    cdrs = cdrs.filter((c) => !first.remove.includes(c.id));
    model = 'shared';
    const later = applyRetention(cdrs, { now: new Date('2026-06-01T00:00:00.000Z'), usageModelFor: () => model });
    expect(first.remove).toEqual(['a']);
    expect(cdrs.map((c) => c.id)).toEqual(['b']);
    // Back on Shared, the surviving record is anonymized once it ages out; the removed one stays gone.
    expect(later).toEqual({ anonymize: ['b'], remove: [] });
  });
});
