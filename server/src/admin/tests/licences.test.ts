import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyWithPlans, list, startHarness, str, type Harness } from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const api = '/api/v1';

describe('licence checks are atomic', () => {
  it('20 concurrent team-VMR creates against 3 EULs: exactly 3 succeed', async () => {
    const cid = await companyWithPlans(h, 'Race Ltd', [{ planType: 'enterprise_user', quantity: 3 }]);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: `Room ${i}`, localPart: `room-${String(i).padStart(2, '0')}x` })),
    );
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(17);
    for (const r of refused) expect(r.body.error.code).toBe('no_licence_available');
    const lic = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/licences`);
    expect(list(lic.body).find((row) => str(row.pool) === 'eul')).toMatchObject({ capacity: 3, used: 3, available: 0 });
    const listing = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs`);
    expect(listing.body.total).toBe(3);
  });

  it('20 concurrent endpoint creates through the service against 3 Premium licences', async () => {
    const cid = await companyWithPlans(h, 'Race 2', [{ planType: 'endpoint_premium', quantity: 3 }]);
    const company = await h.admin.services.companies.get(cid);
    if (!company) throw new Error('company missing');
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => h.admin.services.consumers.createEndpoint(company, { name: `E${i}`, localPart: `endpoint${i}`, domain: 'convene.example', tier: 'premium' })),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
  });
});

describe('licence types', () => {
  it('needs an EUL per user/team VMR, unless the company has an Enterprise Wide Agreement', async () => {
    const none = await companyWithPlans(h, 'No plans', []);
    const r = await h.call(h.partnerToken, 'POST', `${api}/companies/${none}/team-vmrs`, { name: 'x', localPart: 'teamroom' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'no_licence_available', details: { pool: 'eul' } });

    const ewa = await companyWithPlans(h, 'Big Corp', [{ planType: 'enterprise_wide', quantity: 1 }]);
    for (let i = 0; i < 5; i++) {
      const t = await h.call(h.partnerToken, 'POST', `${api}/companies/${ewa}/team-vmrs`, { name: `t${i}`, localPart: `bigroom${i}` });
      expect(t.status, t.text).toBe(201);
    }
    const limits = await h.call(h.partnerToken, 'GET', `${api}/companies/${ewa}/limits`);
    expect(limits.body).toMatchObject({ perMeeting: 100, companyConcurrent: null });
  });

  it('an endpoint needs a licence of its tier, which sets its bandwidth', async () => {
    const cid = await companyWithPlans(h, 'Tiers', [{ planType: 'endpoint_basic', quantity: 1 }, { planType: 'endpoint_premium', quantity: 1 }]);
    const basic = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'A', localPart: 'roomsys-a', tier: 'basic' });
    expect(basic.body).toMatchObject({ tier: 'basic', bandwidthKbps: 768, state: 'active', pool: 'endpoint_basic' });
    const plus = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'B', localPart: 'roomsys-b', tier: 'plus' });
    expect(plus.status).toBe(409);
    expect(plus.body.error.details.pool).toBe('endpoint_plus');
    const prem = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'C', localPart: 'roomsys-c', tier: 'premium' });
    expect(prem.body.bandwidthKbps).toBe(4000);
    expect(prem.body.sipPassword).toBeUndefined();
    const tier = await h.admin.repos.endpointTier('roomsys-c@convene.example');
    expect(tier).toEqual({ tier: 'premium', bandwidthKbps: 4000 });
  });

  it('a custom domain needs Domain Hosting; Connect Standard includes one', async () => {
    const bare = await companyWithPlans(h, 'Bare', [{ planType: 'enterprise_user', quantity: 1 }]);
    const refused = await h.call(h.partnerToken, 'POST', `${api}/companies/${bare}/domains`, { domain: 'bare.example.com' });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'no_licence_available', details: { pool: 'domain_hosting' } });
    // A subdomain of the default domain is not custom: no licence, verified at once.
    const sub = await h.call(h.partnerToken, 'POST', `${api}/companies/${bare}/domains`, { domain: 'bare.convene.example' });
    expect(sub.status, sub.text).toBe(201);
    expect(sub.body).toMatchObject({ verified: true, verifiedBy: 'default_domain', pool: '' });

    const connect = await companyWithPlans(h, 'Connected', [{ planType: 'connect_standard_microsoft', quantity: 5 }]);
    const d1 = await h.call(h.partnerToken, 'POST', `${api}/companies/${connect}/domains`, { domain: 'connected.example.com' });
    expect(d1.status, d1.text).toBe(201);
    expect(d1.body.verified).toBe(false);
    expect(d1.body.verificationRecord.type).toBe('TXT');
    const d2 = await h.call(h.partnerToken, 'POST', `${api}/companies/${connect}/domains`, { domain: 'second.example.org' });
    expect(d2.body.error.code).toBe('no_licence_available');
  });

  it('BYOC licences may not exceed Endpoint licences', async () => {
    const cid = await companyWithPlans(h, 'Byoc', [{ planType: 'endpoint_basic', quantity: 2 }, { planType: 'endpoint_plus', quantity: 1 }]);
    const tooMany = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'byoc', quantity: 4, pricePerLicenceCents: 100, paymentPlan: 'monthly' });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error).toMatchObject({ code: 'byoc_exceeds_endpoints', details: { byoc: 4, endpoints: 3 } });
    const ok = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'byoc', quantity: 3, pricePerLicenceCents: 100, paymentPlan: 'monthly' });
    expect(ok.status).toBe(201);
    // Reducing endpoint licences below the BYOC count is refused too.
    const plans = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`);
    const basic = list(plans.body).find((p) => str(p.planType) === 'endpoint_basic');
    const shrink = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans/${str(basic?.id)}/quantity`, { quantity: 1 });
    expect(shrink.body.error.code).toBe('byoc_exceeds_endpoints');
  });
});

