import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../server/src/protocol/index.js';
import { SignalingClient } from './support/signaling-client.js';
import { eventually } from './support/convene-process.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

/** Meetings through the real signalling protocol, against a whole node (store, SFU, admin). */
let f: ServiceFixture;
let companyId: string;
const clients: SignalingClient[] = [];

beforeAll(async () => {
  f = await startServiceFixture({
    meetings: { reconnectGraceMs: 1500, // Every test connects from 127.0.0.1: keep the per-source limit out of the other tests' way.
    pin: { maxFailuresPerRoom: 5, maxFailuresPerSource: 1000, backoff: { freeFailures: 1000 }, attemptsPerSession: 3 } },
  });
  companyId = await createCompany(f);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await f.stop();
});

async function connect(): Promise<SignalingClient> {
  const { client } = await SignalingClient.open(f.wsUrl);
  clients.push(client);
  return client;
}

const join = (c: SignalingClient, address: string, extra: Record<string, unknown> = {}) =>
  c.request('join', { address, displayName: `Person ${clients.indexOf(c)}`, mode: 'video', bandwidthKbps: 1200, ...extra });

describe('PIN rules (SPEC §3)', () => {
  it('no PIN set: everyone joins as host', async () => {
    const room = await createRoom(f, companyId);
    const a = await join(await connect(), room.address);
    expect(a).toMatchObject({ role: 'host', state: 'joined' });
    expect(a.routerRtpCapabilities).toHaveProperty('codecs');
    const b = await join(await connect(), room.address.toUpperCase());
    expect(b.role).toBe('host');
    expect(b.roster.map((p) => p.id)).toContain(a.participantId);
  });

  it('host PIN only: a PIN is required and must be the host PIN', async () => {
    const room = await createRoom(f, companyId, { hostPin: '1234' });
    const c = await connect();
    expect((await c.refusal('join', { address: room.address, displayName: 'X', mode: 'video', bandwidthKbps: 576 })).code).toBe('pin_required');
    const wrong = await c.refusal('join', { address: room.address, displayName: 'X', mode: 'video', bandwidthKbps: 576, pin: '9999' });
    expect(wrong).toMatchObject({ code: 'wrong_pin', details: { attemptsLeft: 2 } });
    expect(await join(c, room.address, { pin: '1234' })).toMatchObject({ role: 'host', state: 'joined' });
  });

  it('host and guest PIN: the PIN picks the role; guests wait in the lobby until a host is present', async () => {
    const room = await createRoom(f, companyId, { hostPin: '1111', guestPin: '2222' });
    const guest = await connect();
    const g = await join(guest, room.address, { pin: '2222' });
    expect(g).toMatchObject({ role: 'guest', state: 'lobby', roster: [] });
    expect(g.routerRtpCapabilities).toBeUndefined();
    // A lobby guest cannot act in the meeting.
    expect((await guest.refusal('chat.send', { text: 'hello?' })).code).toBe('not_joined');

    const host = await connect();
    const h = await join(host, room.address, { pin: '1111' });
    expect(h).toMatchObject({ role: 'host', state: 'joined' });
    const admitted = await guest.waitFor('lobby.admitted');
    expect(admitted).toMatchObject({ participantId: g.participantId, role: 'guest', state: 'joined' });
    expect(admitted.routerRtpCapabilities).toHaveProperty('codecs');
    const seen = await host.waitFor('roster.joined', (d) => d.participant.id === g.participantId);
    expect(seen.participant.role).toBe('guest');
  });

  it('a guest PIN does not admit when the room does not allow guests', async () => {
    const room = await createRoom(f, companyId, { hostPin: '3333', guestPin: '4444', allowGuests: false });
    expect((await (await connect()).refusal('join', { address: room.address, displayName: 'G', mode: 'video', bandwidthKbps: 576, pin: '4444' })).code).toBe('wrong_pin');
  });

  it('three wrong PINs end the attempt on that connection', async () => {
    const room = await createRoom(f, companyId, { hostPin: '5555' });
    const c = await connect();
    for (const pin of ['0000', '0001']) {
      expect((await c.refusal('join', { address: room.address, displayName: 'X', mode: 'video', bandwidthKbps: 576, pin })).code).toBe('wrong_pin');
    }
    const third = await c.refusal('join', { address: room.address, displayName: 'X', mode: 'video', bandwidthKbps: 576, pin: '0002' });
    expect(third).toMatchObject({ code: 'wrong_pin', details: { attemptsLeft: 0 } });
    expect((await c.closed).reason).toBe('too_many_pin_attempts');
  });

  it('repeated wrong PINs pause anonymous PIN entry for the room, even for the right PIN, and say for how long', async () => {
    const room = await createRoom(f, companyId, { hostPin: '6666' });
    // maxFailuresPerRoom is 5 in this fixture: five wrong PINs over two connections.
    for (const pins of [['1000', '1001', '1002'], ['1003', '1004']]) {
      const c = await connect();
      for (const pin of pins) await join(c, room.address, { pin }).catch(() => undefined);
    }
    const refused = await (await connect()).refusal('join', { address: room.address, displayName: 'X', mode: 'video', bandwidthKbps: 576, pin: '6666' });
    expect(refused.code).toBe('pin_throttled');
    expect(Number(refused.details?.retryAfterSeconds)).toBeGreaterThan(60);
  });

  it('an unknown address is refused with meeting_not_found', async () => {
    expect((await (await connect()).refusal('join', { address: 'nobody.here@convene.example', displayName: 'X', mode: 'video', bandwidthKbps: 576 })).code).toBe('meeting_not_found');
  });

  it('joins by numeric ID too', async () => {
    const room = await createRoom(f, companyId);
    expect((await join(await connect(), room.numericId)).state).toBe('joined');
  });
});

