/**
 * Issue 12, item 7: every admin write is recorded (who, which token and role, what, before/after,
 * when, from where) in an append-only Redis stream, listed at GET /api/v1/audit — the operator
 * sees everything, a partner admin only its own partner's entries — and written as log lines.
 * Real Redis, through the HTTP API.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../store/index.js';
import { list, partnerWithCompany, startHarness, str, type Harness, type Loose, type PartnerWorld } from '../testing.js';

let h: Harness;
let a: PartnerWorld;
let b: PartnerWorld;
let aTokenId = '';
let bTokenId = '';
const lines: string[] = [];
const api = '/api/v1';
const num = '+4722330001';
const url = (n: string) => `${api}/dial-in-numbers/${encodeURIComponent(n)}`;
/** Secrets handed out during the test: none may appear in the stored log. */
const secrets: string[] = [];
let renewedAt = 0;

async function auditOf(token: string, query = ''): Promise<Loose[]> {
  const r = await h.call(token, 'GET', `${api}/audit?limit=200${query}`);
  expect(r.status, r.text).toBe(200);
  return list(r.body.items);
}
const route = (e: Loose) => `${str(e.action?.method)} ${str(e.action?.route)}`;

beforeAll(async () => {
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  h = await startHarness({}, undefined, { logger });
  a = await partnerWithCompany(h, 'Alpha Telecom', 'alpha-room');
  b = await partnerWithCompany(h, 'Beta Telecom', 'beta-room');
  secrets.push(h.operatorToken, h.partnerToken, a.token, b.token, a.companyAdminToken, b.companyAdminToken);
  aTokenId = str((await h.call(a.token, 'GET', `${api}/me`)).body.tokenId);
  bTokenId = str((await h.call(b.token, 'GET', `${api}/me`)).body.tokenId);

  // The story the log must tell: numbers assigned and routed, a takeover tried, plans changed.
  expect((await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: num, label: 'Alpha line', partnerId: a.partnerId })).status).toBe(201);
  expect((await h.call(a.token, 'PUT', url(num), { label: 'Alpha sales', target: { kind: 'vmr', companyId: a.companyId, vmrId: a.vmrId } })).status).toBe(200);
  expect((await h.call(b.token, 'PUT', url(num), { label: 'mine now', target: { kind: 'vmr', companyId: b.companyId, vmrId: b.vmrId } })).status).toBe(404);
  h.clock.advance(60_000);
  expect((await h.call(a.token, 'POST', `${api}/companies/${a.companyId}/plans/${a.planId}/quantity`, { quantity: 7, reference: 'PO-7' })).status).toBe(200);
  renewedAt = h.clock.now() + 60_000;
  h.clock.advance(60_000);
  expect((await h.call(a.token, 'POST', `${api}/companies/${a.companyId}/plans/${a.planId}/renew`, { reference: 'PO-R' })).status).toBe(200);
  expect((await h.call(b.token, 'POST', `${api}/companies/${b.companyId}/plans/${b.planId}/quantity`, { quantity: 2 })).status).toBe(200);
  // A company admin's change, carrying a PIN.
  const team = list((await h.call(a.companyAdminToken, 'GET', `${api}/companies/${a.companyId}/team-vmrs`)).body.items)[0];
  expect((await h.call(a.companyAdminToken, 'PATCH', `${api}/companies/${a.companyId}/team-vmrs/${str(team?.id)}`, { hostPin: '482910' })).status).toBe(200);
  secrets.push('482910');
});
afterAll(async () => h.close());

