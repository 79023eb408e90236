/**
 * The mail outbox (service operator only): when no SMTP server is configured, mails — invitations,
 * calling-domain instructions — are kept in the store; this screen lists and shows them.
 */
import { ApiError, api, type OutboxMail } from '../api.js';
import { clear, dateTimeCell, h, infoDialog, table } from '../dom.js';
import { showError } from './partner.js';

export async function renderOutbox(root: HTMLElement): Promise<void> {
  clear(root);
  const to = h('input', { type: 'search', placeholder: 'Recipient (exact address)', 'aria-label': 'Recipient' });
  const list = h('div');
  const load = async () => {
    clear(list);
    let mails: OutboxMail[];
    try {
      mails = await api.get<OutboxMail[]>('/outbox', { to: to.value.trim() || undefined, limit: 200 });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return void list.append(h('p', { class: 'empty' }, 'Mail goes out through the configured SMTP server: there is no outbox to show.'));
      if (err instanceof ApiError && err.status === 403) return void list.append(h('p', { class: 'empty' }, 'Only the service operator can read the mail outbox.'));
      throw err;
    }
    list.append(
      table(['Queued (UTC)', 'To', 'Subject', ''], mails, (m) => [
        dateTimeCell(new Date(m.queuedAt).toISOString()),
        m.to,
        m.subject,
        h('button', { class: 'small secondary', onclick: () => void infoDialog(m.subject, h('div', {}, h('p', { class: 'hint' }, `From ${m.from} to ${m.to}`), h('pre', { class: 'mail-text' }, m.text))) }, 'Open'),
      ], { empty: 'The outbox is empty.', testId: 'outbox' }),
    );
  };
  const form = h('form', { class: 'filters' }, to, h('button', { type: 'submit', class: 'secondary' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load().catch(showError);
  });
  root.append(
    h('div', { class: 'toolbar' }, h('h2', {}, 'Mail outbox')),
    h('section', { class: 'card' }, h('p', { class: 'hint' }, 'Mails the service would have sent (no SMTP server is configured), newest first.'), form, list),
  );
  await load();
}
