import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyWithPlans, list, startHarness, str, type Harness } from '../testing.js';
import { freeDnsPort, startDnsmasq } from './dnsmasq.js';

let h: Harness;
let dnsPort: number;
beforeAll(async () => {
  dnsPort = await freeDnsPort();
  h = await startHarness({ domainVerification: { secret: 'consumer-test-secret-123456', resolverServers: [`127.0.0.1:${dnsPort}`] } });
});
afterAll(async () => h.close());

const api = '/api/v1';
const DAY = 86_400_000;

describe('address rules through the API', () => {
  it('lower-cases, refuses bad characters/starts, and applies the 6-character minimum only on the default domain', async () => {
    const cid = await companyWithPlans(h, 'Uri', [{ planType: 'enterprise_user', quantity: 10 }, { planType: 'domain_hosting', quantity: 1 }]);
    const post = (body: object) => h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'x', ...body });
    expect((await post({ localPart: 'Sales.Team' })).body.team.address).toBe('sales.team@convene.example');
    for (const [localPart, reason] of [['1sales', 'invalid_start'], ['_sales', 'invalid_start'], ['sales team', 'invalid_characters'], ['sales+x', 'invalid_characters'], ['sales', 'too_short']]) {
      const r = await post({ localPart });
      expect(r.status, localPart).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'invalid_address', details: { reason } });
    }
    // Custom hosted domain (auto-verified: its DNS has the Microsoft 365 MS=ms… record): no minimum.
    const m365 = await startDnsmasq(dnsPort, ['uri-corp.test,"MS=ms12345678"']);
    const dom = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains`, { domain: 'URI-Corp.test' }).finally(() => m365.stop());
    expect(dom.body).toMatchObject({ domain: 'uri-corp.test', verified: true, verifiedBy: 'm365_domain' });
    expect((await post({ localPart: 'ab', domain: 'uri-corp.test' })).status).toBe(201);
    // A duplicate address is refused.
    const dup = await post({ localPart: 'SALES.team' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('address_taken');
    // A domain the company does not host.
    const foreign = await post({ localPart: 'abcdefg', domain: 'elsewhere.test' });
    expect(foreign.body.error.code).toBe('domain_not_hosted');
  });
});

describe('calling domains', () => {
  it('refuses consumers on an unverified domain until Verify finds the DNS TXT record', async () => {
    const cid = await companyWithPlans(h, 'Dns Co', [{ planType: 'enterprise_user', quantity: 5 }, { planType: 'domain_hosting', quantity: 2 }, { planType: 'endpoint_basic', quantity: 2 }]);
    const dom = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains`, { domain: 'dnsco.test' });
    expect(dom.status, dom.text).toBe(201);
    expect(dom.body.verified).toBe(false);
    const record = dom.body.verificationRecord;
    expect(str(record.name)).toBe('_convene-verification.dnsco.test');

    const refused = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'e', localPart: 'vc', domain: 'dnsco.test', tier: 'basic' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('domain_not_verified');

    // Wrong record: stays unverified.
    const wrong = await startDnsmasq(dnsPort, [`${str(record.name)},not-the-token`]);
    try {
      const v = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains/${str(dom.body.id)}/verify`);
      expect(v.body).toMatchObject({ verified: false, lastVerifyFailure: 'record_mismatch' });
    } finally {
      await wrong.stop();
    }
    const right = await startDnsmasq(dnsPort, [`${str(record.name)},${str(record.value)}`]);
    try {
      const v = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains/${str(dom.body.id)}/verify`);
      expect(v.body).toMatchObject({ verified: true, verifiedBy: 'dns' });
    } finally {
      await right.stop();
    }
    const ok = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'e', localPart: 'vc', domain: 'dnsco.test', tier: 'basic' });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body.address).toBe('vc@dnsco.test');
    // A new subdomain of the verified root is verified automatically; the root of a verified subdomain is not (seed 001).
    const sub = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains`, { domain: 'eu.dnsco.test' });
    expect(sub.body).toMatchObject({ verified: true, verifiedBy: 'subdomain_of_verified' });
    expect(await h.admin.repos.domainStatus('dnsco.test')).toMatchObject({ hosted: true, verified: true, companyId: cid });
    // In use: cannot be deleted.
    const del = await h.call(h.partnerToken, 'DELETE', `${api}/companies/${cid}/domains/${str(dom.body.id)}`);
    expect(del.body.error.code).toBe('domain_in_use');
  });

  it('"resend DNS instructions" mails the TXT record again', async () => {
    const cid = await companyWithPlans(h, 'Mail Co', [{ planType: 'domain_hosting', quantity: 1 }], { contactEmail: 'it@mailco.test' });
    const dom = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains`, { domain: 'mailco.test' });
    const r = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/domains/${str(dom.body.id)}/resend-instructions`, {});
    expect(r.body).toEqual({ sent: true });
    const outbox = await h.call(h.partnerToken, 'GET', `${api}/outbox?to=it@mailco.test`);
    const mails = list(outbox.body);
    expect(mails).toHaveLength(2);
    for (const m of mails) expect(str(m.text)).toContain(str(dom.body.verificationRecord.value));
  });
});

describe('batch actions, expiry and reactivation', () => {
  it('deletes and reactivates many consumers with a per-item result', async () => {
    const cid = await companyWithPlans(h, 'Batch', [{ planType: 'enterprise_user', quantity: 3 }, { planType: 'endpoint_basic', quantity: 1 }]);
    const ids: string[] = [];
    for (const n of ['batch-one', 'batch-two', 'batch-three']) {
      ids.push(str((await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: n, localPart: n })).body.team.id));
    }
    const ep = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'e', localPart: 'batch-ep', tier: 'basic' });
    const r = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/batch`, {
      action: 'delete',
      items: [{ kind: 'team_vmr', id: ids[0] }, { kind: 'team_vmr', id: ids[1] }, { kind: 'endpoint', id: str(ep.body.id) }, { kind: 'team_vmr', id: 'tv_nope' }],
    });
    expect(r.status, r.text).toBe(200);
    expect(list(r.body.results).map((x) => [x.ok, x.error ? str(x.error.code) : null])).toEqual([[true, null], [true, null], [true, null], [false, 'not_found']]);
    expect(await h.admin.repos.getVmrByAddress('batch-one@convene.example')).toBeNull();
    // The licences came back: two more team VMRs fit.
    expect((await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'x', localPart: 'batch-four' })).status).toBe(201);
    // The address is free again.
    expect((await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'x', localPart: 'batch-one' })).status).toBe(201);
    const re = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/batch`, { action: 'reactivate', items: [{ kind: 'team_vmr', id: ids[2] }] });
    expect(list(re.body.results)[0]).toMatchObject({ ok: false, error: { code: 'consumer_not_inactive' } });
  });

  it('the expiry job deactivates consumers of a lapsed plan (System events); reactivation needs a covering plan', async () => {
    const cid = await companyWithPlans(h, 'Lapse', [{ planType: 'enterprise_user', quantity: 2, autoRenew: false }, { planType: 'endpoint_plus', quantity: 1, autoRenew: true }]);
    const t1 = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'a', localPart: 'lapse-a' });
    const t2 = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'b', localPart: 'lapse-b' });
    const ep = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'e', localPart: 'lapse-ep', tier: 'plus' });
    h.admin.startJobs();
    h.clock.advance(32 * DAY);
    await h.admin.jobs.idle();
    h.admin.stopJobs();
    const teams = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs?state=inactive`);
    expect(teams.body.total).toBe(2);
    expect(list(teams.body.items)[0]).toMatchObject({ deactivatedReason: 'licence_lapsed' });
    expect((await h.admin.repos.getVmrByAddress('lapse-a@convene.example'))?.state).toBe('inactive');
    // The auto-renewing endpoint plan was renewed, its endpoint stays active.
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints/${str(ep.body.id)}`)).body.state).toBe('active');
    const events = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders?q=System`)).body.items);
    expect(events.map((e) => str(e.change)).sort()).toEqual(['auto_renewal', 'consumers_deactivated', 'expiry']);
    for (const e of events) expect(str(e.user)).toBe('System');
    expect(events.find((e) => str(e.change) === 'expiry')).toMatchObject({ sku: 'CNV-EUL', newQuantity: 0 });

    const refused = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs/${str(t1.body.team.id)}/reactivate`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('no_licence_available');

    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/plans`, { planType: 'enterprise_user', quantity: 1, pricePerLicenceCents: 1, paymentPlan: 'annual' });
    const again = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs/${str(t1.body.team.id)}/reactivate`);
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ state: 'active', pool: 'eul', deactivatedReason: null });
    expect((await h.admin.repos.getVmrByAddress('lapse-a@convene.example'))?.state).toBe('active');
    const second = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs/${str(t2.body.team.id)}/reactivate`);
    expect(second.body.error.code).toBe('no_licence_available');
  });

  it('Evaluation Mode creates trial consumers without licences; they expire with the trial', async () => {
    const ends = new Date(h.clock.now() + 14 * DAY).toISOString();
    const c = await h.call(h.partnerToken, 'POST', `${api}/companies`, { name: 'Trial Co', evaluationEndsAt: ends });
    const cid = str(c.body.id);
    const t = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 't', localPart: 'trial-room' });
    expect(t.status, t.text).toBe(201);
    expect(t.body.team).toMatchObject({ trial: true, pool: '', state: 'active' });
    const e = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'e', localPart: 'trial-ep', tier: 'premium' });
    expect(e.body).toMatchObject({ trial: true, bandwidthKbps: 4000 });
    await h.admin.jobs.runExpiry();
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints/${str(e.body.id)}`)).body.state).toBe('active');
    h.clock.advance(15 * DAY);
    await h.admin.jobs.runExpiry();
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints/${str(e.body.id)}`)).body).toMatchObject({ state: 'inactive', deactivatedReason: 'trial_ended' });
    const ev = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/orders`)).body.items);
    expect(ev[0]).toMatchObject({ user: 'System', change: 'trial_ended' });
    // No more trials after the evaluation: creation and reactivation need a licence.
    const late = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 't', localPart: 'trial-late' });
    expect(late.body.error.code).toBe('no_licence_available');
    // The partner extends the trial: reactivation works again, as a trial.
    await h.call(h.partnerToken, 'PATCH', `${api}/companies/${cid}`, { evaluationEndsAt: new Date(h.clock.now() + 7 * DAY).toISOString() });
    const re = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints/${str(e.body.id)}/reactivate`);
    expect(re.body).toMatchObject({ state: 'active', trial: true });
  });
});

