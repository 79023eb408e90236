/**
 * Admin API throughput on a real Redis: licence-checked team-VMR creates through fastify inject()
 * (zod validation, auth, Lua licence check + address claims) and VMR lookups by address.
 * Run: npx tsx server/src/admin/bench/create-consumers.ts [count] [concurrency]
 * Prints numbers; it never passes or fails.
 */
import { performance } from 'node:perf_hooks';
import { companyWithPlans, startHarness } from '../testing.js';

const count = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 20);

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(label: string, n: number, conc: number, op: (i: number) => Promise<void>): Promise<Record<string, string | number>> {
  const lat: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async () => {
      for (let i = next++; i < n; i = next++) {
        const s = performance.now();
        await op(i);
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { op: label, n, concurrency: conc, 'ops/s': Math.round(n / secs), 'p50 ms': pct(lat, 50).toFixed(2), 'p99 ms': pct(lat, 99).toFixed(2) };
}

const h = await startHarness();
try {
  const cid = await companyWithPlans(h, 'Bench', [{ planType: 'enterprise_user', quantity: count }]);
  const rows = [];
  rows.push(
    await run('POST team-vmr (licence check)', count, concurrency, async (i) => {
      const r = await h.call(h.partnerToken, 'POST', `/api/v1/companies/${cid}/team-vmrs`, { name: `r${i}`, localPart: `bench-room-${i}` });
      if (r.status !== 201) throw new Error(r.text);
    }),
  );
  rows.push(
    await run('POST team-vmr refused (no licence)', 500, concurrency, async (i) => {
      const r = await h.call(h.partnerToken, 'POST', `/api/v1/companies/${cid}/team-vmrs`, { name: `x${i}`, localPart: `bench-extra-${i}` });
      if (r.status !== 409) throw new Error(r.text);
    }),
  );
  rows.push(
    await run('repos.getVmrByAddress', count, concurrency, async (i) => {
      if (!(await h.admin.repos.getVmrByAddress(`bench-room-${i}@convene.example`))) throw new Error('missing');
    }),
  );
  rows.push(
    await run('GET team-vmrs page (50)', 500, concurrency, async () => {
      const r = await h.call(h.partnerToken, 'GET', `/api/v1/companies/${cid}/team-vmrs?limit=50`);
      if (r.status !== 200) throw new Error(r.text);
    }),
  );
  console.table(rows);
} finally {
  await h.close();
}