describe('host controls', () => {
  it('lock refuses new guests until unlocked; hosts still get in', async () => {
    const room = await createRoom(f, companyId, { hostPin: '7777', guestPin: '8888' });
    const host = await connect();
    await join(host, room.address, { pin: '7777' });
    await host.request('host.lock', { locked: true });
    expect((await (await connect()).refusal('join', { address: room.address, displayName: 'Late', pin: '8888', mode: 'video', bandwidthKbps: 576 })).code).toBe('meeting_locked');
    // A second host (host PIN) is let into the locked meeting.
    const cohost = await join(await connect(), room.address, { pin: '7777' });
    expect(cohost).toMatchObject({ state: 'joined', role: 'host' });
    await host.request('host.lock', { locked: false });
    expect((await join(await connect(), room.address, { pin: '8888' })).state).toBe('joined');
  });

  it('disconnect removes a participant: it is told, its socket closes, the others see it leave', async () => {
    const room = await createRoom(f, companyId, { hostPin: '7777', guestPin: '8888' });
    const host = await connect();
    await join(host, room.address, { pin: '7777' });
    const guest = await connect();
    const g = await join(guest, room.address, { pin: '8888' });
    const other = await connect();
    await join(other, room.address, { pin: '8888' });
    // A guest may not use host controls.
    expect((await other.refusal('host.disconnect', { participantId: g.participantId })).code).toBe('not_host');
    await host.request('host.disconnect', { participantId: g.participantId });
    expect(await guest.waitFor('you.removed')).toEqual({ reason: 'removed_by_host' });
    await guest.closed;
    expect(await other.waitFor('roster.left', (d) => d.participantId === g.participantId)).toMatchObject({ reason: 'removed_by_host' });
  });

  it('promote makes a guest a host; end meeting ends it for everyone', async () => {
    const room = await createRoom(f, companyId, { hostPin: '1212', guestPin: '3434' });
    const host = await connect();
    await join(host, room.address, { pin: '1212' });
    const guest = await connect();
    const g = await join(guest, room.address, { pin: '3434' });
    await host.request('host.promote', { participantId: g.participantId });
    expect(await guest.waitFor('you.promoted')).toEqual({ role: 'host' });
    await guest.request('host.end', {});
    expect(await host.waitFor('meeting.ended')).toEqual({ reason: 'ended_by_host' });
    await Promise.all([host.closed, guest.closed]);
  });

  it('chat reaches everyone in the meeting; raising a hand shows in the roster', async () => {
    const room = await createRoom(f, companyId);
    const [a, b, c] = [await connect(), await connect(), await connect()];
    const ja = await join(a, room.address);
    await join(b, room.address);
    await join(c, room.address);
    await a.request('chat.send', { text: 'hello, all' });
    for (const x of [a, b, c]) expect((await x.waitFor('chat.message')).text).toBe('hello, all');
    await a.request('hand.set', { raised: true });
    expect((await c.waitFor('roster.updated', (d) => d.participant.id === ja.participantId && d.participant.handRaised)).participant.handRaised).toBe(true);
  });
});

describe('presentation floor', () => {
  it('one presenter at a time: a new presenter takes over', async () => {
    const room = await createRoom(f, companyId);
    const [a, b] = [await connect(), await connect()];
    const ja = await join(a, room.address);
    const jb = await join(b, room.address);
    await a.request('media.setCapabilities', { rtpCapabilities: ja.routerRtpCapabilities! });
    // Screen media needs the floor.
    const noFloor = await a.refusal('producer.create', { transportId: 'x', kind: 'video', rtpParameters: {}, source: 'screen' });
    expect(noFloor.code).toBe('not_presenter');
    await a.request('presentation.start', {});
    expect(await b.waitFor('presentation.changed', (d) => d.presenterId === ja.participantId)).toMatchObject({ previousPresenterId: null });
    await b.request('presentation.start', {});
    expect(await a.waitFor('presentation.changed', (d) => d.presenterId === jb.participantId)).toMatchObject({ previousPresenterId: ja.participantId });
  });
});

