import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { companyWithPlans, list, startHarness, str, type Harness } from '../testing.js';
import { keys } from '../store/index.js';

let h: Harness;
const api = '/api/v1';

interface World {
  companyId: string;
  adminToken: string;
  teamId: string;
  endpointId: string;
  domainId: string;
  userId: string;
  planId: string;
}

async function world(name: string, n: number): Promise<World> {
  const companyId = await companyWithPlans(h, name, [
    { planType: 'enterprise_user', quantity: 5 },
    { planType: 'endpoint_basic', quantity: 2 },
    { planType: 'domain_hosting', quantity: 1 },
  ]);
  const admin = await h.call(h.partnerToken, 'POST', `${api}/companies/${companyId}/admins`, { name: `${name} admin` });
  const adminToken = str(admin.body.token);
  const team = await h.call(adminToken, 'POST', `${api}/companies/${companyId}/team-vmrs`, { name: 'team', localPart: `team-room-${n}` });
  const ep = await h.call(adminToken, 'POST', `${api}/companies/${companyId}/endpoints`, { name: 'ep', localPart: `endpoint-${n}`, tier: 'basic' });
  const dom = await h.call(adminToken, 'POST', `${api}/companies/${companyId}/domains`, { domain: `${name.toLowerCase()}.test` });
  const user = await h.call(adminToken, 'POST', `${api}/companies/${companyId}/users`, { name: 'U', email: `u${n}@x.test`, localPart: `user-number-${n}` });
  const plans = await h.call(h.partnerToken, 'GET', `${api}/companies/${companyId}/plans`);
  for (const r of [team, ep, dom, user]) expect(r.status, r.text).toBe(201);
  return { companyId, adminToken, teamId: str(team.body.team.id), endpointId: str(ep.body.id), domainId: str(dom.body.id), userId: str(user.body.id), planId: str(list(plans.body)[0]?.id) };
}

let a: World;
let b: World;
beforeAll(async () => {
  h = await startHarness();
  a = await world('Alpha', 1);
  b = await world('Beta', 2);
});
afterAll(async () => h.close());

describe('authentication', () => {
  it('refuses missing, malformed and unknown tokens with 401 unauthorized', async () => {
    for (const token of [null, 'short', 'cvt_' + 'x'.repeat(40)]) {
      const r = await h.call(token, 'GET', `${api}/companies`);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('unauthorized');
    }
  });

  it('stores tokens only as SHA-256 hashes', async () => {
    const sha = createHash('sha256').update(h.partnerToken).digest('hex');
    expect(await h.redis.client.get(keys.token(sha))).not.toBeNull();
    const allKeys = await h.redis.client.keys('*');
    for (const k of allKeys) {
      if ((await h.redis.client.type(k)) !== 'string') continue;
      expect(await h.redis.client.get(k)).not.toContain(h.partnerToken);
    }
  });

  it('bootstrap is once: a second call returns no token; a configured token works', async () => {
    const again = await h.admin.bootstrap();
    expect(again).toMatchObject({ created: false, token: null });
    const other = await startHarness({ bootstrapToken: 'configured-operator-token-0123456789' });
    try {
      expect(other.partnerToken).toBe('configured-operator-token-0123456789');
      expect((await other.call('configured-operator-token-0123456789', 'GET', `${api}/me`)).body.role).toBe('partner_admin');
    } finally {
      await other.close();
    }
  });
});

