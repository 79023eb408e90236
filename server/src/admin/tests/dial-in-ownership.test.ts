/**
 * Issue 12, finding 3: dial-in numbers had no owner — any partner admin could PUT another
 * partner's number onto its own VMR and DELETE it. Now the service operator creates numbers and
 * assigns them to a partner; only that partner routes them; other partners get not_found.
 * Everything through the HTTP API on a real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { list, partnerWithCompany, startHarness, str, type Harness, type PartnerWorld } from '../testing.js';

let h: Harness;
let a: PartnerWorld;
let b: PartnerWorld;
const api = '/api/v1';
const url = (n: string) => `${api}/dial-in-numbers/${encodeURIComponent(n)}`;

beforeAll(async () => {
  h = await startHarness();
  a = await partnerWithCompany(h, 'Alpha Telecom', 'alpha-room');
  b = await partnerWithCompany(h, 'Beta Telecom', 'beta-room');
});
afterAll(async () => h.close());

describe('the operator role', () => {
  it('bootstrap issues an operator token once; it sees all partners but no customer company', async () => {
    expect((await h.call(h.operatorToken, 'GET', `${api}/me`)).body.role).toBe('operator');
    const again = await h.admin.bootstrap();
    expect(again.operatorToken).toBeNull();
    const partners = list((await h.call(h.operatorToken, 'GET', `${api}/partners`)).body).map((p) => str(p.id));
    expect(partners).toEqual(expect.arrayContaining([a.partnerId, b.partnerId]));
    expect((await h.call(a.token, 'GET', `${api}/partners`)).status).toBe(403);
    // Above partners, but not inside their customers' companies.
    expect((await h.call(h.operatorToken, 'GET', `${api}/companies/${a.companyId}`)).status).toBe(403);
  });

  it('issues further admin tokens for a partner; partners cannot', async () => {
    const issued = await h.call(h.operatorToken, 'POST', `${api}/partners/${a.partnerId}/admins`, { name: 'Alpha night shift' });
    expect(issued.status, issued.text).toBe(201);
    expect((await h.call(str(issued.body.token), 'GET', `${api}/me`)).body).toMatchObject({ role: 'partner_admin', partnerId: a.partnerId });
    expect((await h.call(b.token, 'POST', `${api}/partners/${a.partnerId}/admins`, { name: 'mole' })).status).toBe(403);
    expect((await h.call(h.operatorToken, 'POST', `${api}/partners/pa_nope/admins`, { name: 'x' })).status).toBe(404);
  });

  it('a configured operator token is registered at start', async () => {
    const other = await startHarness({ operatorToken: 'configured-operator-secret-0123456789' });
    try {
      expect(other.operatorToken).toBe('configured-operator-secret-0123456789');
      expect((await other.call(other.operatorToken, 'GET', `${api}/me`)).body.role).toBe('operator');
    } finally {
      await other.close();
    }
  });
});

describe('dial-in number ownership', () => {
  const num = '+4721990001';

  it('partners cannot create numbers; the operator creates one and assigns it to a partner', async () => {
    expect((await h.call(a.token, 'PUT', url(num), { label: 'Oslo', target: { kind: 'ivr' } })).status).toBe(404);
    expect((await h.call(a.token, 'POST', `${api}/dial-in-numbers`, { number: num, label: 'Oslo', partnerId: a.partnerId })).status).toBe(403);
    expect((await h.call(h.partnerToken, 'POST', `${api}/dial-in-numbers`, { number: num, label: 'Oslo', partnerId: a.partnerId })).status).toBe(403);

    const created = await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: '+47 21 99 00 01', label: 'Oslo', partnerId: a.partnerId });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ number: num, partnerId: a.partnerId, target: { kind: 'ivr' } });
    const again = await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: num, label: 'dup', partnerId: b.partnerId });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('number_taken');

    expect(list((await h.call(a.token, 'GET', `${api}/dial-in-numbers`)).body).map((d) => str(d.number))).toContain(num);
    expect(list((await h.call(b.token, 'GET', `${api}/dial-in-numbers`)).body).map((d) => str(d.number))).not.toContain(num);
    expect(list((await h.call(h.operatorToken, 'GET', `${api}/dial-in-numbers?partnerId=${a.partnerId}`)).body).map((d) => str(d.number))).toEqual([num]);
  });

  it('the owning partner routes its number to its own VMR; the gateway sees that route', async () => {
    const put = await h.call(a.token, 'PUT', url(num), { label: 'Alpha sales', target: { kind: 'vmr', companyId: a.companyId, vmrId: a.vmrId } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ number: num, partnerId: a.partnerId, label: 'Alpha sales', target: { kind: 'vmr', vmrId: a.vmrId } });
    expect(await h.admin.repos.getDialInNumber(num)).toMatchObject({ partnerId: a.partnerId, target: { kind: 'vmr', companyId: a.companyId, vmrId: a.vmrId } });
    // Alpha's customer sees the number that rings its room; Beta's customer does not.
    expect((await h.call(a.companyAdminToken, 'GET', url(num))).status).toBe(200);
    expect((await h.call(b.companyAdminToken, 'GET', url(num))).status).toBe(404);
  });

  it('another partner cannot see, change or delete it, and the number stays as it was', async () => {
    const before = await h.admin.repos.getDialInNumber(num);
    // The reported attack: Beta puts Alpha's number onto Beta's own VMR.
    const takeover = await h.call(b.token, 'PUT', url(num), { label: 'mine now', target: { kind: 'vmr', companyId: b.companyId, vmrId: b.vmrId } });
    expect(takeover.status).toBe(404);
    expect(takeover.body.error.code).toBe('not_found');
    expect((await h.call(b.token, 'PUT', url(num), { label: 'ivr', target: { kind: 'ivr' } })).status).toBe(404);
    expect((await h.call(b.token, 'PUT', url(num), { label: 'x', target: { kind: 'vmr', companyId: a.companyId, vmrId: a.vmrId } })).status).toBe(404);
    expect((await h.call(b.token, 'GET', url(num))).status).toBe(404);
    expect((await h.call(b.token, 'DELETE', url(num))).status).toBe(403);
    expect((await h.call(a.token, 'DELETE', url(num))).status).toBe(403);
    expect((await h.call(b.companyAdminToken, 'PUT', url(num), { label: 'x', target: { kind: 'ivr' } })).status).toBe(403);
    // The answer for someone else's number is the same as for a number that does not exist.
    const missing = await h.call(b.token, 'PUT', url('+4721990999'), { label: 'x', target: { kind: 'ivr' } });
    expect({ status: missing.status, body: missing.body }).toEqual({ status: takeover.status, body: takeover.body });

    expect(await h.admin.repos.getDialInNumber(num)).toEqual(before);
    expect((await h.call(a.token, 'GET', url(num))).body).toEqual(JSON.parse(JSON.stringify(before)));
  });

  it('the operator cannot point a partner\'s number at another partner\'s VMR', async () => {
    const r = await h.call(h.operatorToken, 'PUT', url(num), { label: 'x', target: { kind: 'vmr', companyId: b.companyId, vmrId: b.vmrId } });
    expect(r.status).toBe(409);
    expect((await h.admin.repos.getDialInNumber(num))?.target).toMatchObject({ vmrId: a.vmrId });
  });

  it('routing never creates a number: a PUT for one that does not exist is not_found, even for the operator', async () => {
    const r = await h.call(h.operatorToken, 'PUT', url('+4721990999'), { label: 'typo', target: { kind: 'ivr' } });
    expect(r.status).toBe(404);
    expect(await h.admin.repos.getDialInNumber('+4721990999')).toBeNull();
  });

  it('moving a number to another partner takes it from the old one and sends it back to the IVR', async () => {
    const moved = await h.call(h.operatorToken, 'PUT', `${url(num)}/partner`, { partnerId: b.partnerId });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body).toMatchObject({ partnerId: b.partnerId, target: { kind: 'ivr' } });
    expect((await h.call(a.token, 'GET', url(num))).status).toBe(404);
    expect((await h.call(a.token, 'PUT', url(num), { label: 'back', target: { kind: 'vmr', companyId: a.companyId, vmrId: a.vmrId } })).status).toBe(404);
    expect((await h.call(b.token, 'PUT', url(num), { label: 'Beta', target: { kind: 'vmr', companyId: b.companyId, vmrId: b.vmrId } })).status).toBe(200);
  });

  it('the operator deletes a number; afterwards nobody finds it', async () => {
    const n = '+4721990002';
    expect((await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: n, label: 'tmp', partnerId: a.partnerId })).status).toBe(201);
    expect((await h.call(h.operatorToken, 'DELETE', url(n))).status).toBe(204);
    expect((await h.call(h.operatorToken, 'DELETE', url(n))).status).toBe(404);
    expect((await h.call(a.token, 'GET', url(n))).status).toBe(404);
    expect(await h.admin.repos.getDialInNumber(n)).toBeNull();
  });

  it('handouts list service-wide numbers, the own partner\'s IVR numbers and own VMR numbers — not other partners\'', async () => {
    await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: '+4721990010', label: 'Service-wide', partnerId: null });
    await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: '+4721990011', label: 'Alpha IVR', partnerId: a.partnerId });
    await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: '+4721990012', label: 'Beta IVR', partnerId: b.partnerId });
    const html = await h.call(a.token, 'GET', `${api}/companies/${a.companyId}/handout?format=html`);
    expect(html.status).toBe(200);
    expect(html.text).toContain('+4721990010');
    expect(html.text).toContain('+4721990011');
    expect(html.text).not.toContain('+4721990012');
    expect(html.text).not.toContain(num); // now Beta's
  });
});

describe('concurrent claims', () => {
  it('300 simultaneous creations of one number by the operator for different partners leave exactly one owner', async () => {
    const n = '+4721990100';
    const owners = Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? a.partnerId : b.partnerId));
    const results = await Promise.all(owners.map((partnerId, i) => h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: n, label: `claim ${i}`, partnerId })));
    const won = results.map((r, i) => ({ r, i })).filter(({ r }) => r.status === 201);
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && String(r.body.error.code) === 'number_taken')).toHaveLength(299);
    const stored = await h.admin.repos.getDialInNumber(n);
    const winner = won[0]!;
    expect(stored).toMatchObject({ partnerId: owners[winner.i], label: `claim ${winner.i}` });
    const visibleTo = [a, b].filter((w) => w.partnerId === stored?.partnerId);
    expect(visibleTo).toHaveLength(1);
  });

  it('a partner routing its number while the operator moves it away never leaves it on the old partner\'s VMR', async () => {
    const n = '+4721990200';
    expect((await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: n, label: 'race', partnerId: a.partnerId })).status).toBe(201);
    // Alpha's 200 writes go out in waves without waiting for answers; the move goes out mid-way.
    const writes: ReturnType<Harness['call']>[] = [];
    let move: ReturnType<Harness['call']> | undefined;
    for (let wave = 0; wave < 10; wave++) {
      if (wave === 5) move = h.call(h.operatorToken, 'PUT', `${url(n)}/partner`, { partnerId: b.partnerId });
      for (let i = 0; i < 20; i++) writes.push(h.call(a.token, 'PUT', url(n), { label: `alpha ${wave}.${i}`, target: { kind: 'vmr', companyId: a.companyId, vmrId: a.vmrId } }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const results = await Promise.all(writes);
    expect((await move)?.status).toBe(200);
    expect(results.every((r) => r.status === 200 || r.status === 404)).toBe(true);
    const stored = await h.admin.repos.getDialInNumber(n);
    expect(stored?.partnerId).toBe(b.partnerId);
    // Whatever order the writes ran in, Beta's number does not ring Alpha's room.
    expect(stored?.target).toEqual({ kind: 'ivr' });
  });
});
