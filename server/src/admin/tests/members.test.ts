import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyWithPlans, list, startHarness, str, type Harness } from '../testing.js';
import type { CallDetailRecord } from '../model.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ publicBaseUrl: 'https://video.example' });
});
afterAll(async () => h.close());

const api = '/api/v1';
const DAY = 86_400_000;

async function acceptLinkFor(email: string): Promise<string> {
  const outbox = await h.call(h.partnerToken, 'GET', `${api}/outbox?to=${encodeURIComponent(email)}`);
  const text = str(list(outbox.body)[0]?.text);
  const m = /https:\/\/video\.example\/portal\/accept\?token=([A-Za-z0-9_%-]+)/.exec(text);
  if (!m?.[1]) throw new Error(`no accept link in: ${text}`);
  return decodeURIComponent(m[1]);
}

function cdr(fields: Partial<CallDetailRecord> & Pick<CallDetailRecord, 'id' | 'companyId' | 'startedAt'>): CallDetailRecord {
  return {
    kind: 'leg', vmrId: null, memberId: null, endpointId: null, direction: 'inbound', protocol: 'sip', from: 'sip:caller@far.test', to: 'room@convene.example',
    displayName: 'Caller', remoteAddress: '192.0.2.10', codecs: { audio: 'opus', video: 'H264' }, bandwidthKbps: 1500, endedAt: null, durationMs: null,
    quality: { packetLossPct: null, jitterMs: null, mos: null }, endReason: null, anonymized: false, ...fields,
  };
}

describe('members', () => {
  let cid: string;
  let memberToken: string;
  let memberId: string;

  it('an invitation reserves a licence and mails an accept link; accepting creates the personal VMR', async () => {
    cid = await companyWithPlans(h, 'People', [{ planType: 'enterprise_user', quantity: 2 }]);
    const inv = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Alice Smith', email: 'Alice@People.test', localPart: 'Alice.Smith' });
    expect(inv.status, inv.text).toBe(201);
    expect(inv.body).toMatchObject({ state: 'invited', personalAddress: 'alice.smith@convene.example', vmrAddress: 'alice.smith.vmr@convene.example', email: 'alice@people.test', pool: 'eul' });
    memberId = str(inv.body.id);
    // Not joinable before acceptance.
    expect((await h.admin.repos.getVmrByAddress('alice.smith.vmr@convene.example'))?.state).toBe('inactive');

    const firstToken = await acceptLinkFor('alice@people.test');
    const resend = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users/${memberId}/resend-invitation`);
    expect(resend.body).toEqual({ sent: true });
    const token = await acceptLinkFor('alice@people.test');
    expect(token).not.toBe(firstToken);
    const acc = await h.call(null, 'POST', `${api}/invitations/accept`, { token });
    expect(acc.status, acc.text).toBe(201);
    expect(acc.body.member.state).toBe('active');
    expect(acc.body.vmr).toMatchObject({ addresses: ['alice.smith.vmr@convene.example'], hostPinSet: false, state: 'active', owner: { kind: 'member', memberId } });
    memberToken = str(acc.body.token);
    // The same link cannot be used twice, and the earlier link is dead once accepted.
    expect((await h.call(null, 'POST', `${api}/invitations/accept`, { token })).body.error.code).toBe('invitation_invalid');
    expect((await h.call(null, 'POST', `${api}/invitations/accept`, { token: firstToken })).body.error.code).toBe('invitation_invalid');
    expect((await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users/${memberId}/resend-invitation`)).body.error.code).toBe('invitation_invalid');

    const vmr = await h.admin.repos.getVmrByAddress('ALICE.SMITH.VMR@convene.example');
    expect(vmr?.numericId).toMatch(/^[1-9][0-9]{8}$/);
    expect((await h.admin.repos.getVmrByNumericId(vmr?.numericId ?? ''))?.id).toBe(vmr?.id);
    const owner = await h.admin.repos.resolveAddress('alice.smith@convene.example');
    expect(owner).toMatchObject({ kind: 'member', companyId: cid });
  });

  it('the member sets host/guest PINs (stored as scrypt hashes), join mode and bandwidth', async () => {
    const bad = await h.call(memberToken, 'PATCH', `${api}/me/vmr`, { guestPin: '5678' });
    expect(bad.body.error.code).toBe('bad_request');
    const r = await h.call(memberToken, 'PATCH', `${api}/me/vmr`, { hostPin: '1234', guestPin: '5678', allowGuests: true });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ hostPinSet: true, guestPinSet: true });
    expect(r.body.hostPinHash).toBeUndefined();
    const vmr = await h.admin.repos.getVmrByAddress('alice.smith.vmr@convene.example');
    expect(vmr?.hostPinHash).toMatch(/^scrypt\$/);
    expect(vmr?.hostPinHash).not.toContain('1234');
    expect(await h.admin.repos.verifyPin('1234', vmr?.hostPinHash ?? '')).toBe(true);
    expect(await h.admin.repos.verifyPin('5678', vmr?.hostPinHash ?? '')).toBe(false);
    expect(await h.admin.repos.verifyPin('5678', vmr?.guestPinHash ?? '')).toBe(true);
    // Clearing the host PIN clears the guest PIN (no PIN = everyone is host).
    const cleared = await h.call(memberToken, 'PATCH', `${api}/me/vmr`, { hostPin: null });
    expect(cleared.body).toMatchObject({ hostPinSet: false, guestPinSet: false });

    const s = await h.call(memberToken, 'PATCH', `${api}/me/settings`, { defaultJoinMode: 'audio_only', callBandwidthKbps: 576 });
    expect(s.body.settings).toEqual({ defaultJoinMode: 'audio_only', callBandwidthKbps: 576 });
    expect((await h.call(memberToken, 'PATCH', `${api}/me/settings`, { callBandwidthKbps: 999 })).status).toBe(400);
    // Members cannot use admin routes.
    expect((await h.call(memberToken, 'GET', `${api}/companies/${cid}/users`)).status).toBe(403);
  });

  it('a member lists only their own call history', async () => {
    const other = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Bob', email: 'bob@people.test', localPart: 'bobby.b' });
    const bobToken = str((await h.call(null, 'POST', `${api}/invitations/accept`, { token: await acceptLinkFor('bob@people.test') })).body.token);
    await h.admin.repos.writeCdr(cdr({ id: 'cdr-a1', companyId: cid, memberId, startedAt: new Date(h.clock.now() - 1000).toISOString() }));
    await h.admin.repos.writeCdr(cdr({ id: 'cdr-a2', companyId: cid, memberId, startedAt: new Date(h.clock.now()).toISOString() }));
    await h.admin.repos.writeCdr(cdr({ id: 'cdr-b1', companyId: cid, memberId: str(other.body.id), startedAt: new Date(h.clock.now()).toISOString() }));
    const mine = await h.call(memberToken, 'GET', `${api}/me/calls`);
    expect(list(mine.body.items).map((c) => str(c.id))).toEqual(['cdr-a2', 'cdr-a1']);
    expect((await h.call(bobToken, 'GET', `${api}/me/calls`)).body.total).toBe(1);
    await expect(h.admin.repos.writeCdr({ ...cdr({ id: 'x', companyId: cid, startedAt: 'yesterday' }), protocol: 'carrier-pigeon' } as unknown as CallDetailRecord)).rejects.toThrow();
  });
});

