/**
 * Issue 10, item 5: a company's call bandwidth policy for browsers and unregistered callers —
 * set by the partner through the REST API (validated, audited), shown in the company and in the
 * limits the meetings core enforces, the service default when unset. Real Redis, through HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { list, partnerWithCompany, startHarness, str, type Harness, type PartnerWorld } from '../testing.js';

let h: Harness;
let a: PartnerWorld;
const api = '/api/v1';

beforeAll(async () => {
  h = await startHarness({ limits: { defaultMaxCallBandwidthKbps: 2400 } });
  a = await partnerWithCompany(h, 'Alpha Telecom', 'alpha-room');
});
afterAll(async () => h.close());

const company = () => `${api}/companies/${a.companyId}`;

describe('company call bandwidth policy', () => {
  it('is unset on a new company: its limits give the service default', async () => {
    expect((await h.call(a.token, 'GET', company())).body).toMatchObject({ maxCallBandwidthKbps: null });
    expect((await h.call(a.token, 'GET', `${company()}/limits`)).body).toMatchObject({ maxCallBandwidthKbps: 2400 });
  });

  it('the partner sets it; the company and its limits show it; null goes back to the default', async () => {
    const set = await h.call(a.token, 'PATCH', company(), { maxCallBandwidthKbps: 576 });
    expect(set.status, set.text).toBe(200);
    expect(set.body).toMatchObject({ maxCallBandwidthKbps: 576 });
    expect((await h.call(a.companyAdminToken, 'GET', company())).body).toMatchObject({ maxCallBandwidthKbps: 576 });
    expect((await h.call(a.token, 'GET', `${company()}/limits`)).body).toMatchObject({ maxCallBandwidthKbps: 576 });
    // Other settings patched later leave it alone.
    expect((await h.call(a.token, 'PATCH', company(), { name: 'Alpha renamed' })).body).toMatchObject({ maxCallBandwidthKbps: 576 });

    expect((await h.call(a.token, 'PATCH', company(), { maxCallBandwidthKbps: null })).body).toMatchObject({ maxCallBandwidthKbps: null });
    expect((await h.call(a.token, 'GET', `${company()}/limits`)).body).toMatchObject({ maxCallBandwidthKbps: 2400 });
  });

  it('can be given at creation', async () => {
    const c = await h.call(a.token, 'POST', `${api}/companies`, { name: 'Frugal Ltd', maxCallBandwidthKbps: 1200 });
    expect(c.status, c.text).toBe(201);
    expect(c.body).toMatchObject({ maxCallBandwidthKbps: 1200 });
  });

  it('refuses values outside 64-4000 whole kbps, with the field named', async () => {
    for (const bad of [63, 0, -576, 4001, 1e9, 576.5, '576', true]) {
      const r = await h.call(a.token, 'PATCH', company(), { maxCallBandwidthKbps: bad });
      expect(r.status, `${String(bad)}: ${r.text}`).toBe(400);
      expect(r.text).toContain('maxCallBandwidthKbps');
    }
    expect((await h.call(a.token, 'GET', company())).body).toMatchObject({ maxCallBandwidthKbps: null });
  });

  it('is a partner setting: a company administrator cannot raise its own cap', async () => {
    const r = await h.call(a.companyAdminToken, 'PATCH', company(), { maxCallBandwidthKbps: 4000 });
    expect(r.status).toBe(403);
  });

  it('every change is in the audit log with the company before and after', async () => {
    await h.call(a.token, 'PATCH', company(), { maxCallBandwidthKbps: 768 });
    const items = list((await h.call(a.token, 'GET', `${api}/audit?limit=200&route=companies&method=PATCH`)).body.items);
    const change = items.find((e) => e.request?.maxCallBandwidthKbps !== undefined && Number(e.request.maxCallBandwidthKbps) === 768);
    expect(change).toMatchObject({ targets: { companyId: a.companyId }, before: { id: a.companyId, maxCallBandwidthKbps: null }, after: { maxCallBandwidthKbps: 768 }, outcome: { status: 200 } });
    // Refused attempts are recorded too.
    expect(items.some((e) => Number(e.outcome?.status) === 403 && str(e.actor?.role) === 'company_admin')).toBe(true);
  });

  it('is documented in the API document from its schema', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/api/docs' });
    const patch = JSON.stringify((JSON.parse(doc.body) as { paths: Record<string, Record<string, unknown>> }).paths['/api/v1/companies/{companyId}']?.patch);
    expect(patch).toContain('maxCallBandwidthKbps');
    expect(patch).toContain('unregistered callers');
  });
});
