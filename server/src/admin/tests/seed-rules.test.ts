/**
 * Issue 12, finding 7 — the seed rules the admin used to bend, through the API on a real Redis and
 * a real DNS server (dnsmasq):
 * - Microsoft 365 auto-verification only from the MS=ms… TXT record in DNS, never a typed list;
 * - ERC Basic quantity only stays or goes down, at renewal;
 * - plan actions by plan type (seed 002), auto-renew off → the plan lapses, cancellation;
 * - endpoint tier changes that never overdraw a tier under hundreds of concurrent changes;
 * - deleting a company releases its addresses and keeps its records for the retention period.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTypes, type PlanAction } from '../licences/index.js';
import type { Company } from '../model.js';
import { keys, OrgRepository } from '../store/index.js';
import { companyWithPlans, list, startHarness, str, type Harness } from '../testing.js';
import { freeDnsPort, startDnsmasq } from './dnsmasq.js';

const api = '/api/v1';
const DAY = 86_400_000;
let h: Harness;
let dns: { stop(): Promise<void> };

beforeAll(async () => {
  const port = await freeDnsPort();
  dns = await startDnsmasq(port, [
    // Verified in Microsoft 365: the record sits at the root, next to unrelated TXT records.
    'm365corp.test,"MS=ms12345678"',
    'm365corp.test,"v=spf1 include:spf.protection.outlook.com -all"',
    // Only a subdomain is verified in Microsoft 365: it does not vouch for its root.
    'teams.rootonly.test,"MS=ms87654321"',
    // Look-alikes that are not Microsoft's record.
    'lookalike.test,"MS=msabcdefgh"',
    'lookalike2.test,"ms=ms12345678"',
    'lookalike3.test,"x MS=ms12345678"',
  ]);
  h = await startHarness({ domainVerification: { secret: 'seed-rules-secret-0123456789', resolverServers: [`127.0.0.1:${port}`] } });
});
afterAll(async () => {
  await h?.close();
  await dns?.stop();
});

const post = (path: string, body?: unknown) => h.call(h.partnerToken, 'POST', `${api}${path}`, body);

async function companyObj(id: string): Promise<Company> {
  const c = await h.admin.services.companies.get(id);
  if (!c) throw new Error('company missing');
  return c;
}

/** Creates a plan of any type (incl. renewal-only ERC Basic, as a migrated existing customer). */
async function existingPlan(companyId: string, planType: string, quantity: number, opts: { autoRenew?: boolean; paymentPlan?: 'monthly' | 'annual' } = {}) {
  return h.admin.services.plans.importExisting('migration', await companyObj(companyId), {
    planType, quantity, pricePerLicenceCents: 100, currency: 'EUR', paymentPlan: opts.paymentPlan ?? 'monthly', autoRenew: opts.autoRenew ?? true, costCenter: '', references: '', reference: 'existing',
  });
}