describe('what a partner admin sees', () => {
  it('its number changes with who, token, role, before/after, when and from where', async () => {
    const items = await auditOf(a.token);
    const routed = items.find((e) => route(e) === 'PUT /api/v1/dial-in-numbers/:number' && String(e.actor?.tokenId) === aTokenId);
    expect(routed).toMatchObject({
      actor: { tokenId: aTokenId, role: 'partner_admin', partnerId: a.partnerId, name: 'Alpha Telecom admin' },
      action: { method: 'PUT', path: url(num) },
      targets: { number: num },
      before: { partnerId: a.partnerId, target: { kind: 'ivr' }, label: 'Alpha line' },
      after: { partnerId: a.partnerId, target: { kind: 'vmr', vmrId: a.vmrId }, label: 'Alpha sales' },
      outcome: { status: 200, error: null },
      source: { ip: '127.0.0.1' },
    });
    expect(Date.parse(str(routed?.at))).toBeLessThanOrEqual(h.clock.now());
    // The operator's assignment is in Alpha's log too: it concerns Alpha's number.
    const assigned = items.find((e) => route(e) === 'POST /api/v1/dial-in-numbers');
    expect(assigned).toMatchObject({ actor: { role: 'operator' }, targets: { number: num }, before: null, after: { number: num, partnerId: a.partnerId } });
  });

  it('its plan changes: order, quantity and renewal with the plan before and after', async () => {
    const items = await auditOf(a.token, `&target=${a.planId}`);
    const byRoute = (r: string) => items.filter((e) => route(e) === r);
    expect(byRoute('POST /api/v1/companies/:companyId/plans')[0]).toMatchObject({ targets: { companyId: a.companyId, planId: a.planId }, after: { id: a.planId, quantity: 5 } });
    expect(byRoute('POST /api/v1/companies/:companyId/plans/:id/quantity')[0]).toMatchObject({
      request: { quantity: 7, reference: 'PO-7' },
      before: { quantity: 5 },
      after: { quantity: 7 },
    });
    const renew = byRoute('POST /api/v1/companies/:companyId/plans/:id/renew')[0];
    expect(renew?.at).toBe(new Date(renewedAt).toISOString());
    expect(Date.parse(str(renew?.after?.renewalDate))).toBeGreaterThan(Date.parse(str(renew?.before?.renewalDate)));
  });

  it('its customers\' admins\' changes, with PINs redacted', async () => {
    const items = await auditOf(a.token, '&route=team-vmrs&method=PATCH');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ actor: { role: 'company_admin', companyId: a.companyId }, request: { hostPin: '[redacted]' } });
  });

  it('nothing of the other partner — not even the other partner\'s attempt on its number', async () => {
    const items = await auditOf(a.token);
    expect(items.length).toBeGreaterThan(5);
    for (const e of items) {
      expect(String(e.actor?.partnerId) === b.partnerId).toBe(false);
      expect(list(e.partners)).toContain(a.partnerId);
    }
    expect((await h.call(a.token, 'GET', `${api}/audit?partnerId=${b.partnerId}`)).status).toBe(404);
  });

  it('the other partner sees its own refused takeover and its own plan change, and none of Alpha\'s entries', async () => {
    const items = await auditOf(b.token);
    const takeover = items.find((e) => route(e) === 'PUT /api/v1/dial-in-numbers/:number');
    expect(takeover).toMatchObject({
      actor: { tokenId: bTokenId, partnerId: b.partnerId },
      targets: { number: num },
      request: { label: 'mine now', target: { companyId: b.companyId } },
      after: null,
      outcome: { status: 404, error: 'not_found' },
    });
    expect(items.some((e) => route(e) === 'POST /api/v1/companies/:companyId/plans/:id/quantity' && Number(e.after?.quantity) === 2)).toBe(true);
    for (const e of items) {
      expect(String(e.actor?.partnerId) === a.partnerId).toBe(false);
      expect(String(e.targets?.companyId) === a.companyId).toBe(false);
    }
  });

  it('company admins and members cannot read the log', async () => {
    expect((await h.call(a.companyAdminToken, 'GET', `${api}/audit`)).status).toBe(403);
  });
});

describe('what the operator sees', () => {
  it('every partner\'s entries; filters by target, route, company, actor, time', async () => {
    const onNumber = await auditOf(h.operatorToken, `&target=${encodeURIComponent(num)}`);
    expect(onNumber.map((e) => `${str(e.actor?.role)} ${str(e.outcome?.status)}`)).toEqual(['partner_admin 404', 'partner_admin 200', 'operator 201']);
    const operatorPartner = str((await h.call(h.operatorToken, 'GET', `${api}/me`)).body.partnerId);
    expect(onNumber.map((e) => e.actor?.partnerId)).toEqual([b.partnerId, a.partnerId, operatorPartner]);

    const all = await auditOf(h.operatorToken);
    expect(new Set(all.map((e) => str(e.actor?.partnerId)))).toEqual(new Set([a.partnerId, b.partnerId, operatorPartner]));
    expect(all.every((e) => String(e.action?.method) !== 'GET')).toBe(true);

    const bOnly = await auditOf(h.operatorToken, `&partnerId=${b.partnerId}`);
    expect(bOnly.length).toBeGreaterThan(0);
    expect(bOnly.every((e) => list(e.partners).map(str).includes(b.partnerId))).toBe(true);
    expect((await auditOf(h.operatorToken, `&companyId=${a.companyId}`)).every((e) => String(e.targets?.companyId) === a.companyId || String(e.actor?.companyId) === a.companyId)).toBe(true);
    expect((await auditOf(h.operatorToken, `&actorTokenId=${bTokenId}`)).every((e) => String(e.actor?.tokenId) === bTokenId)).toBe(true);

    const since = new Date(renewedAt).toISOString();
    const late = await auditOf(h.operatorToken, `&since=${since}`);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((e) => Date.parse(str(e.at)) >= renewedAt)).toBe(true);
    expect(late.some((e) => route(e).endsWith('/renew'))).toBe(true);
    const early = await auditOf(h.operatorToken, `&until=${new Date(renewedAt - 1).toISOString()}`);
    expect(early.length + late.length).toBe(all.length);
  });

  it('pages through the log with a cursor, newest first, without gaps or repeats', async () => {
    const all = (await auditOf(h.operatorToken)).map((e) => str(e.id));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const r = await h.call(h.operatorToken, 'GET', `${api}/audit?limit=3${cursor ? `&before=${cursor}` : ''}`);
      seen.push(...list(r.body.items).map((e) => str(e.id)));
      cursor = r.body.nextCursor === null ? null : str(r.body.nextCursor);
      if (!cursor) break;
    }
    expect(seen).toEqual(all);
    expect((await h.call(h.operatorToken, 'GET', `${api}/audit?before=not-a-cursor`)).status).toBe(400);
  });
});

