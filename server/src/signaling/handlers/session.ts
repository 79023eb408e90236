import { DomainError } from '../../errors.js';
import { empty, type HandlerTable } from '../context.js';

export const sessionHandlers: HandlerTable = {
  // hello is handled by the Session itself (it must be first and may resume).

  async join(ctx, data) {
    const s = ctx.session;
    if (s.participant) throw new DomainError('already_joined', 'this connection has already joined a meeting');
    try {
      // Named fields only: a browser never supplies a caller identity (that is the SIP gateway's evidence).
      const { address, displayName, pin, hostToken, mode, bandwidthKbps } = data;
      const joined = await ctx.meetings.join({ address, displayName, pin, hostToken, mode, bandwidthKbps, source: s.source }, s.channel, s.resumeToken);
      s.participant = joined.participant;
      s.meeting = joined.meeting;
      return joined.meeting.joinResult(joined.participant);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'wrong_pin') {
        s.pinFailures++;
        if (s.pinFailures >= ctx.meetings.pinAttemptsPerSession) {
          s.closeAfterResponse('too_many_pin_attempts');
          throw new DomainError('wrong_pin', 'that PIN is not correct; too many attempts on this connection', { attemptsLeft: 0 });
        }
        throw new DomainError('wrong_pin', 'that PIN is not correct', { attemptsLeft: ctx.meetings.pinAttemptsPerSession - s.pinFailures });
      }
      throw err;
    }
  },

  async leave(ctx) {
    const { participant, meeting } = ctx.session;
    if (participant && meeting) meeting.leave(participant, 'left');
    ctx.session.closeAfterResponse('left');
    return empty;
  },
};

