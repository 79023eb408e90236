import { MeetingError } from '../../meetings/index.js';
import { empty, type HandlerTable } from '../context.js';
import { webRtcJoinResult } from '../links.js';

export const sessionHandlers: HandlerTable = {
  // hello is handled by the Session itself (it must be first and may resume).

  async join(ctx, data) {
    const s = ctx.session;
    if (s.link) throw new MeetingError('already_joined', 'this connection has already joined a meeting');
    try {
      // Named fields only: a browser never supplies a caller identity (that is the SIP gateway's evidence).
      const { address, displayName, pin, hostToken, mode, bandwidthKbps } = data;
      const handle = await ctx.meetings.join({ address, displayName, pin, hostToken, mode, bandwidthKbps, kind: 'browser', callerAddress: null, source: s.source });
      const result = await handle.joinResult();
      // The capped rate, not the requested one: the WebRTC leg's transport limits are taken from the link.
      s.link = ctx.links.bind(handle, result.bandwidth.kbps, s.channel, s.resumeToken);
      return await webRtcJoinResult(handle, result);
    } catch (err) {
      if (err instanceof MeetingError && err.code === 'wrong_pin') {
        s.pinFailures++;
        if (s.pinFailures >= ctx.meetings.pinAttemptsPerSession) {
          s.closeAfterResponse('too_many_pin_attempts');
          throw new MeetingError('wrong_pin', 'that PIN is not correct; too many attempts on this connection', { attemptsLeft: 0 });
        }
        throw new MeetingError('wrong_pin', 'that PIN is not correct', { attemptsLeft: ctx.meetings.pinAttemptsPerSession - s.pinFailures });
      }
      throw err;
    }
  },

  async leave(ctx) {
    const link = ctx.session.link;
    if (link) await link.handle.leave('left');
    ctx.session.closeAfterResponse('left');
    return empty;
  },
};
