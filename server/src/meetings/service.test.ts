import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import { inMemoryMedia, type InMemoryMediaRoom } from '../../../test/support/in-memory-media.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { hashPin, verifyPin } from '../admin/pins.js';
import type { MeetingsConfig } from './config.js';
import type { MeetingDirectory, MeetingLimits, MeetingRoomRecord } from './directory.js';
import type { JoinRequest, ParticipantHandle } from './api.js';
import type { MeetingLifecycleEvents } from './events.js';
import { MeetingService } from './service.js';

/**
 * MeetingService through the MeetingsApi: real Redis (seats, PIN budgets), real PIN hashing, the
 * in-memory media port, and a ManualClock for every timestamp and back-off.
 */
const logger = pino({ level: 'silent' });
const config: MeetingsConfig = {
  seatLeaseMs: 30_000,
  reconnectGraceMs: 30_000,
  lookups: { maxFailuresPerSource: 30, windowSeconds: 600 },
  pin: { maxFailuresPerRoom: 20, maxFailuresPerSource: 10, windowSeconds: 600, backoff: { freeFailures: 3, baseMs: 1000, maxMs: 300_000 }, attemptsPerSession: 3 },
  hostLink: { secret: null, ttlSeconds: 600 },
};

class RoomBook implements MeetingDirectory {
  readonly rooms = new Map<string, MeetingRoomRecord>();
  readonly limits = new Map<string, MeetingLimits>();
  async getVmrByAddress(address: string) {
    return [...this.rooms.values()].find((r) => r.addresses.includes(address)) ?? null;
  }
  async getVmrByNumericId(numericId: string) {
    return [...this.rooms.values()].find((r) => r.numericId === numericId) ?? null;
  }
  async companyLimits(companyId: string) {
    return this.limits.get(companyId) ?? { perMeeting: 100, companyConcurrent: null };
  }
  verifyPin(pin: string, hash: string) {
    return verifyPin(pin, hash);
  }
}

let redis: TestRedis;
const book = new RoomBook();
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

let n = 0;
async function addRoom(opts: { hostPin?: string; guestPin?: string; participantLimit?: number; companyId?: string } = {}): Promise<MeetingRoomRecord> {
  const id = `vmr-${++n}-${randomUUID().slice(0, 8)}`;
  const room: MeetingRoomRecord = {
    id,
    numericId: String(700000 + n),
    companyId: opts.companyId ?? `co-${id}`,
    addresses: [`${id}@convene.example`],
    displayName: `Room ${n}`,
    hostPinHash: opts.hostPin ? await hashPin(opts.hostPin) : null,
    guestPinHash: opts.guestPin ? await hashPin(opts.guestPin) : null,
    allowGuests: true,
    participantLimit: opts.participantLimit ?? null,
    state: 'active',
  };
  book.rooms.set(id, room);
  return room;
}

function service() {
  const clock = new ManualClock(Date.UTC(2026, 2, 3, 10, 0, 0));
  const media = inMemoryMedia();
  const svc = new MeetingService<InMemoryMediaRoom>({ directory: book, redis: redis.client, openMediaRoom: media.open, config, logger, clock });
  const lifecycle: { event: keyof MeetingLifecycleEvents; args: unknown[] }[] = [];
  for (const event of ['meetingStarted', 'meetingEnded', 'participantJoined', 'participantAdmitted', 'participantRoleChanged', 'participantLeft'] as const) {
    svc.lifecycle.on(event, (...args: unknown[]) => lifecycle.push({ event, args }));
  }
  const join = (room: MeetingRoomRecord, extra: Partial<JoinRequest> = {}) =>
    svc.join({ address: room.addresses[0]!, displayName: 'Someone', mode: 'video', bandwidthKbps: 1200, source: '198.51.100.7', ...extra });
  const refusal = (p: Promise<unknown>) => p.then(() => 'joined', (err: { code?: string }) => err.code ?? String(err));
  return { clock, media, svc, lifecycle, join, refusal };
}

