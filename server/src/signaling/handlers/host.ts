import { DomainError } from '../../errors.js';
import { empty, requireHost, requireTarget, type HandlerTable } from '../context.js';

export const hostHandlers: HandlerTable = {
  async 'host.mute'(ctx, data) {
    const { participant, meeting } = requireHost(ctx);
    const targets = data.participantId ? [requireTarget(meeting, data.participantId)] : meeting.joined().filter((p) => p.id !== participant.id);
    let muted = 0;
    for (const t of targets) if (await meeting.mute(t, participant)) muted++;
    return { muted };
  },

  async 'host.disconnect'(ctx, data) {
    const { participant, meeting } = requireHost(ctx);
    const target = requireTarget(meeting, data.participantId);
    if (target === participant) throw new DomainError('bad_request', 'use leave to leave the meeting yourself');
    target.notify('you.removed', { reason: 'removed_by_host' });
    meeting.leave(target, 'removed_by_host');
    return empty;
  },

  async 'host.lock'(ctx, data) {
    const { participant, meeting } = requireHost(ctx);
    meeting.setLocked(data.locked, participant);
    return empty;
  },

  async 'host.admit'(ctx, data) {
    const { meeting } = requireHost(ctx);
    const target = requireTarget(meeting, data.participantId);
    if (target.state !== 'lobby') throw new DomainError('bad_request', 'that participant is not waiting in the lobby');
    meeting.admit(target);
    return empty;
  },

  async 'host.promote'(ctx, data) {
    const { meeting } = requireHost(ctx);
    const target = requireTarget(meeting, data.participantId);
    if (target.state === 'lobby') meeting.admit(target);
    meeting.promote(target);
    return empty;
  },

  async 'host.end'(ctx) {
    const { meeting } = requireHost(ctx);
    meeting.end('ended_by_host');
    return empty;
  },
};
