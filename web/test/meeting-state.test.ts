import { describe, expect, it } from 'vitest';
import type { JoinResult, ParticipantView } from '../../server/src/protocol/index.js';
import { MeetingState } from '../src/meeting/index.js';

function person(id: string, patch: Partial<ParticipantView> = {}): ParticipantView {
  return { id, displayName: id.toUpperCase(), role: 'guest', mode: 'video', kind: 'browser', address: null, state: 'joined', audioMuted: false, videoMuted: false, handRaised: false, presenting: false, ...patch };
}

function joined(roster: ParticipantView[], patch: Partial<JoinResult> = {}): JoinResult {
  return {
    participantId: 'me',
    role: 'guest',
    state: 'joined',
    bandwidth: { requestedKbps: 1200, kbps: 1200, cappedBy: 'requested', maxVideoHeight: 720 },
    meeting: { id: 'm1', displayName: 'Team room', locked: false, presenterId: null, activeSpeakerId: null },
    routerRtpCapabilities: {},
    roster,
    ...patch,
  };
}

describe('MeetingState', () => {
  it('takes who I am, the meeting and the roster from the join answer', () => {
    const s = new MeetingState();
    s.applyJoin(joined([person('me'), person('h', { role: 'host' })]), 'video');
    const snap = s.snapshot();
    expect(snap.phase).toBe('joined');
    expect(snap.participantId).toBe('me');
    expect(snap.roster.map((p) => p.id)).toEqual(['me', 'h']);
  });

  it("keeps the call bandwidth that applies, and knows when our organisation capped it", () => {
    const s = new MeetingState();
    s.applyJoin(joined([person('me')]), 'video');
    expect(s.snapshot().bandwidth).toEqual({ requestedKbps: 1200, kbps: 1200, cappedBy: 'requested', maxVideoHeight: 720 });
    expect(s.cappedByOrganisation).toBe(false);
    s.applyJoin(joined([person('me')], { bandwidth: { requestedKbps: 2400, kbps: 576, cappedBy: 'company_policy', maxVideoHeight: 720 } }), 'video');
    expect(s.cappedByOrganisation).toBe(true);
    expect(s.snapshot().bandwidth?.kbps).toBe(576);
  });

  it('starts in the lobby when the join answer says so', () => {
    const s = new MeetingState();
    s.applyJoin(joined([], { state: 'lobby' }), 'audio-only');
    expect(s.phase).toBe('lobby');
    expect(s.mode).toBe('audio-only');
  });

  it('tracks joins, updates and leaves, and forgets a leaving active speaker', () => {
    const s = new MeetingState();
    s.applyJoin(joined([person('me')]), 'video');
    s.apply('roster.joined', { participant: person('b') });
    s.apply('speaker.active', { participantId: 'b' });
    s.apply('roster.updated', { participant: person('b', { audioMuted: true, handRaised: true }) });
    expect(s.roster.get('b')).toMatchObject({ audioMuted: true, handRaised: true });
    expect(s.activeSpeakerId).toBe('b');
    s.apply('roster.left', { participantId: 'b', reason: 'left' });
    expect(s.roster.has('b')).toBe(false);
    expect(s.activeSpeakerId).toBeNull();
  });

  it('keeps the lobby list for hosts and drops an admitted participant from it', () => {
    const s = new MeetingState();
    s.applyJoin(joined([person('me', { role: 'host' })], { role: 'host' }), 'video');
    s.apply('lobby.changed', { waiting: [person('g', { state: 'lobby' })] });
    expect(s.snapshot().lobby.map((p) => p.id)).toEqual(['g']);
    s.apply('roster.joined', { participant: person('g') });
    expect(s.lobby).toEqual([]);
    expect(s.roster.has('g')).toBe(true);
  });

  it('marks exactly one presenter and follows a takeover', () => {
    const s = new MeetingState();
    s.applyJoin(joined([person('me'), person('a'), person('b')]), 'video');
    s.apply('presentation.changed', { presenterId: 'a', previousPresenterId: null });
    s.apply('presentation.changed', { presenterId: 'b', previousPresenterId: 'a' });
    expect(s.presenterId).toBe('b');
    expect([...s.roster.values()].filter((p) => p.presenting).map((p) => p.id)).toEqual(['b']);
  });

  it('applies lock changes and promotion', () => {
    const s = new MeetingState();
    s.applyJoin(joined([person('me')]), 'video');
    s.apply('meeting.locked', { locked: true, by: 'h' });
    s.apply('you.promoted', { role: 'host' });
    expect(s.meeting?.locked).toBe(true);
    expect(s.isHost).toBe(true);
    expect(s.me?.role).toBe('host');
  });

  it('appends chat once per message id and announces it', () => {
    const s = new MeetingState();
    s.applyJoin(joined([person('me')]), 'video');
    const seen: string[] = [];
    s.events.on('chat', (c) => seen.push(c.text));
    const msg = { messageId: 'c1', from: 'a', displayName: 'A', text: 'hello', at: '2026-11-23T09:00:00Z' };
    s.apply('chat.message', msg);
    s.apply('chat.message', msg);
    expect(s.chat).toHaveLength(1);
    expect(seen).toEqual(['hello']);
  });

  it('sorts me first, then hosts, then by name', () => {
    const s = new MeetingState();
    s.applyJoin(joined([person('zed'), person('bob', { role: 'host', displayName: 'Bob' }), person('me'), person('amy', { displayName: 'Amy' })]), 'video');
    expect(s.sortedRoster().map((p) => p.id)).toEqual(['me', 'bob', 'amy', 'zed']);
  });

  it('reports notifications that are not about state as unhandled', () => {
    const s = new MeetingState();
    expect(s.apply('consumer.closed', { consumerId: 'c' })).toBe(false);
  });
});