describe('MeetingService: PIN rules', () => {
  it('no PIN → host; host PIN only → needed by everyone; host + guest PIN → the PIN picks the role', async () => {
    const { svc, join, refusal } = service();
    const open = await addRoom();
    expect(await (await join(open)).role()).toBe('host');

    const hostOnly = await addRoom({ hostPin: '4321' });
    expect(await refusal(join(hostOnly))).toBe('pin_required');
    expect(await refusal(join(hostOnly, { pin: '1111' }))).toBe('wrong_pin');
    expect(await (await join(hostOnly, { pin: '4321' })).role()).toBe('host');

    const both = await addRoom({ hostPin: '4321', guestPin: '8765' });
    expect(await (await join(both, { pin: '8765' })).role()).toBe('guest');
    expect(await (await join(both, { pin: '4321' })).role()).toBe('host');
    svc.close();
  });

  it('wrong PINs from one address back off on the clock, and the clock moving lets it try again', async () => {
    const { svc, clock, join, refusal } = service();
    const room = await addRoom({ hostPin: '4321' });
    const source = `203.0.113.${++n % 250}`;
    for (let i = 0; i < 3; i++) expect(await refusal(join(room, { pin: '0000', source }))).toBe('wrong_pin');
    expect(await refusal(join(room, { pin: '4321', source }))).toBe('pin_locked_out');
    clock.advance(2_000);
    expect(await (await join(room, { pin: '4321', source })).role()).toBe('host');
    svc.close();
  });
});

describe('MeetingService: lobby, lock, seats', () => {
  it('a guest waits in the lobby; the host arriving admits it; lifecycle events carry clock times', async () => {
    const { svc, clock, join, lifecycle } = service();
    const room = await addRoom({ hostPin: '4321', guestPin: '8765' });
    const t0 = clock.now();
    const guest = await join(room, { pin: '8765', displayName: 'Guest' });
    expect(await guest.state()).toBe('lobby');
    expect((await guest.joinResult()).roster).toEqual([]);
    const admitted = new Promise((resolve) => guest.events.once('admitted', resolve));
    clock.advance(60_000);
    const host = await join(room, { pin: '4321', displayName: 'Host' });
    expect(await admitted).toMatchObject({ participantId: guest.participantId, state: 'joined' });
    expect(await guest.state()).toBe('joined');
    const events = lifecycle.map((e) => e.event);
    expect(events).toEqual(['meetingStarted', 'participantJoined', 'participantJoined', 'participantAdmitted']);
    expect(lifecycle[1]!.args[0]).toMatchObject({ participantId: guest.participantId, kind: 'browser', joinedAt: t0, answeredAt: null, role: 'guest', companyId: room.companyId, roomAddress: room.addresses[0] });
    expect(lifecycle[3]!.args[0]).toMatchObject({ participantId: guest.participantId, answeredAt: t0 + 60_000 });
    expect(lifecycle[2]!.args[0]).toMatchObject({ participantId: host.participantId, answeredAt: t0 + 60_000 });
    svc.close();
  });

  it('a locked meeting refuses guests and lets hosts in (host PIN)', async () => {
    const { svc, join, refusal } = service();
    const room = await addRoom({ hostPin: '4321', guestPin: '8765' });
    const host = await join(room, { pin: '4321' });
    await host.host({ action: 'lock', locked: true });
    expect(await refusal(join(room, { pin: '8765' }))).toBe('meeting_locked');
    const second = await join(room, { pin: '4321', kind: 'sip', callerAddress: 'sip:boardroom@example.com' });
    expect(await second.state()).toBe('joined');
    await host.host({ action: 'lock', locked: false });
    expect(await (await join(room, { pin: '8765' })).state()).toBe('joined');
    svc.close();
  });

  it('200 concurrent joins into a room of 5: exactly 5 seats, the rest meeting_full; a lower licence says licence_limit', async () => {
    const { svc, join, refusal } = service();
    const room = await addRoom({ participantLimit: 5 });
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => refusal(join(room))));
    expect(outcomes.filter((o) => o === 'joined')).toHaveLength(5);
    expect(outcomes.filter((o) => o === 'meeting_full')).toHaveLength(195);

    const licensed = await addRoom();
    book.limits.set(licensed.companyId, { perMeeting: 2, companyConcurrent: null });
    const more = await Promise.all(Array.from({ length: 50 }, () => refusal(join(licensed))));
    expect(more.filter((o) => o === 'joined')).toHaveLength(2);
    expect(more.filter((o) => o === 'licence_limit')).toHaveLength(48);
    svc.close();
  });
});

