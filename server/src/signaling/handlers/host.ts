import { empty, requireLink, type HandlerTable } from '../context.js';

// Host controls go through the meetings API: one Meeting code path whatever kind the target is.
export const hostHandlers: HandlerTable = {
  async 'host.mute'(ctx, data) {
    const { muted = 0 } = await requireLink(ctx).handle.host({ action: 'mute', participantId: data.participantId });
    return { muted };
  },

  async 'host.disconnect'(ctx, data) {
    await requireLink(ctx).handle.host({ action: 'remove', participantId: data.participantId });
    return empty;
  },

  async 'host.lock'(ctx, data) {
    await requireLink(ctx).handle.host({ action: 'lock', locked: data.locked });
    return empty;
  },

  async 'host.admit'(ctx, data) {
    await requireLink(ctx).handle.host({ action: 'admit', participantId: data.participantId });
    return empty;
  },

  async 'host.promote'(ctx, data) {
    await requireLink(ctx).handle.host({ action: 'promote', participantId: data.participantId });
    return empty;
  },

  async 'host.end'(ctx) {
    await requireLink(ctx).handle.host({ action: 'end' });
    return empty;
  },
};