describe('idempotent creates', () => {
  it('a retried create with the same Idempotency-Key returns the first result and creates nothing new', async () => {
    const cid = await companyWithPlans(h, 'Idem', [{ planType: 'enterprise_user', quantity: 5 }]);
    const headers = { 'idempotency-key': 'create-room-1' };
    const a = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'r', localPart: 'idem-room' }, headers);
    const b = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'r', localPart: 'idem-room' }, headers);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.body.team.id).toBe(str(a.body.team.id));
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/team-vmrs`)).body.total).toBe(1);
    const other = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'r', localPart: 'idem-other' }, headers);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    // A failed create frees the key for a corrected retry.
    const bad = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'r', localPart: '1bad' }, { 'idempotency-key': 'k2' });
    expect(bad.status).toBe(400);
    const fixed = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'r', localPart: '1bad' }, { 'idempotency-key': 'k2' });
    expect(fixed.status).toBe(400);
    expect(fixed.headers['idempotent-replayed']).toBeUndefined();
  });

  it('rejects malformed bodies with bad_request and a consistent error shape', async () => {
    const r = await h.call(h.partnerToken, 'POST', `${api}/companies`, { name: '' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('bad_request');
    expect(list(r.body.error.details.issues).length).toBeGreaterThan(0);
    const notJson = await h.app.inject({ method: 'POST', url: `${api}/companies`, headers: { authorization: `Bearer ${h.partnerToken}`, 'content-type': 'application/json' }, payload: '{nope' });
    expect(notJson.statusCode).toBe(400);
    expect(JSON.parse(notJson.body).error.code).toBe('bad_request');
  });
});
