import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import { InMemoryLeg, InMemoryMediaRoom } from '../../../test/support/in-memory-media.js';
import type { NotificationData, NotificationName, Role } from '../protocol/index.js';
import type { MeetingRoomRecord } from './directory.js';
import type { ParticipantKind } from './events.js';
import { Meeting } from './meeting.js';
import { Participant } from './participant.js';

/** Meeting on the in-memory media port, time from a ManualClock: no sockets, no SFU. */
const logger = pino({ level: 'silent' });
const room: MeetingRoomRecord = {
  id: 'vmr-1',
  numericId: '1001',
  companyId: 'co-1',
  addresses: ['team.meeting@convene.example'],
  displayName: 'Team',
  hostPinHash: null,
  guestPinHash: null,
  allowGuests: true,
  participantLimit: null,
  state: 'active',
};

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 9, 0, 0));
  const media = new InMemoryMediaRoom(room.id);
  const meeting = new Meeting(room, media, logger, clock);
  let n = 0;
  const person = (role: Role, kind: ParticipantKind = 'browser') => {
    const p = new Participant(
      { id: `p${++n}`, displayName: `P${n}`, role, mode: 'video', kind, bandwidthKbps: 1200, source: '127.0.0.1', callerAddress: kind === 'browser' ? null : `sip:p${n}@example.com`, tier: null, joinedAt: clock.now(), call: null },
      (event, err) => {
        throw new Error(`listener ${event} failed: ${String(err)}`);
      },
    );
    const heard: { name: NotificationName; data: unknown }[] = [];
    p.events.on('notification', (name, data) => heard.push({ name, data }));
    const last = <N extends NotificationName>(name: N) => heard.filter((h) => h.name === name).at(-1)?.data as NotificationData[N] | undefined;
    return { p, heard, last };
  };
  return { clock, media, meeting, person };
}

