import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyWithPlans, list, startHarness, str, type Harness } from '../testing.js';

/** admin.minPinLength is enforced wherever PINs are set: team VMRs (partner admin) and a member's own VMR. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ minPinLength: 6 });
});
afterAll(async () => h.close());

const api = '/api/v1';

describe('minimum PIN length', () => {
  it('refuses shorter host and guest PINs with the minimum in the error; accepts PINs of that length', async () => {
    const cid = await companyWithPlans(h, 'Short Pins', [{ planType: 'enterprise_user', quantity: 3 }]);
    const created = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'Board', localPart: 'board.room', domain: 'convene.example' });
    expect(created.status, created.text).toBe(201);
    const team = `${api}/companies/${cid}/team-vmrs/${str(created.body.team?.id)}`;

    for (const body of [{ hostPin: '1234' }, { hostPin: '12345' }, { hostPin: '123456', guestPin: '98765' }]) {
      const r = await h.call(h.partnerToken, 'PATCH', team, body);
      expect(r.status, r.text).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'bad_request', details: { minPinLength: 6 } });
    }
    const ok = await h.call(h.partnerToken, 'PATCH', team, { hostPin: '123456', guestPin: '987654' });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.vmr).toMatchObject({ hostPinSet: true, guestPinSet: true });

    // A member setting their own room's PIN meets the same rule.
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Pat Short', email: 'pat@short.test', localPart: 'pat.short' });
    const mail = str(list((await h.call(h.partnerToken, 'GET', `${api}/outbox?to=pat@short.test`)).body)[0]?.text);
    const invitation = decodeURIComponent(/accept\?token=([A-Za-z0-9_%-]+)/.exec(mail)?.[1] ?? '');
    const accepted = await h.call(null, 'POST', `${api}/invitations/accept`, { token: invitation });
    expect(accepted.status, accepted.text).toBe(201);
    const member = str(accepted.body.token);
    expect((await h.call(member, 'PATCH', `${api}/me/vmr`, { hostPin: '4321' })).body.error).toMatchObject({ code: 'bad_request', details: { minPinLength: 6 } });
    expect((await h.call(member, 'PATCH', `${api}/me/vmr`, { hostPin: '43215678' })).status).toBe(200);
  });

  it('a node without start links says so instead of minting one', async () => {
    const cid = await companyWithPlans(h, 'No Links', [{ planType: 'enterprise_user', quantity: 1 }]);
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Nia Link', email: 'nia@links.test', localPart: 'nia.link' });
    const mail = str(list((await h.call(h.partnerToken, 'GET', `${api}/outbox?to=nia@links.test`)).body)[0]?.text);
    const accepted = await h.call(null, 'POST', `${api}/invitations/accept`, { token: decodeURIComponent(/accept\?token=([A-Za-z0-9_%-]+)/.exec(mail)?.[1] ?? '') });
    const r = await h.call(str(accepted.body.token), 'POST', `${api}/me/vmr/start-link`);
    expect(r.status).toBe(501);
    expect(r.body.error.code).toBe('feature_unavailable');
    // Only members have a room to start.
    expect((await h.call(h.partnerToken, 'POST', `${api}/me/vmr/start-link`)).status).toBe(403);
  });
});
