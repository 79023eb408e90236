import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import type { MediaRoomApi } from '../../../sfu/src/index.js';
import { inMemoryMedia, type InMemoryMediaRoom } from '../../../test/support/in-memory-media.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { MeetingService, type MeetingDirectory, type MeetingRoomRecord, type MeetingsConfig, type ParticipantHandle } from '../meetings/index.js';
import type { NotificationName } from '../protocol/index.js';
import { ParticipantLinks, type LinkChannel } from './links.js';

/** Resume tokens and socket replacement, now signalling's: grace timers on a ManualClock. */
const logger = pino({ level: 'silent' });
const config: MeetingsConfig = {
  seatLeaseMs: 30_000,
  reconnectGraceMs: 30_000,
  lookups: { maxFailuresPerSource: 30, windowSeconds: 600 },
  pin: { maxFailuresPerRoom: 20, maxFailuresPerSource: 10, windowSeconds: 600, backoff: { freeFailures: 3, baseMs: 1000, maxMs: 300_000 }, attemptsPerSession: 3 },
  hostLink: { secret: null, ttlSeconds: 600 },
};

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

class Channel implements LinkChannel {
  readonly heard: { name: NotificationName; data: unknown }[] = [];
  replacedCount = 0;
  notify(name: NotificationName, data: unknown): void {
    this.heard.push({ name, data });
  }
  replaced(): void {
    this.replacedCount++;
  }
}

async function setup() {
  const id = `vmr-${randomUUID().slice(0, 8)}`;
  const room: MeetingRoomRecord = {
    id, numericId: '555001', companyId: `co-${id}`, addresses: [`${id}@convene.example`], displayName: 'Links',
    hostPinHash: null, guestPinHash: null, allowGuests: true, participantLimit: null, state: 'active',
  };
  const directory: MeetingDirectory = {
    getVmrByAddress: async (a) => (a === room.addresses[0] ? room : null),
    getVmrByNumericId: async () => null,
    companyLimits: async () => ({ perMeeting: 100, companyConcurrent: null }),
    verifyPin: async () => false,
  };
  const clock = new ManualClock();
  const svc = new MeetingService<InMemoryMediaRoom>({ directory, redis: redis.client, openMediaRoom: inMemoryMedia().open, config, logger, clock });
  const links = new ParticipantLinks({ clock, reconnectGraceMs: 30_000, logger });
  const join = async (name: string) => {
    const handle = await svc.join({ address: room.addresses[0]!, displayName: name, mode: 'audio-only', bandwidthKbps: 576, source: '127.0.0.1' });
    const channel = new Channel();
    // The links only read router capabilities from a WebRTC room; the in-memory room stands in.
    const link = links.bind(handle as unknown as ParticipantHandle<MediaRoomApi>, 576, channel, `token-${name}-${randomUUID()}`);
    return { handle, channel, link };
  };
  return { clock, svc, links, join };
}

describe('ParticipantLinks', () => {
  it('a dropped connection shows reconnecting, then leaves with connection_lost when the grace period passes', async () => {
    const { clock, svc, links, join } = await setup();
    const watcher = await join('watcher');
    const dropped = await join('dropped');
    links.disconnected(dropped.link);
    await Promise.resolve();
    const update = watcher.channel.heard.filter((h) => h.name === 'roster.updated').at(-1)?.data as { participant: { id: string; state: string } };
    expect(update.participant).toMatchObject({ id: dropped.handle.participantId, state: 'reconnecting' });
    clock.advance(29_999);
    expect(await dropped.handle.state()).toBe('joined');
    clock.advance(1);
    expect(await dropped.handle.state()).toBe('left');
    expect(watcher.channel.heard.filter((h) => h.name === 'roster.left').at(-1)?.data).toEqual({ participantId: dropped.handle.participantId, reason: 'connection_lost' });
    expect(() => links.resume(dropped.link.token, new Channel())).toThrow(expect.objectContaining({ code: 'session_expired' }));
    svc.close();
  });

  it('a resume within the grace period takes over: fresh single-use token, queued notifications delivered, old connection replaced', async () => {
    const { clock, svc, links, join } = await setup();
    const host = await join('host');
    const other = await join('other');
    const oldToken = other.link.token;
    links.disconnected(other.link);
    clock.advance(10_000);
    await host.handle.chat('while you were away');
    const fresh = new Channel();
    const link = links.resume(oldToken, fresh);
    expect(link.token).not.toBe(oldToken);
    expect(fresh.heard.map((h) => h.name)).toContain('chat.message');
    expect(() => links.resume(oldToken, new Channel())).toThrow(expect.objectContaining({ code: 'session_expired' }));
    // The grace timer was cancelled: time passing no longer removes it.
    clock.advance(60_000);
    expect(await other.handle.state()).toBe('joined');
    expect((await other.handle.view()).state).toBe('joined');
    // A second resume with the new token replaces the first connection.
    const third = new Channel();
    links.resume(link.token, third);
    expect(fresh.replacedCount).toBe(1);
    svc.close();
  });
});