describe('Meeting', () => {
  it('a guest waits in the lobby until a host arrives, then is admitted with the time the clock says', () => {
    const { clock, meeting, person } = setup();
    const guest = person('guest');
    const admitted: unknown[] = [];
    guest.p.events.on('admitted', (r) => admitted.push(r));
    meeting.add(guest.p);
    expect(guest.p.state).toBe('lobby');
    expect(guest.p.answeredAt).toBeNull();
    clock.advance(45_000);
    const host = person('host');
    meeting.add(host.p);
    expect(guest.p.state).toBe('joined');
    expect(guest.p.answeredAt).toBe(Date.UTC(2026, 5, 1, 9, 0, 45));
    expect(admitted).toHaveLength(1);
    expect(admitted[0]).toMatchObject({ participantId: guest.p.id, state: 'joined', role: 'guest' });
  });

  it('a locked meeting lets hosts in and refuses guests', async () => {
    const { meeting, person } = setup();
    const host = person('host');
    meeting.add(host.p);
    await meeting.host(host.p, { action: 'lock', locked: true });
    expect(host.last('meeting.locked')).toEqual({ locked: true, by: host.p.id });
    expect(() => meeting.add(person('guest').p)).toThrow(expect.objectContaining({ code: 'meeting_locked' }));
    const second = person('host', 'sip');
    meeting.add(second.p);
    expect(second.p.state).toBe('joined');
  });

  it('a SIP participant: its own mute and the host mute reach the roster from the media port', async () => {
    const { meeting, media, person } = setup();
    const host = person('host');
    meeting.add(host.p);
    const room = person('guest', 'sip');
    const mutedBy: string[] = [];
    room.p.events.on('mutedByHost', (by) => mutedBy.push(by));
    meeting.add(room.p);
    expect(host.last('roster.joined')?.participant).toMatchObject({ id: room.p.id, kind: 'sip', audioMuted: true });

    const leg = media.openLeg(room.p.id);
    meeting.attachMedia(room.p, leg);
    const mic = leg.produce('mic');
    expect(host.last('roster.updated')?.participant).toMatchObject({ id: room.p.id, kind: 'sip', audioMuted: false });

    // The endpoint mutes itself (RTP leg pauses its producer): the roster follows.
    await leg.pauseProducer(mic);
    expect(host.last('roster.updated')?.participant).toMatchObject({ id: room.p.id, audioMuted: true });
    await leg.resumeProducer(mic);
    expect(host.last('roster.updated')?.participant).toMatchObject({ id: room.p.id, audioMuted: false });

    // The host mutes it: the port pauses the producer (as the server), the roster and the participant hear.
    const paused: boolean[] = [];
    leg.events.on('producerPaused', (_id, byServer) => paused.push(byServer));
    expect(await meeting.host(host.p, { action: 'mute', participantId: room.p.id })).toEqual({ muted: 1 });
    expect(paused).toEqual([true]);
    expect(leg.producers()[0]).toMatchObject({ source: 'mic', paused: true });
    expect(host.last('roster.updated')?.participant).toMatchObject({ id: room.p.id, audioMuted: true });
    expect(room.last('you.muted')).toEqual({ by: host.p.id, source: 'mic' });
    expect(mutedBy).toEqual([host.p.id]);
    // Muting again finds nothing to mute.
    expect(await meeting.host(host.p, { action: 'mute' })).toEqual({ muted: 0 });
  });

  it('a guest may not use host controls; the host removes a SIP participant and its leg closes', async () => {
    const { meeting, media, person } = setup();
    const host = person('host');
    meeting.add(host.p);
    const guest = person('guest');
    meeting.add(guest.p);
    const room = person('guest', 'sip');
    meeting.add(room.p);
    const leg: InMemoryLeg = media.openLeg(room.p.id);
    meeting.attachMedia(room.p, leg);
    leg.produce('mic');
    await expect(meeting.host(guest.p, { action: 'remove', participantId: room.p.id })).rejects.toMatchObject({ code: 'not_host' });
    await expect(meeting.host(host.p, { action: 'remove', participantId: 'nobody' })).rejects.toMatchObject({ code: 'participant_not_found' });
    await expect(meeting.host(host.p, { action: 'remove', participantId: host.p.id })).rejects.toMatchObject({ code: 'bad_request' });

    const events: string[] = [];
    room.p.events.on('removed', (r) => events.push(`removed:${r}`));
    room.p.events.on('left', (r) => events.push(`left:${r}`));
    await meeting.host(host.p, { action: 'remove', participantId: room.p.id });
    expect(events).toEqual(['removed:removed_by_host', 'left:removed_by_host']);
    expect(leg.closed).toBe(true);
    expect(meeting.participants.has(room.p.id)).toBe(false);
    expect(host.last('roster.left')).toEqual({ participantId: room.p.id, reason: 'removed_by_host' });
  });

  it('promote changes the role through the same path and tells the participant', async () => {
    const { meeting, person } = setup();
    const host = person('host');
    meeting.add(host.p);
    const phone = person('guest', 'phone');
    meeting.add(phone.p);
    const changes: [Role, Role][] = [];
    phone.p.events.on('roleChanged', (role, previous) => changes.push([role, previous]));
    await meeting.host(host.p, { action: 'promote', participantId: phone.p.id });
    expect(phone.p.role).toBe('host');
    expect(changes).toEqual([['host', 'guest']]);
    expect(host.last('roster.updated')?.participant).toMatchObject({ id: phone.p.id, role: 'host', kind: 'phone' });
  });

  it('end: everyone is told and leaves, the media room closes, the meeting closes with the reason', async () => {
    const { meeting, media, person } = setup();
    const host = person('host');
    meeting.add(host.p);
    const room = person('guest', 'sip');
    meeting.add(room.p);
    const leg = media.openLeg(room.p.id);
    meeting.attachMedia(room.p, leg);
    const ended: string[] = [];
    room.p.events.on('meetingEnded', (r) => ended.push(r));
    const closed: string[] = [];
    meeting.events.on('closed', (r) => closed.push(r));
    await meeting.host(host.p, { action: 'end' });
    expect(ended).toEqual(['ended_by_host']);
    expect(room.last('meeting.ended')).toEqual({ reason: 'ended_by_host' });
    expect(room.p.leaveReason).toBe('meeting_ended');
    expect(leg.closed).toBe(true);
    expect(media.closed).toBe(true);
    expect(meeting.isClosed).toBe(true);
    expect(closed).toEqual(['ended_by_host']);
    expect(() => meeting.add(person('host').p)).toThrow(expect.objectContaining({ code: 'meeting_not_found' }));
  });

  it('chat messages carry the injected clock time; a lobby participant cannot be given media', () => {
    const { clock, meeting, person } = setup();
    const host = person('host');
    meeting.add(host.p);
    clock.advance(90_000);
    expect(meeting.chat(host.p, 'hello').at).toBe('2026-06-01T09:01:30.000Z');
    // No host present in this one: the guest waits in the lobby.
    const other = setup();
    const guest = other.person('guest');
    other.meeting.add(guest.p);
    const leg = other.media.openLeg(guest.p.id);
    expect(() => other.meeting.attachMedia(guest.p, leg)).toThrow(expect.objectContaining({ code: 'not_joined' }));
    expect(leg.closed).toBe(true);
  });

  it('screen media needs the floor on any leg: a screen that appears without it is closed by the server; the presenter keeps its own', () => {
    const { meeting, media, person } = setup();
    const host = person('host');
    meeting.add(host.p);
    const sip = person('guest', 'sip');
    meeting.add(sip.p);
    const leg = media.openLeg(sip.p.id);
    meeting.attachMedia(sip.p, leg);
    const closed: [string, boolean][] = [];
    leg.events.on('producerClosed', (id, byServer) => closed.push([id, byServer]));
    // E.g. the floor moved while the gateway was creating the screen producer.
    const early = leg.produce('screen');
    const camera = leg.produce('camera');
    expect(closed).toEqual([[early, true]]);
    meeting.setPresenter(sip.p);
    const screen = leg.produce('screen');
    expect(leg.producers().map((p) => p.id)).toEqual([camera, screen]);
    meeting.setPresenter(host.p);
    expect(closed.at(-1)).toEqual([screen, true]);
    expect(leg.producers().map((p) => p.id)).toEqual([camera]);
  });
});