describe('MeetingService: host controls on a non-browser participant', () => {
  async function withSipParticipant() {
    const ctx = service();
    const room = await addRoom({ hostPin: '4321', guestPin: '8765' });
    const host = await ctx.join(room, { pin: '4321', displayName: 'Host' });
    const seen: { name: string; data: unknown }[] = [];
    host.events.on('notification', (name, data) => seen.push({ name, data }));
    const sip: ParticipantHandle<InMemoryMediaRoom> = await ctx.join(room, {
      pin: '8765',
      displayName: 'Boardroom',
      kind: 'sip',
      callerAddress: 'sip:boardroom@example.com',
      endpoint: { address: 'boardroom@example.com', tier: 'hd' },
      source: '192.0.2.44',
    });
    const leg = await sip.attachMedia(async (r) => r.openLeg(sip.participantId));
    const mic = leg.produce('mic');
    const rosterOf = (id: string) => seen.filter((s) => s.name === 'roster.updated' || s.name === 'roster.joined').map((s) => (s.data as { participant: { id: string } }).participant).filter((p) => p.id === id).at(-1);
    return { ...ctx, room, host, sip, leg, mic, seen, rosterOf };
  }

  it('mute: the host mutes the SIP participant; its producer pauses and the roster shows kind and mute', async () => {
    const { svc, host, sip, leg, rosterOf } = await withSipParticipant();
    expect(rosterOf(sip.participantId)).toMatchObject({ kind: 'sip', audioMuted: false });
    const mutedBy: string[] = [];
    sip.events.on('mutedByHost', (by) => mutedBy.push(by));
    expect(await host.host({ action: 'mute', participantId: sip.participantId })).toEqual({ muted: 1 });
    expect(leg.producers()).toMatchObject([{ source: 'mic', paused: true }]);
    expect(rosterOf(sip.participantId)).toMatchObject({ kind: 'sip', audioMuted: true });
    expect(mutedBy).toEqual([host.participantId]);
    // A participant has one leg: a second is refused.
    await expect(sip.attachMedia(async (r) => r.openLeg(sip.participantId))).rejects.toMatchObject({ code: 'media_error' });
    svc.close();
  });

  it('remove: the SIP participant is told, leaves, its leg closes, and its call summary has kind, caller and tier', async () => {
    const { svc, clock, host, sip, leg, lifecycle, seen } = await withSipParticipant();
    const told: string[] = [];
    sip.events.on('removed', (r) => told.push(`removed:${r}`));
    sip.events.on('left', (r) => told.push(`left:${r}`));
    clock.advance(125_000);
    await host.host({ action: 'remove', participantId: sip.participantId });
    expect(told).toEqual(['removed:removed_by_host', 'left:removed_by_host']);
    expect(leg.closed).toBe(true);
    expect(await sip.state()).toBe('left');
    expect(seen.some((s) => s.name === 'roster.left' && (s.data as { participantId: string }).participantId === sip.participantId)).toBe(true);
    const left = lifecycle.find((e) => e.event === 'participantLeft');
    expect(left?.args).toEqual([
      expect.objectContaining({ participantId: sip.participantId, kind: 'sip', callerAddress: 'sip:boardroom@example.com', tier: 'hd', source: '192.0.2.44', role: 'guest' }),
      'removed_by_host',
      clock.now(),
    ]);
    svc.close();
  });

  it('end: everyone hears it and leaves, lifecycle ends the meeting after the last leave, seats are free again', async () => {
    const { svc, clock, join, room, host, sip, lifecycle } = await withSipParticipant();
    const ended: string[] = [];
    sip.events.on('meetingEnded', (r) => ended.push(r));
    clock.advance(10_000);
    await host.host({ action: 'end' });
    expect(ended).toEqual(['ended_by_host']);
    const tail = lifecycle.slice(-3).map((e) => e.event);
    expect(tail).toEqual(['participantLeft', 'participantLeft', 'meetingEnded']);
    expect(lifecycle.at(-1)!.args).toEqual([expect.objectContaining({ meetingId: room.id, startedAt: clock.now() - 10_000 }), clock.now(), 'ended_by_host']);
    expect(svc.meetingCount).toBe(0);
    // The seats went back: a room of 2 takes two again.
    book.rooms.set(room.id, { ...room, participantLimit: 2 });
    await join(room, { pin: '4321' });
    expect(await (await join(room, { pin: '4321' })).state()).toBe('joined');
    svc.close();
  });

  it('drain: idle() times out on the clock while a meeting runs, and resolves when the last one ends', async () => {
    const { svc, clock, join } = service();
    const room = await addRoom();
    const host = await join(room, { displayName: 'Host' });
    const first = svc.idle(60_000);
    clock.advance(60_000);
    expect(await first).toBe(false);
    const second = svc.idle(60_000);
    await host.host({ action: 'end' });
    expect(await second).toBe(true);
    expect(await svc.idle(60_000)).toBe(true);
    svc.close();
  });
});