describe('company-scoped authorisation: no cross-company access', () => {
  const resources = (w: World): [string, string][] => [
    ['GET', `/companies/${w.companyId}`],
    ['GET', `/companies/${w.companyId}/licences`],
    ['GET', `/companies/${w.companyId}/limits`],
    ['GET', `/companies/${w.companyId}/plans`],
    ['GET', `/companies/${w.companyId}/orders`],
    ['GET', `/companies/${w.companyId}/orders.csv`],
    ['GET', `/companies/${w.companyId}/users`],
    ['GET', `/companies/${w.companyId}/users/${w.userId}`],
    ['POST', `/companies/${w.companyId}/users/${w.userId}/resend-invitation`],
    ['DELETE', `/companies/${w.companyId}/users/${w.userId}`],
    ['GET', `/companies/${w.companyId}/team-vmrs`],
    ['GET', `/companies/${w.companyId}/team-vmrs/${w.teamId}`],
    ['PATCH', `/companies/${w.companyId}/team-vmrs/${w.teamId}`],
    ['DELETE', `/companies/${w.companyId}/team-vmrs/${w.teamId}`],
    ['POST', `/companies/${w.companyId}/team-vmrs/${w.teamId}/reactivate`],
    ['POST', `/companies/${w.companyId}/team-vmrs`],
    ['GET', `/companies/${w.companyId}/endpoints/${w.endpointId}`],
    ['GET', `/companies/${w.companyId}/endpoints/${w.endpointId}/provisioning`],
    ['GET', `/companies/${w.companyId}/endpoints/${w.endpointId}/qr`],
    ['PATCH', `/companies/${w.companyId}/endpoints/${w.endpointId}`],
    ['DELETE', `/companies/${w.companyId}/endpoints/${w.endpointId}`],
    ['GET', `/companies/${w.companyId}/domains/${w.domainId}`],
    ['POST', `/companies/${w.companyId}/domains/${w.domainId}/verify`],
    ['POST', `/companies/${w.companyId}/domains/${w.domainId}/resend-instructions`],
    ['DELETE', `/companies/${w.companyId}/domains/${w.domainId}`],
    ['POST', `/companies/${w.companyId}/batch`],
    ['GET', `/companies/${w.companyId}/handout`],
    ['GET', `/companies/${w.companyId}/calls`],
  ];
  const bodyFor = (method: string, path: string): unknown =>
    method === 'GET' || method === 'DELETE'
      ? undefined
      : path.endsWith('/batch')
        ? { action: 'delete', items: [{ kind: 'team_vmr', id: b.teamId }] }
        : path.endsWith('/team-vmrs')
          ? { name: 'x', localPart: 'intruder-room' }
          : path.includes('/team-vmrs/') && method === 'PATCH'
            ? { hostPin: '1234' }
            : path.includes('/endpoints/') && method === 'PATCH'
              ? { name: 'pwned' }
              : {};

  it("company A's admin gets 404 on every resource of company B, and B is unchanged", async () => {
    for (const [method, path] of resources(b)) {
      const r = await h.call(a.adminToken, method as 'GET', api + path, bodyFor(method, path));
      expect([r.status, path]).toEqual([404, path]);
      expect(r.body.error.code).toBe('not_found');
    }
    // Plan and admin-token actions are partner-only anyway; they must not work across companies either.
    expect((await h.call(a.adminToken, 'POST', `${api}/companies/${b.companyId}/plans/${b.planId}/quantity`, { quantity: 1 })).status).toBe(403);
    // B's consumers are all still there and untouched.
    expect((await h.call(b.adminToken, 'GET', `${api}/companies/${b.companyId}/team-vmrs/${b.teamId}`)).body.team.state).toBe('active');
    expect((await h.call(b.adminToken, 'GET', `${api}/companies/${b.companyId}/endpoints/${b.endpointId}`)).body.name).toBe('ep');
    expect((await h.call(b.adminToken, 'GET', `${api}/companies/${b.companyId}/users/${b.userId}`)).status).toBe(200);
    expect((await h.call(b.adminToken, 'GET', `${api}/companies/${b.companyId}/domains/${b.domainId}`)).status).toBe(200);
  });

  it('ids of another company are not found even through my own company path', async () => {
    for (const [kind, id] of [['team-vmrs', b.teamId], ['endpoints', b.endpointId], ['domains', b.domainId], ['users', b.userId]] as const) {
      const r = await h.call(a.adminToken, 'GET', `${api}/companies/${a.companyId}/${kind}/${id}`);
      expect(r.status).toBe(404);
    }
    const batch = await h.call(a.adminToken, 'POST', `${api}/companies/${a.companyId}/batch`, { action: 'delete', items: [{ kind: 'team_vmr', id: b.teamId }] });
    expect(list(batch.body.results)[0]).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((await h.call(b.adminToken, 'GET', `${api}/companies/${b.companyId}/team-vmrs/${b.teamId}`)).status).toBe(200);
  });

  it("another partner's admin cannot see this partner's companies", async () => {
    const other = await h.admin.services.companies.get(a.companyId);
    if (!other) throw new Error('missing');
    const { token } = await (async () => {
      const { TokenService } = await import('../auth/index.js');
      const { OrgRepository } = await import('../store/index.js');
      return new TokenService(new OrgRepository(h.redis.client), h.clock).issue({ role: 'partner_admin', name: 'rival', partnerId: 'pa_rival' });
    })();
    expect((await h.call(token, 'GET', `${api}/companies/${a.companyId}`)).status).toBe(404);
    expect((await h.call(token, 'GET', `${api}/companies`)).body.total).toBe(0);
    expect((await h.call(token, 'GET', `${api}/outbox`)).status).toBe(403);
  });

  it('company admins cannot do partner actions; members cannot do admin actions', async () => {
    const order = await h.call(a.adminToken, 'POST', `${api}/companies/${a.companyId}/plans`, { planType: 'enterprise_user', quantity: 1, pricePerLicenceCents: 1, paymentPlan: 'monthly' });
    expect(order.status).toBe(403);
    expect(order.body.error.code).toBe('forbidden');
    expect((await h.call(a.adminToken, 'POST', `${api}/companies`, { name: 'Mine' })).status).toBe(403);
    expect((await h.call(a.adminToken, 'PATCH', `${api}/companies/${a.companyId}`, { evaluationEndsAt: '2030-01-01T00:00:00Z' })).status).toBe(403);
    // A company admin sees only their own company in the listing.
    const listing = await h.call(a.adminToken, 'GET', `${api}/companies`);
    expect(list(listing.body.items).map((c) => str(c.id))).toEqual([a.companyId]);
  });
});

