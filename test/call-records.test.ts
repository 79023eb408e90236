import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../common/src/index.js';
import { SignalingClient } from './support/signaling-client.js';
import { eventually } from './support/convene-process.js';
import { BOOTSTRAP_TOKEN, createCompany, createRoom, inviteAndAcceptMember, startServiceFixture, type AcceptedMember, type ServiceFixture } from './support/service-fixture.js';

/** Real time plus an offset the test moves: sessions "last" minutes, records "age" months. */
class OffsetClock implements Clock {
  offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  setTimeout(fn: () => void, ms: number) {
    return systemClock.setTimeout(fn, ms);
  }
}

interface Cdr {
  id: string; vmrId: string | null; memberId: string | null; endpointId: string | null; participantKind?: string; displayName: string; role?: string;
  joinMode?: string; bandwidthKbps: number | null; startedAt: string; answeredAt?: string | null; endedAt: string | null; durationMs: number | null;
  endReason: string | null; nodeId?: string; to: string; anonymized: boolean; companyId: string; callerAddress?: string | null;
}

const MIN = 60_000;
const DAY = 86_400_000;
const clock = new OffsetClock();
let f: ServiceFixture;
let companyId: string;
const clients: SignalingClient[] = [];
let member: AcceptedMember;

async function as<T>(token: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: T; text: string }> {
  const res = await fetch(`${f.httpUrl}/api/v1${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, text, body: (res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
}

async function participant(address: string, displayName: string) {
  const { client } = await SignalingClient.open(f.wsUrl);
  clients.push(client);
  const joined = await client.request('join', { address, displayName, mode: 'video', bandwidthKbps: 1200 });
  return { client, joined };
}

/** RFC 4180 enough for our own CSV: quoted cells, CRLF rows. */
function parseCsv(text: string): Record<string, string>[] {
  const rows = text.trim().split('\r\n').map((line) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!.replace(/""/g, '"')));
  const [header = [], ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
}

beforeAll(async () => {
  f = await startServiceFixture({ admin: { calls: { nodeName: 'node-under-test' } } }, { clock });
  companyId = await createCompany(f);
  await f.api('POST', `/companies/${companyId}/plans`, {
    planType: 'endpoint_basic', quantity: 2, pricePerLicenceCents: 1000, currency: 'EUR', paymentPlan: 'monthly', autoRenew: true, costCenter: 'test', references: '', reference: 'test',
  });
  const email = `cdr.${Date.now()}@people.test`;
  member = await inviteAndAcceptMember(f, companyId, { name: 'Carla Calls', email, localPart: `carla.${Date.now()}` });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await f?.stop();
});

describe('call records of a browser meeting', () => {
  let mine: Cdr[] = [];

  it('after the meeting ends, each session is in the member\'s call history with its duration', async () => {
    const start = clock.now();
    const alice = await participant(member.address, 'Alice Host');
    clock.offset += 1 * MIN;
    const bob = await participant(member.address, 'Bob Visitor');
    // Another room of the company: not the member's own VMR, so not in her history.
    const team = await createRoom(f, companyId);
    const other = await participant(team.address, 'Team Person');
    clock.offset += 0.5 * MIN;
    await bob.client.request('leave', {});
    clock.offset += 0.75 * MIN;
    await alice.client.request('host.end', {});
    await other.client.request('leave', {});

    await eventually(async () => (await as<{ total: number }>(member.token, 'GET', '/me/calls')).body.total === 2);
    const history = await as<{ items: Cdr[]; total: number }>(member.token, 'GET', '/me/calls');
    expect(history.status).toBe(200);
    mine = history.body.items;
    const byName = new Map(mine.map((c) => [c.displayName, c]));
    const a = byName.get('Alice Host');
    const b = byName.get('Bob Visitor');
    expect(a).toMatchObject({
      vmrId: member.vmrId, memberId: member.id, participantKind: 'browser', role: 'host', joinMode: 'video', bandwidthKbps: 1200, endReason: 'meeting_ended',
      nodeId: 'node-under-test', to: member.address, companyId, callerAddress: null, anonymized: false,
    });
    expect(b).toMatchObject({ participantKind: 'browser', role: 'host', endReason: 'left' });
    for (const c of [a!, b!]) {
      expect(c.durationMs).toBe(Date.parse(c.endedAt!) - Date.parse(c.startedAt));
      expect(Date.parse(c.answeredAt!)).toBeGreaterThanOrEqual(Date.parse(c.startedAt));
      expect(Date.parse(c.startedAt)).toBeGreaterThanOrEqual(start);
    }
    // The clock moved 2.25 minutes while Alice was in and 0.5 minutes while Bob was; real time adds a little.
    expect(a!.durationMs).toBeGreaterThanOrEqual(2.25 * MIN);
    expect(a!.durationMs).toBeLessThan(2.25 * MIN + 30_000);
    expect(b!.durationMs).toBeGreaterThanOrEqual(0.5 * MIN);
    expect(b!.durationMs).toBeLessThan(0.5 * MIN + 30_000);
    // Newest first.
    expect(mine.map((c) => c.displayName)).toEqual(['Bob Visitor', 'Alice Host']);
  });

  it('the company\'s call list and CSV show the same sessions and durations; filters narrow them', async () => {
    await eventually(async () => (await f.api<{ total: number }>('GET', `/companies/${companyId}/calls`)).total === 3);
    const csv = await as<string>(BOOTSTRAP_TOKEN, 'GET', `/companies/${companyId}/calls.csv`);
    expect(csv.status).toBe(200);
    const rows = parseCsv(csv.body);
    expect(rows).toHaveLength(3);
    for (const c of mine) {
      const row = rows.find((r) => r['Record id'] === c.id);
      expect(row, c.displayName).toMatchObject({
        'Display name': c.displayName, Kind: 'browser', Role: 'host', VMR: member.vmrId, 'Meeting address': member.address, 'Leave reason': c.endReason, Node: 'node-under-test',
        'Start (UTC)': c.startedAt, 'End (UTC)': c.endedAt,
      });
      expect(Number(row!['Duration (s)']) * 1000).toBeCloseTo(c.durationMs!, 0);
    }
    // VMR, kind and date filters, for the list and the CSV alike.
    const inVmr = await f.api<{ items: Cdr[]; total: number }>('GET', `/companies/${companyId}/calls?vmrId=${member.vmrId}`);
    expect(inVmr.items.map((c) => c.id).sort()).toEqual(mine.map((c) => c.id).sort());
    expect((await f.api<{ total: number }>('GET', `/companies/${companyId}/calls?kind=browser`)).total).toBe(3);
    expect((await f.api<{ total: number }>('GET', `/companies/${companyId}/calls?kind=sip`)).total).toBe(0);
    expect(parseCsv((await as<string>(BOOTSTRAP_TOKEN, 'GET', `/companies/${companyId}/calls.csv?kind=phone`)).body)).toHaveLength(0);
    const bobStart = mine.find((c) => c.displayName === 'Bob Visitor')!.startedAt;
    const since = await f.api<{ items: Cdr[] }>('GET', `/companies/${companyId}/calls?vmrId=${member.vmrId}&from=${encodeURIComponent(bobStart)}`);
    expect(since.items.map((c) => c.displayName)).toEqual(['Bob Visitor']);
    const before = await f.api<{ items: Cdr[] }>('GET', `/companies/${companyId}/calls?vmrId=${member.vmrId}&to=${encodeURIComponent(bobStart)}`);
    expect(before.items.map((c) => c.displayName)).toEqual(['Alice Host']);
    // Paging.
    const page = await f.api<{ items: Cdr[]; total: number }>('GET', `/companies/${companyId}/calls?limit=1&offset=1`);
    expect(page).toMatchObject({ total: 3, offset: 1, limit: 1 });
    expect(page.items).toHaveLength(1);
    // A member may not read the company's list.
    expect((await as(member.token, 'GET', `/companies/${companyId}/calls`)).status).toBe(403);
  });

  it('retention (seed 001): after 3 months a Shared session is anonymized, a Personal endpoint\'s is removed', async () => {
    const ep = await f.api<{ id: string; address: string }>('POST', `/companies/${companyId}/endpoints`, { name: 'Desk', localPart: `desk-${Date.now()}`, tier: 'basic', usageModel: 'personal' });
    // A session of that provisioned endpoint, through the same recorder the meetings feed.
    const t = clock.now();
    f.service.admin.calls.record(
      {
        participantId: 'sip-session-1', meetingId: member.vmrId, companyId, roomAddress: member.address, kind: 'sip', displayName: 'Desk', callerAddress: ep.address,
        role: 'guest', mode: 'video', bandwidthKbps: 768, tier: 'basic', source: '127.0.0.1', joinedAt: t - 5 * MIN, answeredAt: t - 5 * MIN + 800, call: { callId: 'c1@desk', audioCodec: 'PCMU' },
      },
      'left',
      t,
    );
    await f.service.admin.calls.idle();
    const sip = (await f.api<{ items: Cdr[] }>('GET', `/companies/${companyId}/calls?kind=sip`)).items;
    expect(sip).toHaveLength(1);
    expect(sip[0]).toMatchObject({ endpointId: ep.id, callerAddress: ep.address, durationMs: 5 * MIN, tier: 'basic', role: 'guest' });

    // Not yet 3 months: nothing changes.
    clock.offset += 80 * DAY;
    expect(await f.service.admin.jobs.runRetention()).toMatchObject({ anonymized: 0, removed: 0 });
    clock.offset += 20 * DAY;
    expect(await f.service.admin.jobs.runRetention()).toMatchObject({ anonymized: 3, removed: 1 });
    const after = await f.api<{ items: Cdr[]; total: number }>('GET', `/companies/${companyId}/calls`);
    expect(after.total).toBe(3);
    expect(after.items.every((c) => c.anonymized && c.displayName === 'anonymized')).toBe(true);
    expect((await f.api<{ total: number }>('GET', `/companies/${companyId}/calls?kind=sip`)).total).toBe(0);
    // Still in the member's history (Shared keeps them), without the names.
    const history = await as<{ items: Cdr[] }>(member.token, 'GET', '/me/calls');
    expect(history.body.items.map((c) => c.displayName)).toEqual(['anonymized', 'anonymized']);
    expect(history.body.items.map((c) => c.durationMs)).toEqual(mine.map((c) => c.durationMs));
  });
});