describe('MeetingService: call bandwidth (SPEC §4)', () => {
  it("a browser of a company with a 576 kbps policy asking for 2400 joins at 576, and is told why", async () => {
    const { svc, join, lifecycle } = service();
    const companyId = `co-policy-${randomUUID().slice(0, 8)}`;
    book.limits.set(companyId, { perMeeting: 100, companyConcurrent: null, maxCallBandwidthKbps: 576 });
    const room = await addRoom({ companyId });
    const browser = await join(room, { bandwidthKbps: 2400, displayName: 'Capped' });
    expect((await browser.joinResult()).bandwidth).toEqual({ requestedKbps: 2400, kbps: 576, cappedBy: 'company_policy', maxVideoHeight: 720 });
    // Call records and webhooks carry the rate that applied, not the wish.
    expect(lifecycle.find((e) => e.event === 'participantJoined')!.args[0]).toMatchObject({ participantId: browser.participantId, bandwidthKbps: 576 });
    // A choice under the policy stands.
    expect((await (await join(room, { bandwidthKbps: 256 })).joinResult()).bandwidth).toMatchObject({ kbps: 256, cappedBy: 'requested' });
    svc.close();
  });

  it('a company without a policy: the browser gets its own choice (up to the service ceiling)', async () => {
    const { svc, join } = service();
    const room = await addRoom();
    expect((await (await join(room, { bandwidthKbps: 2400 })).joinResult()).bandwidth).toEqual({ requestedKbps: 2400, kbps: 2400, cappedBy: 'requested', maxVideoHeight: 720 });
    svc.close();
  });

  it("SIP callers: a provisioned endpoint gets its tier, not the browsers' policy; an unregistered caller the policy or its SDP's rate", async () => {
    const { svc, join } = service();
    const companyId = `co-policy-${randomUUID().slice(0, 8)}`;
    book.limits.set(companyId, { perMeeting: 100, companyConcurrent: null, maxCallBandwidthKbps: 1200 });
    const room = await addRoom({ companyId });
    const sip = { kind: 'sip' as const, mode: 'video' as const, bandwidthKbps: 4000, callerAddress: 'sip:room@example.com' };
    const basic = await join(room, { ...sip, endpoint: { address: 'basic@convene.example', tier: 'basic' } });
    expect((await basic.joinResult()).bandwidth).toMatchObject({ kbps: 768, cappedBy: 'endpoint_tier' });
    const premium = await join(room, { ...sip, endpoint: { address: 'premium@convene.example', tier: 'premium' } });
    expect((await premium.joinResult()).bandwidth.kbps).toBe(4000);
    const premiumLowSdp = await join(room, { ...sip, sdpBandwidthKbps: 1024, endpoint: { address: 'premium@convene.example', tier: 'premium' } });
    expect((await premiumLowSdp.joinResult()).bandwidth).toMatchObject({ kbps: 1024, cappedBy: 'sdp' });
    const unregistered = await join(room, { ...sip, sdpBandwidthKbps: 2048 });
    expect((await unregistered.joinResult()).bandwidth).toMatchObject({ kbps: 1200, cappedBy: 'company_policy' });
    svc.close();
  });

  it('a guest admitted from the lobby is told the same capped rate', async () => {
    const { svc, join } = service();
    const companyId = `co-policy-${randomUUID().slice(0, 8)}`;
    book.limits.set(companyId, { perMeeting: 100, companyConcurrent: null, maxCallBandwidthKbps: 576 });
    const room = await addRoom({ companyId, hostPin: '4321', guestPin: '8765' });
    const guest = await join(room, { pin: '8765', bandwidthKbps: 4000 });
    expect((await guest.joinResult()).bandwidth.kbps).toBe(576);
    const admitted = new Promise<{ bandwidth: unknown }>((resolve) => guest.events.once('admitted', resolve));
    await join(room, { pin: '4321' });
    expect((await admitted).bandwidth).toEqual({ requestedKbps: 4000, kbps: 576, cappedBy: 'company_policy', maxVideoHeight: 720 });
    svc.close();
  });
});
