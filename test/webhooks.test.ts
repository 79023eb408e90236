import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignalingClient } from './support/signaling-client.js';
import { eventually, repoRoot } from './support/convene-process.js';
import { BOOTSTRAP_TOKEN, createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

type Verify = (secret: string, headers: http.IncomingHttpHeaders, rawBody: string, toleranceSeconds?: number) => boolean;

interface Delivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  event: { id: string; type: string; createdAt: string; companyId: string; meetingId: string; data: Record<string, any> };
}

/** A webhook receiver on loopback: records every POST; can be stopped, restarted on its port, or made to hold answers. */
class Receiver {
  readonly deliveries: Delivery[] = [];
  port = 0;
  private server: http.Server | undefined;
  private held: (() => void)[] = [];
  holding = false;
  inFlight = 0;
  maxInFlight = 0;
  private readonly perMeeting = new Map<string, number>();
  maxInFlightPerMeeting = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const event = JSON.parse(body) as Delivery['event'];
        this.deliveries.push({ headers: req.headers, body, event });
        this.inFlight += 1;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        const n = (this.perMeeting.get(event.meetingId) ?? 0) + 1;
        this.perMeeting.set(event.meetingId, n);
        this.maxInFlightPerMeeting = Math.max(this.maxInFlightPerMeeting, n);
        const answer = () => {
          this.inFlight -= 1;
          this.perMeeting.set(event.meetingId, (this.perMeeting.get(event.meetingId) ?? 1) - 1);
          res.writeHead(204).end();
        };
        if (this.holding) this.held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }

  release(): void {
    this.holding = false;
    for (const a of this.held.splice(0)) a();
  }

  of(meetingId: string): Delivery[] {
    return this.deliveries.filter((d) => d.event.meetingId === meetingId);
  }
}

let f: ServiceFixture;
let companyId: string;
let verify: Verify;
const clients: SignalingClient[] = [];
const receivers: Receiver[] = [];

async function receiver(): Promise<Receiver> {
  const r = new Receiver();
  await r.start();
  receivers.push(r);
  return r;
}

async function participant(address: string, displayName: string, extra: Record<string, unknown> = {}) {
  const { client } = await SignalingClient.open(f.wsUrl);
  clients.push(client);
  const joined = await client.request('join', { address, displayName, mode: 'audio-only', bandwidthKbps: 256, ...extra });
  return { client, joined };
}

/** A fresh company with one webhook endpoint at `url`; returns the company id, endpoint id and secret. */
async function companyHooked(url: string) {
  const cid = await createCompany(f);
  const hook = await f.api<{ id: string; secret: string }>('POST', `/companies/${cid}/webhooks`, { url, description: 'test receiver' });
  return { cid, hookId: hook.id, secret: hook.secret };
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${f.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

beforeAll(async () => {
  // The verification recipe exactly as docs/webhooks.md shows it.
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'webhooks.md'), 'utf8');
  const snippet = /```js\n([\s\S]*?verifyConveneWebhook[\s\S]*?)```/.exec(doc)?.[1];
  if (!snippet) throw new Error('no verification recipe in docs/webhooks.md');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'convene-recipe-')), 'verify.mjs');
  fs.writeFileSync(file, snippet);
  verify = ((await import(pathToFileURL(file).href)) as { verifyConveneWebhook: Verify }).verifyConveneWebhook;

  f = await startServiceFixture({
    admin: { webhooks: { allowPrivateTargets: true, initialBackoffMs: 100, maxBackoffMs: 1_000, retryForMs: 120_000, timeoutMs: 5_000, maxConcurrentDeliveries: 8 } },
  });
  companyId = await createCompany(f);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await f?.stop();
  for (const r of receivers) await r.stop();
});