describe('licence plans and order history', () => {
  it('ERC Basic can be renewed but not newly ordered', async () => {
    const cid = await companyWithPlans(h, 'Erc', []);
    const order = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'erc_basic_microsoft', quantity: 2, pricePerLicenceCents: 100, paymentPlan: 'annual' });
    expect(order.status).toBe(409);
    expect(order.body.error.code).toBe('plan_not_orderable');
    const company = await h.admin.services.companies.get(cid);
    if (!company) throw new Error('missing');
    const legacy = await h.admin.services.plans.importExisting('migration', company, {
      planType: 'erc_basic_microsoft', quantity: 2, pricePerLicenceCents: 100, currency: 'EUR', paymentPlan: 'annual', autoRenew: false, costCenter: '', references: '', reference: 'legacy',
    });
    const renew = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans/${legacy.id}/renew`, { reference: 'PO-1' });
    expect(renew.status, renew.text).toBe(200);
    expect(Date.parse(str(renew.body.renewalDate))).toBeGreaterThan(Date.parse(legacy.renewalDate));
    // ERC includes 1 Domain Hosting licence.
    const lic = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/licences`);
    expect(list(lic.body).find((r) => str(r.pool) === 'domain_hosting')).toMatchObject({ capacity: 1 });
  });

  it('plan actions write order events with the seed fields; history is searchable and downloads as CSV', async () => {
    const c = await h.call(h.partnerToken, 'POST', `${api}/companies`, { name: 'Orders Inc' });
    const cid = str(c.body.id);
    const p = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, {
      planType: 'enterprise_user', quantity: 10, pricePerLicenceCents: 1250, paymentPlan: 'monthly', costCenter: 'CC-7', references: 'PO "42", Oslo', reference: 'first, "quoted"',
    });
    expect(p.body).toMatchObject({ quantity: 10, pricePerLicenceCents: 1250, paymentPlan: 'monthly', costCenter: 'CC-7', references: 'PO "42", Oslo', status: 'active', sku: 'CNV-EUL' });
    expect(p.body.startDate).toBe('2026-01-15T12:00:00.000Z');
    expect(p.body.renewalDate).toBe('2026-02-15T12:00:00.000Z');
    const pid = str(p.body.id);
    h.clock.advance(60_000);
    expect((await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans/${pid}/quantity`, { quantity: 12, reference: '=HYPERLINK()' })).body.quantity).toBe(12);
    h.clock.advance(60_000);
    expect((await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans/${pid}/payment-plan`, { paymentPlan: 'annual' })).body.paymentPlan).toBe('annual');
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'endpoint_basic', quantity: 2, pricePerLicenceCents: 500, paymentPlan: 'quarterly' });

    const all = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders`);
    expect(all.body.total).toBe(4);
    const newest = list(all.body.items);
    expect(newest.map((e) => str(e.change))).toEqual(['new_order', 'payment_plan_change', 'quantity_change', 'new_order']);
    expect(newest[2]).toMatchObject({ user: 'bootstrap admin', sku: 'CNV-EUL', product: 'Enterprise User License', paymentPlan: 'monthly', newQuantity: 12, at: '2026-01-15T12:01:00.000Z' });

    const bySku = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders?sku=CNV-EP-BAS`);
    expect(bySku.body.total).toBe(1);
    const byText = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders?q=quoted`);
    expect(byText.body.total).toBe(1);
    const byDate = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders?from=2026-01-15T12:00:30.000Z&to=2026-01-15T12:01:30.000Z`);
    expect(list(byDate.body.items).map((e) => str(e.change))).toEqual(['quantity_change']);
    const paged = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders?limit=2&offset=2`);
    expect(paged.body).toMatchObject({ total: 4, offset: 2, limit: 2 });
    expect(list(paged.body.items)).toHaveLength(2);

    const csv = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders.csv`);
    expect(csv.status).toBe(200);
    expect(String(csv.headers['content-type'])).toContain('text/csv');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('"Date/Time (UTC)","User","SKU","Product","Payment Plan","Reference","Change","New Qty"');
    expect(lines).toHaveLength(5);
    expect(csv.text).toContain('"first, ""quoted"""');
    expect(csv.text).toContain(`"'=HYPERLINK()"`);
  });

  it('refuses lowering a quantity below what consumers use', async () => {
    const cid = await companyWithPlans(h, 'Shrink', [{ planType: 'enterprise_user', quantity: 2 }]);
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'a', localPart: 'shrink-a' });
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'b', localPart: 'shrink-b' });
    const plan = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`)).body)[0];
    const r = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans/${str(plan?.id)}/quantity`, { quantity: 1 });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'quantity_below_usage', details: { pool: 'eul', used: 2 } });
  });

  it('counts licence refusals by reason in the registry', async () => {
    const text = await h.registry.metrics();
    expect(text).toMatch(/convene_admin_licence_refusals_total\{reason="no_licence_available",pool="eul"\} \d+/);
    expect(text).toMatch(/convene_admin_consumers\{kind="team_vmr",state="active"\} \d+/);
  });
});