describe('what is kept and how', () => {
  it('is documented in the OpenAPI document', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/api/docs' });
    const paths = (doc.json() as { paths: Record<string, Record<string, { 'x-roles'?: string[] }>> }).paths;
    expect(paths['/api/v1/audit']?.get?.['x-roles']).toEqual(['operator', 'partner_admin']);
    expect(paths['/api/v1/dial-in-numbers/{number}/partner']?.put?.['x-roles']).toEqual(['operator']);
    expect(paths['/api/v1/dial-in-numbers']?.post?.['x-roles']).toEqual(['operator']);
  });


  it('stores no token or PIN in clear', async () => {
    const raw = (await h.redis.client.xRange(keys.audit(), '-', '+')).map((m) => JSON.stringify(m.message)).join('\n');
    expect(raw.length).toBeGreaterThan(1000);
    for (const s of secrets) expect(raw).not.toContain(s);
  });

  it('does not record unauthenticated attempts (they could flush the capped log)', async () => {
    const before = await h.redis.client.xLen(keys.audit());
    const tries = await Promise.all(Array.from({ length: 200 }, () => h.call('cvt_' + 'x'.repeat(40), 'POST', `${api}/dial-in-numbers`, { number: num, label: 'x' })));
    expect(tries.every((t) => t.status === 401)).toBe(true);
    expect(await h.redis.client.xLen(keys.audit())).toBe(before);
  });

  it('writes each entry as a structured log line', () => {
    const parsed = lines.map((l) => JSON.parse(l) as { msg: string; audit?: Loose });
    const takeover = parsed.find((l) => String(l.audit?.actor?.tokenId) === bTokenId && String(l.audit?.action?.route) === '/api/v1/dial-in-numbers/:number');
    expect(takeover?.msg).toBe('audit PUT /api/v1/dial-in-numbers/:number → 404');
    expect(takeover?.audit).toMatchObject({ targets: { number: num }, outcome: { status: 404 }, source: { ip: '127.0.0.1' } });
    expect(str(takeover?.audit?.id)).toMatch(/^\d+-\d+$/);
  });

  it('is capped by length and by age (admin.audit.maxEntries, retentionDays)', async () => {
    const small = await startHarness({ audit: { maxEntries: 100, retentionDays: 1 } });
    try {
      // A partner whose stream gets nothing more: only the retention job can age it out.
      const quiet = await small.call(small.operatorToken, 'POST', `${api}/partners`, { name: 'Quiet AS' });
      const quietStream = keys.auditPartner(str(quiet.body.partner.id));
      expect(await small.redis.client.xLen(quietStream)).toBe(1);
      expect((await small.call(small.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: '+4722330999', label: 'capped', partnerId: null })).status).toBe(201);
      const writes = await Promise.all(Array.from({ length: 300 }, (_, i) => small.call(small.operatorToken, 'PUT', url('+4722330999'), { label: `w${i}`, target: { kind: 'ivr' } })));
      expect(writes.every((w) => w.status === 200)).toBe(true);
      expect(await small.redis.client.xLen(keys.audit())).toBe(100);
      const listed = await small.call(small.operatorToken, 'GET', `${api}/audit?limit=200`);
      expect(list(listed.body.items)).toHaveLength(100);
      small.clock.advance(2 * 86_400_000);
      expect((await small.call(small.operatorToken, 'PUT', url('+4722330999'), { label: 'later', target: { kind: 'ivr' } })).status).toBe(200);
      expect(await small.redis.client.xLen(keys.audit())).toBe(1);
      expect(await small.redis.client.xLen(quietStream)).toBe(1);
      expect(await small.admin.jobs.runAuditRetention()).toBe(1);
      expect(await small.redis.client.xLen(quietStream)).toBe(0);
      expect(await small.registry.getSingleMetricAsString('convene_admin_audit_entries_total')).toMatch(/outcome="stored"} 303$/m); // the partner, the number, 300 writes, the later one
    } finally {
      await small.close();
    }
  });
});