describe('event webhooks', () => {
  it('a receiver gets signed events of a meeting in order; the documented recipe tells a bad signature or an old timestamp', async () => {
    const rx = await receiver();
    const { cid, hookId, secret } = await companyHooked(rx.url);
    const room = await createRoom(f, cid, { hostPin: '1234', guestPin: '5678' });
    const host = await participant(room.address, 'Hanna Host', { pin: '1234' });
    const guest = await participant(room.address, 'Gus Guest', { pin: '5678' });
    expect(guest.joined).toMatchObject({ role: 'guest', state: 'joined' });
    await host.client.request('host.promote', { participantId: guest.joined.participantId });
    await guest.client.request('leave', {});
    await host.client.request('host.end', {});

    await eventually(() => rx.of(room.id).filter((d) => d.event.type === 'call_record.written').length === 2 && rx.of(room.id).some((d) => d.event.type === 'meeting.ended'));
    const got = rx.of(room.id);
    const lifecycle = got.filter((d) => d.event.type !== 'call_record.written').map((d) => `${d.event.type}:${d.event.data.participant?.displayName ?? ''}`);
    expect(lifecycle).toEqual([
      'meeting.started:',
      'participant.joined:Hanna Host',
      'participant.joined:Gus Guest',
      'participant.role_changed:Gus Guest',
      'participant.left:Gus Guest',
      'participant.left:Hanna Host',
      'meeting.ended:',
    ]);
    const promoted = got.find((d) => d.event.type === 'participant.role_changed')!.event.data;
    expect(promoted).toMatchObject({ previousRole: 'guest', participant: { role: 'host', kind: 'browser', roomAddress: room.address, companyId: cid } });
    expect(got.find((d) => d.event.type === 'meeting.ended')!.event.data.reason).toBe('ended_by_host');
    // Each call record comes after its session's participant.left.
    for (const d of got.filter((x) => x.event.type === 'call_record.written')) {
      const record = d.event.data.callRecord as { participantId: string; durationMs: number; endedAt: string; startedAt: string };
      const left = got.findIndex((x) => x.event.type === 'participant.left' && x.event.data.participant.participantId === record.participantId);
      expect(left).toBeGreaterThanOrEqual(0);
      expect(got.indexOf(d)).toBeGreaterThan(left);
      expect(record.durationMs).toBe(Date.parse(record.endedAt) - Date.parse(record.startedAt));
    }
    // The network address never goes out.
    expect(got.some((d) => d.body.includes('remoteAddress') || d.body.includes('"source"'))).toBe(false);

    for (const d of got) {
      expect(d.headers['convene-event-id']).toBe(d.event.id);
      expect(d.headers['convene-event-type']).toBe(d.event.type);
      expect(verify(secret, d.headers, d.body)).toBe(true);
    }
    const sample = got[1]!;
    // A changed body, a wrong secret, or a replay later than the tolerance: refused by the recipe.
    expect(verify(secret, sample.headers, sample.body.replace('Hanna Host', 'Mallory'))).toBe(false);
    expect(verify(`${secret}x`, sample.headers, sample.body)).toBe(false);
    expect(verify(secret, { ...sample.headers, 'convene-timestamp': String(Number(sample.headers['convene-timestamp']) - 1) }, sample.body)).toBe(false);
    expect(verify(secret, { ...sample.headers, 'convene-timestamp': String(Math.floor(Date.now() / 1000) - 3600) }, sample.body)).toBe(false);

    // The admin API shows the last delivery; the secret is never shown again. (The receiver has
    // the last POST a moment before the dispatcher takes it off the list.)
    await eventually(async () => (await f.api<{ pending: number }>('GET', `/companies/${cid}/webhooks/${hookId}`)).pending === 0);
    const ep = await f.api<Record<string, any>>('GET', `/companies/${cid}/webhooks/${hookId}`);
    expect(ep).toMatchObject({ url: rx.url, pending: 0, gaveUp: 0, lastDelivery: { outcome: 'delivered', status: 204, error: null } });
    expect(JSON.stringify(ep)).not.toContain(secret);
    const recent = await f.api<{ items: { outcome: string }[] }>('GET', `/companies/${cid}/webhooks/${hookId}/deliveries`);
    expect(recent.items.length).toBe(got.length);
    expect(recent.items.every((i) => i.outcome === 'delivered')).toBe(true);
  });

  it('a lobby guest: joined without an answer time, then admitted when a host arrives (after the host\'s own join)', async () => {
    const rx = await receiver();
    const { cid } = await companyHooked(rx.url);
    const room = await createRoom(f, cid, { hostPin: '1111', guestPin: '2222' });
    const guest = await participant(room.address, 'Lena Lobby', { pin: '2222' });
    expect(guest.joined.state).toBe('lobby');
    const host = await participant(room.address, 'Harry Host', { pin: '1111' });
    await guest.client.waitFor('lobby.admitted');
    await host.client.request('host.end', {});
    await eventually(() => rx.of(room.id).some((d) => d.event.type === 'meeting.ended') && rx.of(room.id).filter((d) => d.event.type === 'call_record.written').length === 2);
    const got = rx.of(room.id).filter((d) => d.event.type !== 'call_record.written');
    expect(got.map((d) => `${d.event.type}:${d.event.data.participant?.displayName ?? ''}`)).toEqual([
      'meeting.started:', 'participant.joined:Lena Lobby', 'participant.joined:Harry Host', 'participant.admitted:Lena Lobby',
      'participant.left:Lena Lobby', 'participant.left:Harry Host', 'meeting.ended:',
    ]);
    const joinedGuest = got.find((d) => d.event.type === 'participant.joined')!.event.data.participant;
    expect(joinedGuest).toMatchObject({ role: 'guest', answeredAt: null });
    const admitted = got.find((d) => d.event.type === 'participant.admitted')!.event.data.participant;
    expect(Date.parse(admitted.answeredAt)).toBeGreaterThanOrEqual(Date.parse(admitted.joinedAt));
    const record = rx.of(room.id).find((d) => d.event.type === 'call_record.written' && d.event.data.callRecord.displayName === 'Lena Lobby')!.event.data.callRecord;
    expect(record.answeredAt).toBe(admitted.answeredAt);
  });

  it('a receiver that is down gets the events, in order, once it is back within the retry window', async () => {
    const rx = await receiver();
    const { cid, hookId, secret } = await companyHooked(rx.url);
    await rx.stop();
    const failedBefore = await metric('convene_webhook_deliveries_total', 'outcome="failed"');
    const room = await createRoom(f, cid);
    const a = await participant(room.address, 'Ann');
    const b = await participant(room.address, 'Ben');
    await b.client.request('leave', {});
    await a.client.request('leave', {});

    // Refused connections are visible: metrics, last delivery, the deliveries list, pending events.
    await eventually(async () => (await f.api<{ items: unknown[] }>('GET', `/companies/${cid}/webhooks/${hookId}/deliveries`)).items.length >= 3);
    const ep = await f.api<Record<string, any>>('GET', `/companies/${cid}/webhooks/${hookId}`);
    expect(ep.lastDelivery).toMatchObject({ outcome: 'failed', status: null, eventType: 'meeting.started' });
    expect(String(ep.lastDelivery.error)).toMatch(/ECONNREFUSED|fetch failed/);
    expect(ep.pending).toBeGreaterThanOrEqual(5);
    expect(await metric('convene_webhook_deliveries_total', 'outcome="failed"')).toBeGreaterThan(failedBefore);
    expect(rx.deliveries).toHaveLength(0);

    await rx.start(); // same port
    await eventually(() => rx.of(room.id).some((d) => d.event.type === 'meeting.ended') && rx.of(room.id).filter((d) => d.event.type === 'call_record.written').length === 2);
    const lifecycle = rx.of(room.id).filter((d) => d.event.type !== 'call_record.written').map((d) => `${d.event.type}:${d.event.data.participant?.displayName ?? ''}`);
    expect(lifecycle).toEqual(['meeting.started:', 'participant.joined:Ann', 'participant.joined:Ben', 'participant.left:Ben', 'participant.left:Ann', 'meeting.ended:']);
    expect(rx.deliveries.every((d) => verify(secret, d.headers, d.body))).toBe(true);
    await eventually(async () => (await f.api<{ pending: number }>('GET', `/companies/${cid}/webhooks/${hookId}`)).pending === 0);
  });

  it('hundreds of concurrent joins do not wait for a receiver that does not answer; it then gets every meeting\'s events in order', async () => {
    const rx = await receiver();
    const { cid } = await companyHooked(rx.url);
    rx.holding = true;
    const rooms = await Promise.all([0, 1, 2, 3].map(() => createRoom(f, cid)));
    const perRoom = 50;
    // While the first deliveries hang, every join completes.
    const joins = await Promise.all(rooms.flatMap((room, r) => Array.from({ length: perRoom }, (_, i) => participant(room.address, `P${r}.${i}`))));
    expect(joins.every((j) => j.joined.state === 'joined')).toBe(true);
    expect(rx.deliveries.length).toBeLessThanOrEqual(8); // at most maxConcurrentDeliveries POSTs are open, none answered
    expect(rx.inFlight).toBe(rx.deliveries.length);

    rx.release();
    await eventually(() => rooms.every((room) => rx.of(room.id).filter((d) => d.event.type === 'participant.joined').length === perRoom), 120_000);
    for (const room of rooms) {
      const got = rx.of(room.id);
      expect(got[0]!.event.type).toBe('meeting.started');
      // One meeting's events go out one at a time, in the order they happened.
      const times = got.map((d) => Date.parse(d.event.createdAt));
      expect(times).toEqual([...times].sort((x, y) => x - y));
      expect(new Set(got.map((d) => d.event.id)).size).toBe(got.length);
    }
    expect(rx.maxInFlightPerMeeting).toBe(1);
    for (const j of joins) j.client.close();
  }, 180_000);

  it('endpoints: partner admins manage their companies\' ones, the operator global ones; bad URLs are refused; the API document lists the routes', async () => {
    const rx = await receiver();
    const { cid, hookId } = await companyHooked(rx.url);
    // Another partner cannot see this company's endpoint.
    const other = await f.api<{ token: string }>('POST', '/partners', { name: `Other ${Date.now()}` });
    const res404 = await fetch(`${f.httpUrl}/api/v1/companies/${cid}/webhooks/${hookId}`, { headers: { authorization: `Bearer ${other.token}` } });
    expect(res404.status).toBe(404);
    // A company admin may not add one (partner admins only).
    const admin = await f.api<{ token: string }>('POST', `/companies/${cid}/admins`, { name: 'Company admin' });
    const byAdmin = await fetch(`${f.httpUrl}/api/v1/companies/${cid}/webhooks`, {
      method: 'POST', headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: rx.url }),
    });
    expect(byAdmin.status).toBe(403);
    const patched = await f.api<Record<string, any>>('PATCH', `/companies/${cid}/webhooks/${hookId}`, { events: ['meeting.started'], active: false });
    expect(patched).toMatchObject({ events: ['meeting.started'], active: false });
    expect((await f.api<unknown[]>('GET', `/companies/${cid}/webhooks`)).length).toBe(1);
    await f.api('DELETE', `/companies/${cid}/webhooks/${hookId}`);
    expect((await f.api<unknown[]>('GET', `/companies/${cid}/webhooks`)).length).toBe(0);
    // The OpenAPI document describes the new routes.
    const docs = (await (await fetch(`${f.httpUrl}/api/docs`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/api/v1/webhooks', '/api/v1/companies/{companyId}/webhooks/{id}/deliveries', '/api/v1/companies/{companyId}/calls.csv']));
    const bad = await fetch(`${f.httpUrl}/api/v1/companies/${cid}/webhooks`, {
      method: 'POST', headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'ftp://example.com/x' }),
    });
    expect(bad.status).toBe(400);

    // A global endpoint (operator) receives every company's events.
    const op = f.service.operatorToken;
    expect(op).toBeTruthy();
    {
      const res = await fetch(`${f.httpUrl}/api/v1/webhooks`, { method: 'POST', headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' }, body: JSON.stringify({ url: rx.url, events: ['meeting.started'] }) });
      expect(res.status, await res.clone().text()).toBe(201);
      const room = await createRoom(f, companyId);
      const p = await participant(room.address, 'Global');
      await eventually(() => rx.of(room.id).some((d) => d.event.type === 'meeting.started'));
      await p.client.request('leave', {});
      const id = ((await res.json()) as { id: string }).id;
      expect((await fetch(`${f.httpUrl}/api/v1/webhooks/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${op}` } })).status).toBe(200);
    }
  });
});
