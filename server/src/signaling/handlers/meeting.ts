import { empty, requireJoined, type HandlerTable } from '../context.js';

export const meetingHandlers: HandlerTable = {
  async 'presentation.start'(ctx) {
    // A new presenter takes over: the previous one's screen producers are closed.
    await (await requireJoined(ctx)).startPresentation();
    return empty;
  },

  async 'presentation.stop'(ctx) {
    await (await requireJoined(ctx)).stopPresentation();
    return empty;
  },

  async 'chat.send'(ctx, data) {
    return (await requireJoined(ctx)).chat(data.text);
  },

  async 'hand.set'(ctx, data) {
    await (await requireJoined(ctx)).setHandRaised(data.raised);
    return empty;
  },
};