describe('limits hold under concurrency', () => {
  it('company limit 3: of twenty concurrent joins exactly 3 get in, the rest are refused with licence_limit', async () => {
    const limited = await createCompany(f, { maxParticipantsPerMeeting: 3 });
    const room = await createRoom(f, limited);
    const sockets = await Promise.all(Array.from({ length: 20 }, () => connect()));
    const results = await Promise.allSettled(sockets.map((s, i) => s.request('join', { address: room.address, displayName: `P${i}`, mode: 'audio-only', bandwidthKbps: 256 })));
    const admitted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { error: { code: string } }).error.code] : []));
    expect(admitted).toHaveLength(3);
    expect(refused).toHaveLength(17);
    expect(new Set(refused)).toEqual(new Set(['licence_limit']));
    // Operators see the refusals and the live participants in the metrics.
    const metrics = await (await fetch(`${f.httpUrl}/metrics`)).text();
    expect(Number(/^convene_join_refusals_total\{reason="licence_limit"\} (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(17);
    expect(metrics).toMatch(/^convene_participants\{role="host",mode="audio-only",state="joined"\} [1-9]/m);
    expect(metrics).toMatch(/^convene_meetings [1-9]/m);
    expect(metrics).toMatch(/^convene_signaling_requests_total\{method="join",outcome="licence_limit"\} [1-9]/m);
  });

  it('a room limit refuses with meeting_full, and a seat frees when someone leaves', async () => {
    const room = await createRoom(f, companyId, { participantLimit: 2 });
    const a = await connect();
    await join(a, room.address);
    await join(await connect(), room.address);
    const third = await connect();
    expect((await third.refusal('join', { address: room.address, displayName: 'Third', mode: 'video', bandwidthKbps: 576 })).code).toBe('meeting_full');
    await a.request('leave', {});
    expect((await join(third, room.address)).state).toBe('joined');
  });
});

describe('call bandwidth policy (SPEC §4)', () => {
  it("a browser of a company with a 576 kbps policy asking for 2400 joins at 576; the company's other rooms too; a company without one keeps the choice", async () => {
    const frugal = await createCompany(f);
    await f.api('PATCH', `/companies/${frugal}`, { maxCallBandwidthKbps: 576 });
    const room = await createRoom(f, frugal);
    const capped = await join(await connect(), room.address, { bandwidthKbps: 2400 });
    expect(capped.bandwidth).toEqual({ requestedKbps: 2400, kbps: 576, cappedBy: 'company_policy', maxVideoHeight: 720 });
    const low = await join(await connect(), (await createRoom(f, frugal)).address, { bandwidthKbps: 256 });
    expect(low.bandwidth).toMatchObject({ kbps: 256, cappedBy: 'requested' });

    const free = await join(await connect(), (await createRoom(f, companyId)).address, { bandwidthKbps: 2400 });
    expect(free.bandwidth).toEqual({ requestedKbps: 2400, kbps: 2400, cappedBy: 'requested', maxVideoHeight: 720 });

    // Operators see how often the policy bites.
    const metrics = await (await fetch(`${f.httpUrl}/metrics`)).text();
    expect(Number(/^convene_join_bandwidth_capped_total\{kind="browser",capped_by="company_policy"\} (\d+)/m.exec(metrics)?.[1])).toBe(1);

    // A policy changed later applies to the next join.
    await f.api('PATCH', `/companies/${frugal}`, { maxCallBandwidthKbps: null });
    expect((await join(await connect(), room.address, { bandwidthKbps: 2400 })).bandwidth).toMatchObject({ kbps: 2400, cappedBy: 'requested' });
  });
});

