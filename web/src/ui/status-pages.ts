import { h } from './dom.js';

/** Shown while a guest waits for a host to admit them. */
export function renderLobbyPage(meetingName: string, onLeave: () => void): HTMLElement {
  return h(
    'main',
    { class: 'center-page' },
    h(
      'section',
      { class: 'card status-card', 'data-testid': 'lobby-waiting', 'aria-live': 'polite' },
      h('div', { class: 'spinner', 'aria-hidden': 'true' }),
      h('h1', {}, 'Waiting for the host'),
      h('p', { class: 'lead' }, `You are in the lobby of ${meetingName}. You will be let in when a host joins or admits you; this page continues by itself.`),
      h('button', { type: 'button', class: 'btn', 'data-testid': 'lobby-leave', onclick: onLeave }, 'Leave'),
    ),
  );
}

/** Shown while the first connection and join are in progress. */
export function renderConnectingPage(): HTMLElement {
  return h(
    'main',
    { class: 'center-page' },
    h('section', { class: 'card status-card', 'data-testid': 'connecting', 'aria-live': 'polite' }, h('div', { class: 'spinner', 'aria-hidden': 'true' }), h('h1', {}, 'Joining…')),
  );
}

/** Shown when the visit is over (left, removed, meeting ended, connection lost for good). */
export function renderEndedPage(message: string, onRejoin: () => void): HTMLElement {
  return h(
    'main',
    { class: 'center-page' },
    h(
      'section',
      { class: 'card status-card', 'data-testid': 'ended' },
      h('h1', {}, 'You are out of the meeting'),
      h('p', { class: 'lead', role: 'status', 'data-testid': 'ended-message' }, message),
      h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'rejoin', onclick: onRejoin }, 'Back to join page'),
    ),
  );
}