describe('partners and tokens', () => {
  it('the operator creates partners; a partner admin cannot; revoked tokens stop working', async () => {
    const p = await h.call(h.partnerToken, 'POST', `${api}/partners`, { name: 'Reseller AS' });
    expect(p.status, p.text).toBe(201);
    const resellerToken = str(p.body.token);
    expect((await h.call(resellerToken, 'GET', `${api}/me`)).body).toMatchObject({ role: 'partner_admin', partnerId: str(p.body.partner.id) });
    expect((await h.call(resellerToken, 'POST', `${api}/partners`, { name: 'Sub' })).status).toBe(403);
    // The reseller's companies are its own.
    const c = await h.call(resellerToken, 'POST', `${api}/companies`, { name: 'Reseller customer' });
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${str(c.body.id)}`)).status).toBe(404);
    const extra = await h.call(resellerToken, 'POST', `${api}/partner-admins`, { name: 'Second admin' });
    const second = str(extra.body.token);
    expect((await h.call(second, 'GET', `${api}/companies/${str(c.body.id)}`)).status).toBe(200);
    expect((await h.call(second, 'DELETE', `${api}/me/token`)).status).toBe(204);
    expect((await h.call(second, 'GET', `${api}/me`)).status).toBe(401);
    expect((await h.call(resellerToken, 'GET', `${api}/me`)).status).toBe(200);
  });
});

describe('API document', () => {
  it('serves OpenAPI generated from the route schemas at /api/docs', async () => {
    const r = await h.call(null, 'GET', '/api/docs');
    expect(r.body.openapi).toBe('3.0.3');
    const post = r.body.paths['/api/v1/companies/{companyId}/endpoints']?.post;
    expect(post?.requestBody.content['application/json']?.schema.properties.tier?.enum).toEqual(['basic', 'plus', 'premium']);
    expect(list(post?.parameters).some((p) => str(p.name) === 'Idempotency-Key')).toBe(true);
    expect(list(r.body.components.schemas.Error.properties.error.properties.code.enum).map(str)).toEqual(expect.arrayContaining(['no_licence_available', 'domain_not_verified', 'invalid_address']));
  });
});
