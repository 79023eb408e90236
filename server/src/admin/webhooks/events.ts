import { randomUUID } from 'node:crypto';
import type { Emitter } from '../../../../common/src/index.js';
import type { MeetingLifecycleEvents, MeetingSummary, ParticipantSummary } from '../../meetings/events.js';
import type { CallDetailRecord } from '../model.js';
import type { WebhookEvent, WebhookEventType } from './model.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A participant as receivers see it: times in ISO, without the network source address. */
function participantData(p: ParticipantSummary): Record<string, unknown> {
  const { source: _source, joinedAt, answeredAt, ...rest } = p;
  return { ...rest, joinedAt: iso(joinedAt), answeredAt: answeredAt === null ? null : iso(answeredAt) };
}

const meetingData = (m: MeetingSummary) => ({ ...m, startedAt: iso(m.startedAt) });

/**
 * Turns meeting lifecycle events and written call records into webhook events. Returns a
 * function that unsubscribes.
 */
export function webhookEventsFrom(
  lifecycle: Emitter<MeetingLifecycleEvents>,
  callRecords: Emitter<{ written: [cdr: CallDetailRecord] }>,
  publish: (event: WebhookEvent) => void,
  now: () => number,
): () => void {
  const emit = (type: WebhookEventType, companyId: string, meetingId: string, at: number, data: Record<string, unknown>) =>
    publish({ id: `evt_${randomUUID()}`, type, createdAt: iso(at), companyId, meetingId, data });
  const offs = [
    lifecycle.on('meetingStarted', (m) => emit('meeting.started', m.companyId, m.meetingId, m.startedAt, { meeting: meetingData(m) })),
    lifecycle.on('meetingEnded', (m, endedAt, reason) => emit('meeting.ended', m.companyId, m.meetingId, endedAt, { meeting: meetingData(m), endedAt: iso(endedAt), reason })),
    lifecycle.on('participantJoined', (p) => emit('participant.joined', p.companyId, p.meetingId, p.joinedAt, { participant: participantData(p) })),
    lifecycle.on('participantAdmitted', (p) => emit('participant.admitted', p.companyId, p.meetingId, p.answeredAt ?? now(), { participant: participantData(p) })),
    lifecycle.on('participantRoleChanged', (p, previous) => emit('participant.role_changed', p.companyId, p.meetingId, now(), { participant: participantData(p), previousRole: previous })),
    lifecycle.on('participantLeft', (p, reason, leftAt) => emit('participant.left', p.companyId, p.meetingId, leftAt, { participant: participantData(p), reason, leftAt: iso(leftAt) })),
    callRecords.on('written', (cdr) => {
      const { remoteAddress: _remote, ...record } = cdr;
      emit('call_record.written', cdr.companyId, cdr.vmrId ?? cdr.id, now(), { callRecord: record });
    }),
  ];
  return () => offs.forEach((off) => off());
}