describe('Microsoft 365 auto-verification needs DNS evidence (seed 001)', () => {
  it('a typed Microsoft 365 domain list is refused with field_removed and verifies nothing', async () => {
    const typed = await post('/companies', { name: 'Typist', m365VerifiedDomains: ['typed.test'] });
    expect(typed.status).toBe(400);
    expect(typed.body.error).toMatchObject({ code: 'field_removed', details: { field: 'm365VerifiedDomains' } });

    const cid = await companyWithPlans(h, 'Typist', [{ planType: 'domain_hosting', quantity: 4 }]);
    const patch = await h.call(h.partnerToken, 'PATCH', `${api}/companies/${cid}`, { m365VerifiedDomains: ['typed.test', 'm365corp.test'] });
    expect(patch.status).toBe(400);
    expect(patch.body.error.code).toBe('field_removed');
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}`)).body.m365VerifiedDomains).toBeUndefined();

    // No MS= record in DNS: the domain waits for the normal TXT verification.
    const d = await post(`/companies/${cid}/domains`, { domain: 'typed.test' });
    expect(d.status, d.text).toBe(201);
    expect(d.body).toMatchObject({ verified: false, verifiedBy: null });
    expect(str(d.body.verificationRecord.name)).toBe('_convene-verification.typed.test');
    // Look-alike TXT values are not Microsoft's record.
    for (const domain of ['lookalike.test', 'lookalike2.test', 'lookalike3.test']) {
      const x = await post(`/companies/${cid}/domains`, { domain });
      expect(x.status, x.text).toBe(201);
      expect(x.body.verified, domain).toBe(false);
    }
  });

  it('auto-verifies a domain whose DNS has the MS=ms… record, and its new subdomains', async () => {
    const cid = await companyWithPlans(h, 'M365 Corp', [{ planType: 'domain_hosting', quantity: 3 }]);
    const root = await post(`/companies/${cid}/domains`, { domain: 'M365Corp.test' });
    expect(root.status, root.text).toBe(201);
    expect(root.body).toMatchObject({ domain: 'm365corp.test', verified: true, verifiedBy: 'm365_domain', verificationRecord: null });
    // A new subdomain of a root verified in Microsoft 365 is verified too (seed 001).
    const sub = await post(`/companies/${cid}/domains`, { domain: 'video.m365corp.test' });
    expect(sub.body).toMatchObject({ verified: true });
    // Consumers can use it at once.
    await post(`/companies/${cid}/plans`, { planType: 'enterprise_user', quantity: 1, pricePerLicenceCents: 1, paymentPlan: 'monthly' });
    expect((await post(`/companies/${cid}/team-vmrs`, { name: 'r', localPart: 'room', domain: 'm365corp.test' })).status).toBe(201);
  });

  it('a Microsoft 365 subdomain does not verify a new root (seed 001)', async () => {
    const cid = await companyWithPlans(h, 'Root Only', [{ planType: 'domain_hosting', quantity: 2 }]);
    const root = await post(`/companies/${cid}/domains`, { domain: 'rootonly.test' });
    expect(root.body).toMatchObject({ verified: false });
    const sub = await post(`/companies/${cid}/domains`, { domain: 'teams.rootonly.test' });
    expect(sub.body).toMatchObject({ verified: true, verifiedBy: 'm365_domain' });
    // Verify still only accepts our TXT token (or the MS= record) for the root: neither is there.
    const v = await post(`/companies/${cid}/domains/${str(root.body.id)}/verify`);
    expect(v.body).toMatchObject({ verified: false, lastVerifyFailure: 'record_missing' });
  });
});

describe('plan actions by plan type (seed 002)', () => {
  it('ERC Basic: the quantity never goes up; it may go down only at renewal', async () => {
    const cid = await companyWithPlans(h, 'Erc Co', []);
    const erc = await existingPlan(cid, 'erc_basic_microsoft', 5, { autoRenew: false, paymentPlan: 'annual' });
    const url = `/companies/${cid}/plans/${erc.id}`;

    const raise = await post(`${url}/quantity`, { quantity: 6 });
    expect(raise.status).toBe(409);
    expect(raise.body.error).toMatchObject({ code: 'quantity_increase_not_allowed', details: { planType: 'erc_basic_microsoft' } });
    const lowerNow = await post(`${url}/quantity`, { quantity: 4 });
    expect(lowerNow.status).toBe(409);
    expect(lowerNow.body.error).toMatchObject({ code: 'plan_action_not_allowed', details: { action: 'decrease' } });
    const raiseAtRenewal = await post(`${url}/renew`, { quantity: 7 });
    expect(raiseAtRenewal.status).toBe(409);
    expect(raiseAtRenewal.body.error.code).toBe('quantity_increase_not_allowed');

    const lower = await post(`${url}/renew`, { quantity: 3, reference: 'PO-erc' });
    expect(lower.status, lower.text).toBe(200);
    expect(lower.body).toMatchObject({ quantity: 3, renewalDate: '2028-01-15T12:00:00.000Z' });
    const same = await post(`${url}/renew`, {});
    expect(same.body.quantity).toBe(3);
    const lic = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/licences`);
    expect(list(lic.body).find((r) => str(r.pool) === 'connect_microsoft')).toMatchObject({ capacity: 3 });
    // Still renewal-only: no new order, no cadence change.
    expect((await post(`/companies/${cid}/plans`, { planType: 'erc_basic_microsoft', quantity: 1, pricePerLicenceCents: 1, paymentPlan: 'annual' })).body.error.code).toBe('plan_not_orderable');
    expect((await post(`${url}/payment-plan`, { paymentPlan: 'monthly' })).body.error.code).toBe('plan_action_not_allowed');
    const listed = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`)).body);
    expect(listed[0]?.actions).toEqual(['renew', 'auto_renew', 'cancel']);
  });

  it('every plan type offers exactly its actions; the API refuses the others with a clear code', async () => {
    const types = await h.call(h.partnerToken, 'GET', `${api}/plan-types`);
    expect(list(types.body)).toHaveLength(planTypes().length);
    const tried: Record<string, Record<string, number>> = {};
    for (const type of planTypes()) {
      const cid = await companyWithPlans(h, `Actions ${type.id}`, type.id === 'byoc' ? [{ planType: 'endpoint_basic', quantity: 100 }] : []);
      const plan = await existingPlan(cid, type.id, 10);
      const url = `/companies/${cid}/plans/${plan.id}`;
      const attempts: [PlanAction, string, unknown][] = [
        ['increase', 'quantity', { quantity: 12 }],
        ['decrease', 'quantity', { quantity: 8 }],
        ['payment_plan', 'payment-plan', { paymentPlan: 'annual' }],
        ['renew', 'renew', {}],
        ['auto_renew', 'auto-renew', { autoRenew: false }],
        ['cancel', 'cancel', {}],
      ];
      tried[type.id] = {};
      for (const [action, path, body] of attempts) {
        const r = await post(`${url}/${path}`, body);
        tried[type.id]![action] = r.status;
        if (type.actions.includes(action)) {
          expect(r.status, `${type.id} ${action}: ${r.text}`).toBe(200);
        } else {
          expect(r.status, `${type.id} ${action}`).toBe(409);
          const code = action === 'increase' && type.category === 'erc_basic' ? 'quantity_increase_not_allowed' : 'plan_action_not_allowed';
          expect(r.body.error.code, `${type.id} ${action}`).toBe(code);
        }
      }
    }
    // Spot checks of the table against seed 002.
    expect(tried.enterprise_user).toEqual({ increase: 200, decrease: 200, payment_plan: 200, renew: 200, auto_renew: 200, cancel: 200 });
    expect(tried.enterprise_wide).toMatchObject({ increase: 409, decrease: 409, renew: 200, cancel: 200 });
    expect(tried.ps_otj_install_basic).toEqual({ increase: 409, decrease: 409, payment_plan: 409, renew: 409, auto_renew: 409, cancel: 200 });
    expect(tried.erc_basic_google).toEqual({ increase: 409, decrease: 409, payment_plan: 409, renew: 200, auto_renew: 200, cancel: 200 });
  });

  it('a one-off Professional Services order never renews; an EWA has no quantity to renew with', async () => {
    const cid = await companyWithPlans(h, 'One-off', []);
    const ps = await post(`/companies/${cid}/plans`, { planType: 'ps_erm_install', quantity: 1, pricePerLicenceCents: 100000, paymentPlan: 'monthly', autoRenew: true });
    expect(ps.status, ps.text).toBe(201);
    expect(ps.body).toMatchObject({ autoRenew: false, actions: ['cancel'] });
    const ewa = await post(`/companies/${cid}/plans`, { planType: 'enterprise_wide', quantity: 1, pricePerLicenceCents: 100, paymentPlan: 'annual' });
    const r = await post(`/companies/${cid}/plans/${str(ewa.body.id)}/renew`, { quantity: 5 });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'plan_action_not_allowed', details: { action: 'renew' } });
  });

  it('auto-renew off lets the plan lapse at its end: the expiry job ends it and deactivates its consumers', async () => {
    const cid = await companyWithPlans(h, 'Lapsing', [{ planType: 'enterprise_user', quantity: 2, paymentPlan: 'monthly' }, { planType: 'endpoint_basic', quantity: 1, paymentPlan: 'monthly' }]);
    const plans = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`)).body);
    const eul = plans.find((p) => str(p.planType) === 'enterprise_user');
    const ep = plans.find((p) => str(p.planType) === 'endpoint_basic');
    const team = await post(`/companies/${cid}/team-vmrs`, { name: 'room', localPart: 'lapsing-room' });
    const endpoint = await post(`/companies/${cid}/endpoints`, { name: 'e', localPart: 'lapsing-ep', tier: 'basic' });

    const off = await post(`/companies/${cid}/plans/${str(eul?.id)}/auto-renew`, { autoRenew: false, reference: 'let it lapse' });
    expect(off.status, off.text).toBe(200);
    expect(off.body).toMatchObject({ autoRenew: false, status: 'active' });
    // Off and on again: it keeps renewing.
    await post(`/companies/${cid}/plans/${str(ep?.id)}/auto-renew`, { autoRenew: false });
    await post(`/companies/${cid}/plans/${str(ep?.id)}/auto-renew`, { autoRenew: true });

    h.admin.startJobs();
    try {
      h.clock.advance(20 * DAY);
      await h.admin.jobs.idle();
      expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs/${str(team.body.team.id)}`)).body.team.state).toBe('active');
      h.clock.advance(12 * DAY); // past the renewal date (one month after ordering)
      await h.admin.jobs.idle();
    } finally {
      h.admin.stopJobs();
    }
    const after = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`)).body);
    expect(after.find((p) => str(p.planType) === 'enterprise_user')).toMatchObject({ status: 'expired', actions: ['renew'] });
    expect(after.find((p) => str(p.planType) === 'endpoint_basic')).toMatchObject({ status: 'active', autoRenew: true });
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs/${str(team.body.team.id)}`)).body.team).toMatchObject({ state: 'inactive', deactivatedReason: 'licence_lapsed' });
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints/${str(endpoint.body.id)}`)).body.state).toBe('active');
    const changes = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders`)).body.items).map((e) => str(e.change));
    expect(changes).toEqual(expect.arrayContaining(['auto_renew_off', 'auto_renew_on', 'expiry', 'auto_renewal', 'consumers_deactivated']));
    // A lapsed plan can't be changed, only renewed.
    expect((await post(`/companies/${cid}/plans/${str(eul?.id)}/quantity`, { quantity: 3 })).body.error.code).toBe('plan_expired');
  });

  it('cancelling ends the plan at the end of its paid term, and is final', async () => {
    const cid = await companyWithPlans(h, 'Cancelling', [{ planType: 'enterprise_user', quantity: 2, paymentPlan: 'annual' }]);
    const plan = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`)).body)[0];
    const url = `/companies/${cid}/plans/${str(plan?.id)}`;
    h.clock.advance(40 * DAY);
    const c = await post(`${url}/cancel`, { reference: 'customer left' });
    expect(c.status, c.text).toBe(200);
    expect(c.body).toMatchObject({ autoRenew: false, status: 'active', actions: [], renewalDate: str(plan?.renewalDate) });
    expect(str(c.body.cancelledAt)).toBe(new Date(h.clock.now()).toISOString());
    for (const [path, body] of [['quantity', { quantity: 3 }], ['renew', {}], ['auto-renew', { autoRenew: true }], ['cancel', {}]] as const) {
      const r = await post(`${url}/${path}`, body);
      expect(r.status, path).toBe(409);
      expect(r.body.error.code, path).toBe('plan_cancelled');
    }
    // The paid term still runs: its licences count until the renewal date.
    expect((await post(`/companies/${cid}/team-vmrs`, { name: 'r', localPart: 'cancel-room' })).status).toBe(201);
    h.clock.advance(330 * DAY);
    await h.admin.jobs.runExpiry();
    const ended = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`)).body)[0];
    expect(ended).toMatchObject({ status: 'expired', actions: [] });
    const events = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders`)).body.items).map((e) => str(e.change));
    expect(events).toEqual(expect.arrayContaining(['cancellation', 'expiry', 'consumers_deactivated']));
  });
});