describe('invitation schedule (10/30/60 days on the injected clock)', () => {
  it('re-sends at 10 and 30 days and deletes the user with their personal data at 60 days', async () => {
    const cid = await companyWithPlans(h, 'Slow', [{ planType: 'enterprise_user', quantity: 1 }]);
    const inv = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Carol', email: 'carol@slow.test', localPart: 'carol.slow' });
    const firstLink = await acceptLinkFor('carol@slow.test');
    const mails = async () => list((await h.call(h.partnerToken, 'GET', `${api}/outbox?to=carol@slow.test`)).body).length;
    h.admin.startJobs();
    try {
      h.clock.advance(9 * DAY);
      await h.admin.jobs.idle();
      expect(await mails()).toBe(1);
      h.clock.advance(1 * DAY + 3_600_000);
      await h.admin.jobs.idle();
      expect(await mails()).toBe(2);
      h.clock.advance(20 * DAY);
      await h.admin.jobs.idle();
      expect(await mails()).toBe(3);
      expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/users/${str(inv.body.id)}`)).body.user.remindersSent).toEqual(['day10', 'day30']);
      h.clock.advance(30 * DAY);
      await h.admin.jobs.idle();
    } finally {
      h.admin.stopJobs();
    }
    expect(await mails()).toBe(3);
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/users/${str(inv.body.id)}`)).status).toBe(404);
    expect(await h.admin.repos.resolveAddress('carol.slow@convene.example')).toBeNull();
    expect(await h.admin.repos.getVmrByAddress('carol.slow.vmr@convene.example')).toBeNull();
    expect((await h.call(null, 'POST', `${api}/invitations/accept`, { token: firstLink })).body.error.code).toBe('invitation_invalid');
    // The reserved licence is free again.
    const lic = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/licences`);
    expect(list(lic.body).find((r) => str(r.pool) === 'eul')).toMatchObject({ used: 0, available: 1 });
  });
});

describe('call data retention by endpoint usage model', () => {
  it('Shared anonymizes, Personal removes records older than 3 months; switching back does not restore', async () => {
    const cid = await companyWithPlans(h, 'Retain', [{ planType: 'endpoint_basic', quantity: 2 }]);
    const shared = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 's', localPart: 'shared-ep', tier: 'basic' });
    const personal = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'p', localPart: 'personal-ep', tier: 'basic', usageModel: 'personal' });
    const old = new Date(h.clock.now() - 100 * DAY).toISOString();
    const recent = new Date(h.clock.now() - 10 * DAY).toISOString();
    await h.admin.repos.writeCdr(cdr({ id: 's-old', companyId: cid, endpointId: str(shared.body.id), startedAt: old }));
    await h.admin.repos.writeCdr(cdr({ id: 's-new', companyId: cid, endpointId: str(shared.body.id), startedAt: recent }));
    await h.admin.repos.writeCdr(cdr({ id: 'p-old', companyId: cid, endpointId: str(personal.body.id), startedAt: old }));
    await h.admin.repos.writeCdr(cdr({ id: 'p-new', companyId: cid, endpointId: str(personal.body.id), startedAt: recent }));
    const report = await h.admin.jobs.runRetention();
    expect(report).toEqual({ anonymized: 1, removed: 1, companiesPurged: [] });
    const calls = list((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/calls`)).body.items);
    expect(calls.map((c) => str(c.id)).sort()).toEqual(['p-new', 's-new', 's-old']);
    expect(calls.find((c) => str(c.id) === 's-old')).toMatchObject({ anonymized: true, from: 'anonymized', remoteAddress: null });
    expect(calls.find((c) => str(c.id) === 's-new')).toMatchObject({ anonymized: false, from: 'sip:caller@far.test' });
    await h.call(h.partnerToken, 'PATCH', `${api}/companies/${cid}/endpoints/${str(personal.body.id)}`, { usageModel: 'shared' });
    await h.admin.jobs.runRetention();
    expect((await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/calls`)).body.total).toBe(3);
  });
});

describe('handouts and provisioning', () => {
  it('the handout lists endpoints, users, team VMRs and dial-in numbers; PDF renders; QR in PNG and SVG', async () => {
    const cid = await companyWithPlans(h, 'Handout AS', [{ planType: 'enterprise_user', quantity: 3 }, { planType: 'endpoint_plus', quantity: 1 }]);
    const team = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/team-vmrs`, { name: 'Sales room', localPart: 'sales-room' });
    const ep = await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/endpoints`, { name: 'Lobby VTC', localPart: 'lobby-vtc', tier: 'plus' });
    await h.call(h.partnerToken, 'POST', `${api}/companies/${cid}/users`, { name: 'Dora', email: 'dora@handout.test', localPart: 'dora.d' });
    await h.call(null, 'POST', `${api}/invitations/accept`, { token: await acceptLinkFor('dora@handout.test') });
    const did = await h.call(h.operatorToken, 'POST', `${api}/dial-in-numbers`, { number: '+47 21 00 00 00', label: 'Oslo', partnerId: null });
    expect(did.status, did.text).toBe(201);
    expect(did.body.number).toBe('+4721000000');
    expect((await h.call(h.partnerToken, 'PUT', `${api}/dial-in-numbers/12345`, { label: 'x', target: { kind: 'ivr' } })).status).toBe(400);

    const html = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/handout?format=html`);
    expect(html.status).toBe(200);
    for (const s of ['Handout AS', 'sales-room@convene.example', str(team.body.vmr.numericId), 'lobby-vtc@convene.example', 'dora.d.vmr@convene.example', '+4721000000']) expect(html.text).toContain(s);
    const pdf = await h.app.inject({ method: 'GET', url: `${api}/companies/${cid}/handout?format=pdf`, headers: { authorization: `Bearer ${h.partnerToken}` } });
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    // The PDF opens: poppler renders page 1 and its text lists the seeded consumers and numbers.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-handout-'));
    try {
      const file = path.join(dir, 'handout.pdf');
      fs.writeFileSync(file, pdf.rawPayload);
      execFileSync('pdftoppm', ['-png', '-r', '40', '-f', '1', '-l', '1', file, path.join(dir, 'page')], { timeout: 30_000 });
      expect(fs.readdirSync(dir).some((f) => f.startsWith('page') && f.endsWith('.png'))).toBe(true);
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { timeout: 30_000 }).toString();
      for (const s of ['sales-room@convene.example', 'lobby-vtc@convene.example', 'dora.d.vmr@convene.example', '+4721000000']) expect(text).toContain(s);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    const prov = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints/${str(ep.body.id)}/provisioning`);
    expect(prov.body.sip).toMatchObject({ address: 'lobby-vtc@convene.example', username: 'lobby-vtc@convene.example' });
    expect(str(prov.body.sip.password).length).toBeGreaterThan(10);
    expect(prov.body.bandwidth).toMatchObject({ tier: 'plus', maxKbps: 1500 });
    const png = await h.app.inject({ method: 'GET', url: `${api}/companies/${cid}/endpoints/${str(ep.body.id)}/qr?format=png`, headers: { authorization: `Bearer ${h.partnerToken}` } });
    expect(png.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    const svg = await h.call(h.partnerToken, 'GET', `${api}/companies/${cid}/endpoints/${str(ep.body.id)}/qr?format=svg`);
    expect(svg.text).toContain('<svg');
  });
});