describe('protocol robustness', () => {
  it('malformed, oversized, unknown and out-of-order messages get error responses; others keep being served', async () => {
    const bystander = await connect();
    const room = await createRoom(f, companyId);
    await join(bystander, room.address);

    const raw = await SignalingClient.connect(f.wsUrl);
    clients.push(raw);
    expect((await raw.refusal('join', { address: room.address, displayName: 'X', mode: 'video', bandwidthKbps: 576 })).code).toBe('hello_required');
    expect((await raw.refusal('hello', { protocolVersion: PROTOCOL_VERSION + 1 })).code).toBe('protocol_version_unsupported');
    await raw.request('hello', { protocolVersion: PROTOCOL_VERSION });
    raw.sendRaw('{not json');
    expect((await raw.nextUnmatched()).error?.code).toBe('bad_message');
    raw.sendRaw(JSON.stringify({ id: 99, method: 'join', data: { address: 'x'.repeat(100_000) } }));
    expect((await raw.nextUnmatched()).error?.code).toBe('message_too_large');
    raw.sendRaw(JSON.stringify({ id: 'u1', method: 'no.such.method', data: {} }));
    await eventually(() => raw.unmatched.some((u) => u.id === 'u1'));
    expect(raw.unmatched.find((u) => u.id === 'u1')?.error?.code).toBe('unknown_method');
    const invalid = await raw.refusal('join', { address: room.address, displayName: '', mode: 'hologram', bandwidthKbps: 7 });
    expect(invalid.code).toBe('bad_message');
    expect(invalid.message).toMatch(/mode/);
    // Media requests before joining are refused, not crashed on.
    expect((await raw.refusal('transport.create', { direction: 'send' })).code).toBe('not_joined');

    // The server still serves everyone.
    await bystander.request('chat.send', { text: 'still here' });
    expect((await bystander.waitFor('chat.message')).text).toBe('still here');
    expect((await join(raw, room.address)).state).toBe('joined');
  });

  it('a flood of messages is rate-limited with an error, and the connection stays usable', async () => {
    const c = await connect();
    for (let i = 0; i < 100; i++) c.sendRaw(JSON.stringify({ id: `f${i}`, method: 'hand.set', data: { raised: true } }));
    // Within the burst each gets its own answer (not_joined here); past it, rate_limited.
    await eventually(() => c.unmatched.some((u) => u.error?.code === 'rate_limited'));
    expect(c.unmatched.filter((u) => u.error?.code === 'rate_limited').length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 3100));
    const room = await createRoom(f, companyId);
    expect((await join(c, room.address)).state).toBe('joined');
  });
});

describe('reconnection', () => {
  /** A watcher and a second participant in one room; the second one's socket is then cut. */
  async function joinedPairThenDrop() {
    const room = await createRoom(f, companyId);
    const watcher = await connect();
    await join(watcher, room.address);
    const { client, hello } = await SignalingClient.open(f.wsUrl);
    const j = await join(client, room.address);
    client.kill();
    return { watcher, hello, j };
  }

  it('a dropped socket resumes within the grace period without leaving the roster', async () => {
    const { watcher, hello, j } = await joinedPairThenDrop();
    await watcher.waitFor('roster.updated', (d) => d.participant.id === j.participantId && d.participant.state === 'reconnecting');

    const { client: again, hello: resumed } = await SignalingClient.open(f.wsUrl, hello.resumeToken);
    clients.push(again);
    expect(resumed).toMatchObject({ resumed: true, participant: { id: j.participantId, state: 'joined' } });
    expect(resumed.resumeToken).not.toBe(hello.resumeToken);
    await watcher.waitFor('roster.updated', (d) => d.participant.id === j.participantId && d.participant.state === 'joined');
    expect(watcher.notifications.some((n) => n.notification === 'roster.left')).toBe(false);
    // The resumed session acts as the participant.
    await again.request('chat.send', { text: 'back' });
    expect((await watcher.waitFor('chat.message', (m) => m.text === 'back')).from).toBe(j.participantId);
  });

  it('a resume while the old connection is still open replaces it', async () => {
    const room = await createRoom(f, companyId);
    const { client: old, hello } = await SignalingClient.open(f.wsUrl);
    clients.push(old);
    const j = await join(old, room.address);
    const { client: fresh, hello: resumed } = await SignalingClient.open(f.wsUrl, hello.resumeToken);
    clients.push(fresh);
    expect(resumed.participant?.id).toBe(j.participantId);
    expect(await old.waitFor('session.closing')).toEqual({ reason: 'replaced' });
    expect((await old.closed).reason).toBe('replaced');
    // The participant carries on through the new connection only.
    expect((await fresh.request('chat.send', { text: 'from the new socket' })).messageId).toBeTruthy();
  });

  it('after the grace period the participant is gone and its token no longer works', async () => {
    const { watcher, hello, j } = await joinedPairThenDrop();
    expect(await watcher.waitFor('roster.left', (d) => d.participantId === j.participantId)).toMatchObject({ reason: 'connection_lost' });
    const late = await SignalingClient.connect(f.wsUrl);
    clients.push(late);
    expect((await late.refusal('hello', { protocolVersion: PROTOCOL_VERSION, resumeToken: hello.resumeToken })).code).toBe('session_expired');
  });
});
