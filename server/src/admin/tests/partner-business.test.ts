/**
 * Issue 13 through the admin API (real Redis, ManualClock): closing Evaluation Mode ends trial
 * consumers at once, licence figures and errors a partner can act on, pricing only for the
 * partner, company-admin tokens, one searchable order reference, rooms with numeric IDs and
 * PIN state, handouts, and provisioning that names a bound SIP listener.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registrarFor } from '../provisioning/index.js';
import { companyWithPlans, list, startHarness, str, type Harness, type Loose } from '../testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.close());

const api = '/api/v1';
const day = 86_400_000;
const inDays = (n: number) => new Date(h.clock.now() + n * day).toISOString();
const states = async (cid: string, path: string) =>
  list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/${path}`)).body.items).map((c) => ({ state: str(c.state), trial: c.trial as unknown as boolean }));
const eulRow = async (cid: string): Promise<Loose | undefined> => list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/licences`)).body).find((r) => str(r.pool) === 'eul');

let seq = 0;
async function companyWithTrials(name: string): Promise<string> {
  const n = ++seq;
  const cid = await companyWithPlans(h, name, [], { evaluationEndsAt: inDays(30) });
  const team = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'Trial room', localPart: `trial.room${n}` });
  expect(team.status, team.text).toBe(201);
  expect(team.body.team.trial).toBe(true);
  const ep = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'Trial ep', localPart: `trial.endpoint${n}`, tier: 'basic' });
  expect(ep.body.trial, ep.text).toBe(true);
  const user = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Trial user', email: 'trial@example.com', localPart: `trial.user${n}` });
  expect(user.body.trial, user.text).toBe(true);
  return cid;
}

describe('closing Evaluation Mode ends the trial consumers at once (bug 1)', () => {
  it('clearing the end date: trials inactive without waiting for the expiry job; usage then matches the licences', async () => {
    const cid = await companyWithTrials('Eval close Ltd');
    const patch = await h.call(h.partnerToken, 'PATCH', `${api}/companies/${cid}`, { evaluationEndsAt: null });
    expect(patch.status, patch.text).toBe(200);
    expect(patch.body.evaluationOpen).toBe(false);
    // No expiry pass has run: the PATCH itself ended them.
    for (const path of ['team-vmrs', 'endpoints', 'users']) expect(await states(cid, path)).toEqual([{ state: 'inactive', trial: true }]);
    const events = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders`)).body.items);
    expect(events.map((e) => str(e.change))).toContain('trial_ended');

    // A trial can't be brought back and no new trial is made.
    const teamId = str(list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs`)).body.items)[0]?.id);
    const back = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs/${teamId}/reactivate`);
    expect(back.body.error?.code).toBe('no_licence_available');

    // 1 Enterprise User License and one paid room: exactly one active team VMR, 1 of 1 in use.
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'enterprise_user', quantity: 1, pricePerLicenceCents: 500, paymentPlan: 'annual' });
    const paid = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'Paid room', localPart: 'paid.room' });
    expect(paid.status, paid.text).toBe(201);
    expect(paid.body.team.trial).toBe(false);
    const active = (await states(cid, 'team-vmrs')).filter((t) => t.state === 'active');
    expect(active).toHaveLength(1);
    expect(await eulRow(cid)).toMatchObject({ capacity: 1, used: 1, available: 0 });
  });

  it('moving the end date into the past ends them at once too', async () => {
    const cid = await companyWithTrials('Eval backdate Ltd');
    await h.call(h.partnerToken, 'PATCH', `${api}/companies/${cid}`, { evaluationEndsAt: inDays(-1) });
    for (const path of ['team-vmrs', 'endpoints', 'users']) expect((await states(cid, path))[0]?.state).toBe('inactive');
  });

  it('the expiry job also ends trials of an evaluation that is closed (not only one whose date passed)', async () => {
    const cid = await companyWithTrials('Eval job Ltd');
    // An evaluation closed by an older build (record without end date, trials still active).
    const company = await h.admin.services.companies.get(cid);
    if (!company) throw new Error('missing');
    await h.admin.services.companies.update(company, { evaluationEndsAt: null });
    expect((await states(cid, 'team-vmrs'))[0]?.state).toBe('active');
    const report = await h.admin.jobs.runExpiry();
    expect(report.deactivated.filter((d) => d.companyId === cid)).toHaveLength(3);
    expect((await states(cid, 'team-vmrs'))[0]?.state).toBe('inactive');
  });

  it('an evaluation whose date passed reads as closed in the API (bug 2)', async () => {
    const cid = await companyWithPlans(h, 'Eval ended Ltd', [], { evaluationEndsAt: inDays(2) });
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}`)).body.evaluationOpen).toBe(true);
    h.clock.advance(3 * day);
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}`)).body.evaluationOpen).toBe(false);
    const listed = list((await h.call(h.partnerToken, 'GET', `${api}/companies`, undefined)).body.items).find((c) => str(c.id) === cid);
    expect(listed?.evaluationOpen).toBe(false);
  });
});

describe('figures and errors a partner can act on', () => {
  it('an Enterprise Wide Agreement is unlimited, with product names on every licence row (bug 3)', async () => {
    const cid = await companyWithPlans(h, 'EWA Corp', [{ planType: 'enterprise_wide', quantity: 1 }, { planType: 'endpoint_plus', quantity: 2 }]);
    const rows = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/licences`)).body);
    expect(rows.find((r) => str(r.pool) === 'eul')).toMatchObject({ product: 'Enterprise User License', capacity: -1, available: null });
    expect(rows.find((r) => str(r.pool) === 'endpoint_plus')).toMatchObject({ product: 'Endpoint License Plus', orderPlanTypes: ['endpoint_plus'], available: 2 });
  });

  it('no licence: the message names the product and what to do, not the pool id', async () => {
    const cid = await companyWithPlans(h, 'No licence Ltd', []);
    const r = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'X', localPart: 'room.system', tier: 'plus' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'no_licence_available', details: { pool: 'endpoint_plus', product: 'Endpoint License Plus', orderPlanTypes: ['endpoint_plus'] } });
    const message = str(r.body.error.message);
    expect(message).toContain('Endpoint License Plus');
    expect(message).toMatch(/Order more on the Licenses & orders tab/);
    expect(message).not.toMatch(/endpoint_plus|\beul\b/);
  });

  it('validation errors name the field and the rule', async () => {
    const cid = await companyWithPlans(h, 'Validation Ltd', []);
    const r = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'enterprise_user', quantity: 1, pricePerLicenceCents: 100, currency: 'EURO', paymentPlan: 'annual' });
    expect(r.status).toBe(400);
    expect(str(r.body.error.message)).toMatch(/currency: must be a three-letter ISO 4217 code/);
    const neg = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'enterprise_user', quantity: 1, pricePerLicenceCents: -300, paymentPlan: 'annual' });
    expect(str(neg.body.error.message)).toMatch(/pricePerLicenceCents: .*>=0/);
  });

  it('a PO number entered once is the plan reference and findable in the order history', async () => {
    const cid = await companyWithPlans(h, 'PO Ltd', []);
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'branding', quantity: 3, pricePerLicenceCents: 100, paymentPlan: 'annual', references: 'PO-4711' });
    const found = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders?q=PO-4711`);
    expect(found.body.total).toBe(1);
    expect(list(found.body.items)[0]?.reference).toBe('PO-4711');
  });
});

describe('who sees and manages what', () => {
  it('pricing and cost centre are the partner\'s: company admins get plans without them', async () => {
    const cid = await companyWithPlans(h, 'Pricing Ltd', [{ planType: 'enterprise_user', quantity: 2 }]);
    const issued = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/admins`, { name: 'Dana' });
    const asPartner = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/plans`)).body)[0];
    expect(asPartner).toHaveProperty('pricePerLicenceCents', 1000);
    const asCompany = await h.call(str(issued.body.token), 'GET', `${api}/companies/${cid}/plans`);
    expect(asCompany.status).toBe(200);
    const plan = list(asCompany.body)[0];
    expect(plan?.quantity).toBe(2);
    for (const field of ['pricePerLicenceCents', 'currency', 'costCenter']) expect(plan).not.toHaveProperty(field);
    expect(asCompany.text).not.toContain('1000');
  });

  it('company admin tokens: listed by name, revoked by id (the token stops working)', async () => {
    const cid = await companyWithPlans(h, 'Tokens Ltd', []);
    const a = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/admins`, { name: 'Erin' });
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/admins`, { name: 'Frank' });
    const listed = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/admins`)).body);
    expect(listed.map((p) => str(p.name))).toEqual(['Erin', 'Frank']);
    expect(JSON.stringify(listed)).not.toContain(str(a.body.token));
    expect((await h.call(str(a.body.token), 'GET', `${api}/me`)).status).toBe(200);
    const erinId = str(listed[0]?.tokenId);
    expect((await h.call(h.partnerToken, 'DELETE', `${api}/companies/${cid}/admins/${erinId}`)).status).toBe(204);
    expect((await h.call(str(a.body.token), 'GET', `${api}/me`)).status).toBe(401);
    expect(list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/admins`)).body).map((p) => str(p.name))).toEqual(['Frank']);
    expect((await h.call(h.partnerToken, 'DELETE', `${api}/companies/${cid}/admins/${erinId}`)).status).toBe(404);
    // A company admin may neither list nor revoke.
    const frank = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/admins`, { name: 'Gina' });
    expect((await h.call(str(frank.body.token), 'GET', `${api}/companies/${cid}/admins`)).status).toBe(403);
  });
});

describe('rooms, handouts, domains and provisioning', () => {
  it('team VMR and user lists carry the numeric ID and whether PINs are set', async () => {
    const cid = await companyWithPlans(h, 'Rooms Ltd', [{ planType: 'enterprise_user', quantity: 5 }]);
    const t = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'Board', localPart: 'board.room' });
    await h.call(h.partnerToken, 'PATCH', `${api}/companies/${cid}/team-vmrs/${str(t.body.team.id)}`, { hostPin: '2468' });
    const row = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs`)).body.items)[0];
    expect(row).toMatchObject({ numericId: str(t.body.vmr.numericId), hostPinSet: true, guestPinSet: false });
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Ivy', email: 'ivy@example.com', localPart: 'ivy.invited' });
    const user = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/users`)).body.items)[0];
    expect(str(user?.numericId)).toMatch(/^\d+$/);
  });

  it('the handout lists invited users with numeric IDs and says nothing about dial-in numbers when there are none', async () => {
    const cid = await companyWithPlans(h, 'Handout Ltd', [{ planType: 'enterprise_user', quantity: 5 }]);
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Jon Invited', email: 'jon@example.com', localPart: 'jon.invited' });
    const json = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/handout?format=json`);
    expect(json.status, json.text).toBe(200);
    const users = list(json.body.users as Loose);
    expect(users[0]).toMatchObject({ name: 'Jon Invited', invited: true });
    expect(str(users[0]?.numericId)).toMatch(/^\d+$/);
    expect(json.body.dialInHint).toBeNull();
    const html = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/handout?format=html`);
    expect(html.text).toContain('Jon Invited (invited)');
    expect(html.text).toContain(str(users[0]?.numericId));
    expect(html.text).not.toMatch(/dial-in/i);
  });

  it('"Resend DNS email" is refused for a subdomain of the default domain (no DNS records needed)', async () => {
    const cid = await companyWithPlans(h, 'Dns Ltd', [], { contactEmail: 'it@dns.example' });
    const d = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains`, { domain: 'dnsltd.convene.example' });
    expect(d.body.verifiedBy).toBe('default_domain');
    const r = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains/${str(d.body.id)}/resend-instructions`, {});
    expect(r.status).toBe(400);
    expect(str(r.body.error.message)).toContain('needs no DNS records');
  });

  it('provisioning names a listener that is bound (bug 5)', async () => {
    const configured = { host: 'sip.convene.example', port: 5061, transport: 'tls' as const };
    expect(registrarFor(configured, [{ protocol: 'udp', port: 5060 }, { protocol: 'tcp', port: 5060 }])).toEqual({ host: 'sip.convene.example', port: 5060, transport: 'tcp' });
    expect(registrarFor(configured, [{ protocol: 'tls', port: 40123 }])).toEqual({ host: 'sip.convene.example', port: 40123, transport: 'tls' });
    expect(registrarFor(configured, [])).toBeNull();

    const cid = await companyWithPlans(h, 'Prov Ltd', [{ planType: 'endpoint_basic', quantity: 1 }]);
    const ep = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'Room', localPart: 'room.device', tier: 'basic' });
    h.admin.setSipListeners([{ protocol: 'udp', port: 5070 }, { protocol: 'tcp', port: 5070 }]);
    try {
      const prov = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints/${str(ep.body.id)}/provisioning`);
      expect(prov.body.sip.registrar).toMatchObject({ transport: 'tcp', port: 5070, uri: 'sip:sip.convene.example:5070;transport=tcp' });
      h.admin.setSipListeners([]);
      const none = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints/${str(ep.body.id)}/qr`);
      expect(none.body.error?.code).toBe('feature_unavailable');
    } finally {
      h.admin.setSipListeners([{ protocol: 'tls', port: 5061 }]);
    }
  });
});
