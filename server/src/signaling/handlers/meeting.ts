import { empty, requireJoined, type HandlerTable } from '../context.js';

export const meetingHandlers: HandlerTable = {
  async 'presentation.start'(ctx) {
    const { participant, meeting } = requireJoined(ctx);
    // A new presenter takes over: the previous one's screen producers are closed.
    meeting.setPresenter(participant);
    return empty;
  },

  async 'presentation.stop'(ctx) {
    const { participant, meeting } = requireJoined(ctx);
    if (meeting.presenterId === participant.id) meeting.setPresenter(null);
    return empty;
  },

  async 'chat.send'(ctx, data) {
    const { participant, meeting } = requireJoined(ctx);
    return meeting.chat(participant, data.text);
  },

  async 'hand.set'(ctx, data) {
    const { participant, meeting } = requireJoined(ctx);
    if (participant.handRaised !== data.raised) {
      participant.handRaised = data.raised;
      meeting.updated(participant);
    }
    return empty;
  },
};