describe('changing an endpoint tier', () => {
  it('swaps the licence; refuses a tier without a free licence; a no-op for the same tier', async () => {
    const cid = await companyWithPlans(h, 'Tier Co', [{ planType: 'endpoint_basic', quantity: 2 }, { planType: 'endpoint_premium', quantity: 1 }]);
    const a = await post(`/companies/${cid}/endpoints`, { name: 'a', localPart: 'tier-a', tier: 'basic' });
    const b = await post(`/companies/${cid}/endpoints`, { name: 'b', localPart: 'tier-b', tier: 'basic' });
    const up = await post(`/companies/${cid}/endpoints/${str(a.body.id)}/tier`, { tier: 'premium' });
    expect(up.status, up.text).toBe(200);
    expect(up.body).toMatchObject({ tier: 'premium', bandwidthKbps: 4000, pool: 'endpoint_premium' });
    expect(up.body.sipPassword).toBeUndefined();
    expect(await h.admin.repos.endpointTier('tier-a@convene.example')).toEqual({ tier: 'premium', bandwidthKbps: 4000 });
    const full = await post(`/companies/${cid}/endpoints/${str(b.body.id)}/tier`, { tier: 'premium' });
    expect(full.status).toBe(409);
    expect(full.body.error).toMatchObject({ code: 'no_licence_available', details: { pool: 'endpoint_premium', capacity: 1, used: 1 } });
    const none = await post(`/companies/${cid}/endpoints/${str(b.body.id)}/tier`, { tier: 'plus' });
    expect(none.body.error).toMatchObject({ code: 'no_licence_available', details: { pool: 'endpoint_plus' } });
    expect((await post(`/companies/${cid}/endpoints/${str(a.body.id)}/tier`, { tier: 'premium' })).body.tier).toBe('premium');
    const lic = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/licences`)).body);
    expect(lic.find((r) => str(r.pool) === 'endpoint_basic')).toMatchObject({ used: 1, available: 1 });
    expect(lic.find((r) => str(r.pool) === 'endpoint_premium')).toMatchObject({ used: 1, available: 0 });
    expect((await post(`/companies/${cid}/endpoints/${str(b.body.id)}/tier`, { tier: 'gold' })).body.error.code).toBe('bad_request');
  });

  it('300 concurrent tier changes never put more endpoints on a tier than it has licences', async () => {
    const licences = { basic: 24, plus: 6, premium: 3 } as const;
    const cid = await companyWithPlans(h, 'Tier Race', [
      { planType: 'endpoint_basic', quantity: licences.basic },
      { planType: 'endpoint_plus', quantity: licences.plus },
      { planType: 'endpoint_premium', quantity: licences.premium },
    ]);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const e = await post(`/companies/${cid}/endpoints`, { name: `e${i}`, localPart: `tier-race-${i}`, tier: 'basic' });
      expect(e.status, e.text).toBe(201);
      ids.push(str(e.body.id));
    }
    const tiers = ['premium', 'plus', 'basic', 'premium', 'plus'] as const;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => post(`/companies/${cid}/endpoints/${ids[i % ids.length]}/tier`, { tier: tiers[i % tiers.length] })),
    );
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 409);
    expect(ok + refused.length).toBe(300);
    expect(ok).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.body.error.code).toBe('no_licence_available');

    const endpoints = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints?limit=200`)).body.items);
    expect(endpoints).toHaveLength(20);
    const count = { basic: 0, plus: 0, premium: 0 };
    for (const e of endpoints) {
      const tier = str(e.tier) as keyof typeof count;
      count[tier]++;
      expect(e).toMatchObject({ state: 'active', pool: `endpoint_${tier}`, bandwidthKbps: { basic: 768, plus: 1500, premium: 4000 }[tier] });
    }
    for (const t of ['basic', 'plus', 'premium'] as const) expect(count[t], t).toBeLessThanOrEqual(licences[t]);
    // The usage counters agree with the records.
    const lic = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/licences`)).body);
    for (const t of ['basic', 'plus', 'premium'] as const) expect(lic.find((r) => str(r.pool) === `endpoint_${t}`)?.used, t).toBe(count[t]);
  });
});

describe('deleting a company', () => {
  it('deactivates its consumers, releases their addresses for another company, and keeps its records until the retention ends', async () => {
    const cid = await companyWithPlans(h, 'Doomed', [{ planType: 'enterprise_user', quantity: 5 }, { planType: 'endpoint_plus', quantity: 2 }, { planType: 'domain_hosting', quantity: 1 }]);
    const admin = await post(`/companies/${cid}/admins`, { name: 'Doomed admin' });
    const adminToken = str(admin.body.token);
    const team = await post(`/companies/${cid}/team-vmrs`, { name: 'Board', localPart: 'doomed-board' });
    const vmrNumericId = str(team.body.vmr.numericId);
    await post(`/companies/${cid}/endpoints`, { name: 'Room', localPart: 'doomed-room', tier: 'plus' });
    await post(`/companies/${cid}/users`, { name: 'Dora', email: 'dora@doomed.test', localPart: 'dora.doomed' });
    await post(`/companies/${cid}/domains`, { domain: 'doomed.test' });
    await h.admin.repos.writeCdr({
      id: 'cdr-doomed-1', companyId: cid, kind: 'meeting', vmrId: str(team.body.vmr.id), memberId: null, endpointId: null, direction: 'inbound', protocol: 'webrtc',
      from: 'guest', to: 'doomed-board@convene.example', displayName: 'Guest', remoteAddress: '127.0.0.1', codecs: { audio: 'opus', video: 'VP8' }, bandwidthKbps: 1000,
      startedAt: new Date(h.clock.now()).toISOString(), endedAt: null, durationMs: null, quality: { packetLossPct: null, jitterMs: null, mos: null }, endReason: null, anonymized: false,
    });

    // Only its own partner's admin may delete it.
    expect((await h.call(adminToken, 'DELETE', `${api}/companies/${cid}`)).status).toBe(403);
    const other = await post('/partners', { name: 'Other partner' });
    expect((await h.call(str(other.body.token), 'DELETE', `${api}/companies/${cid}`)).status).toBe(404);

    const del = await h.call(h.partnerToken, 'DELETE', `${api}/companies/${cid}`);
    expect(del.status, del.text).toBe(200);
    expect(del.body).toMatchObject({ consumersDeactivated: 4, plansEnded: 3 });
    // team VMR address + numeric id, endpoint address, user personal + VMR address + numeric id, domain.
    expect(del.body.addressesReleased).toBe(7);
    expect(str(del.body.company?.recordsKeptUntil)).toBe(new Date(h.clock.now() + 365 * DAY).toISOString());

    // Gone for its own admin and from the partner's list; read-only records for the partner.
    expect((await h.call(adminToken, 'GET', `${api}/companies/${cid}`)).status).toBe(404);
    const listed = list((await h.call(h.partnerToken, 'GET', `${api}/companies?limit=200`)).body.items);
    expect(listed.map((c) => str(c.id))).not.toContain(cid);
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}`)).body).toMatchObject({ id: cid, deletedAt: expect.any(String) });
    const orders = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders`)).body.items).map((e) => str(e.change));
    expect(orders.filter((c) => c === 'new_order')).toHaveLength(3);
    expect(orders.filter((c) => c === 'company_deleted')).toHaveLength(3);
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/calls`)).body.total).toBe(1);
    const again = await h.call(h.partnerToken, 'DELETE', `${api}/companies/${cid}`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('company_deleted');
    expect((await post(`/companies/${cid}/team-vmrs`, { name: 'x', localPart: 'doomed-late' })).body.error.code).toBe('company_deleted');
    expect(await h.admin.repos.getVmrByAddress('doomed-board@convene.example')).toBeNull();
    expect(await h.admin.repos.getVmrByNumericId(vmrNumericId)).toBeNull();

    // Another company claims every released address and the domain.
    const heir = await companyWithPlans(h, 'Heir', [{ planType: 'enterprise_user', quantity: 5 }, { planType: 'endpoint_plus', quantity: 2 }, { planType: 'domain_hosting', quantity: 1 }]);
    expect((await post(`/companies/${heir}/team-vmrs`, { name: 'Board', localPart: 'doomed-board' })).status).toBe(201);
    expect((await post(`/companies/${heir}/endpoints`, { name: 'Room', localPart: 'doomed-room', tier: 'plus' })).status).toBe(201);
    expect((await post(`/companies/${heir}/users`, { name: 'Dora', email: 'dora@heir.test', localPart: 'dora.doomed' })).status).toBe(201);
    expect((await post(`/companies/${heir}/domains`, { domain: 'doomed.test' })).status).toBe(201);
    expect((await h.admin.repos.getVmrByAddress('doomed-board@convene.example'))?.companyId).toBe(heir);

    // After the retention period the records are purged.
    h.clock.advance(364 * DAY);
    expect((await h.admin.jobs.runRetention()).companiesPurged).not.toContain(cid);
    h.clock.advance(2 * DAY);
    expect((await h.admin.jobs.runRetention()).companiesPurged).toContain(cid);
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders`)).status).toBe(404);
    expect(await h.redis.client.keys(`${keys.plans(cid).replace(/plans$/, '')}*`)).toEqual([]);
    // The heir's claims were never touched.
    expect((await h.admin.repos.getVmrByAddress('doomed-board@convene.example'))?.companyId).toBe(heir);
  });

  it('the expiry job finishes a deletion that was interrupted after the company was flagged', async () => {
    const cid = await companyWithPlans(h, 'Interrupted', [{ planType: 'enterprise_user', quantity: 2 }]);
    await post(`/companies/${cid}/team-vmrs`, { name: 'r', localPart: 'interrupted-room' });
    const company = await companyObj(cid);
    // The node died right after flagging the company: nothing was swept yet.
    expect(await new OrgRepository(h.redis.client).markCompanyDeleted({ ...company, deletedAt: new Date(h.clock.now()).toISOString(), recordsKeptUntil: new Date(h.clock.now() + DAY).toISOString() })).toBe(true);
    expect((await h.admin.repos.getVmrByAddress('interrupted-room@convene.example'))?.state).toBe('active');
    await h.admin.jobs.runExpiry();
    expect(await h.admin.repos.getVmrByAddress('interrupted-room@convene.example')).toBeNull();
    const rooms = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs`)).body.items);
    expect(rooms[0]).toMatchObject({ state: 'inactive', deactivatedReason: 'company_deleted' });
    expect(list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`)).body)[0]).toMatchObject({ status: 'expired' });
  });

  it('creates racing a deletion never leave an active consumer or a claimed address behind', async () => {
    const cid = await companyWithPlans(h, 'Raced', [{ planType: 'enterprise_user', quantity: 300 }]);
    const creates = Array.from({ length: 200 }, (_, i) => post(`/companies/${cid}/team-vmrs`, { name: `r${i}`, localPart: `raced-room-${i}` }));
    const [del, ...results] = await Promise.all([h.call(h.partnerToken, 'DELETE', `${api}/companies/${cid}`), ...creates]);
    expect(del.status, del.text).toBe(200);
    for (const r of results) expect([201, 409]).toContain(r.status);
    // Creates that lost the race were refused; any that won were retired by the sweep.
    const rooms = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs?limit=200`)).body.items);
    expect(rooms.filter((r) => str(r.state) !== 'inactive')).toEqual([]);
    for (let i = 0; i < 200; i++) expect(await h.admin.repos.getVmrByAddress(`raced-room-${i}@convene.example`), `raced-room-${i}`).toBeNull();
    expect(Number((await h.redis.client.hGetAll(keys.usage(cid))).eul ?? 0)).toBe(0);
  });
});

describe('API document', () => {
  it('declares the new routes with their schemas', async () => {
    const doc = await h.app.inject({ method: 'GET', url: '/api/docs' });
    const paths = (JSON.parse(doc.body) as { paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>> }).paths;
    expect(paths['/api/v1/companies/{companyId}']?.delete?.responses['200']).toBeDefined();
    expect(paths['/api/v1/companies/{companyId}/endpoints/{id}/tier']?.post?.requestBody).toBeDefined();
    for (const action of ['auto-renew', 'cancel', 'renew']) expect(paths[`/api/v1/companies/{companyId}/plans/{id}/${action}`]?.post?.requestBody, action).toBeDefined();
    expect(JSON.stringify(paths['/api/v1/companies']?.post?.requestBody)).not.toContain('m365VerifiedDomains');
    expect(JSON.stringify(paths['/api/v1/plan-types'])).toContain('renewalQuantity');
  });
});
