/** The portal's DOM helpers: the shared ones plus tables, dialogs and formatting. */
import { append, clear, h, type Child } from '../../shared/dom.js';
import { ApiError, session } from './api.js';

export { h, append, clear } from '../../shared/dom.js';

/** A table with a header row; `cells` returns one row's cells (strings or nodes). */
export function table<T>(headers: string[], rows: T[], cells: (row: T) => Child[], opts: { empty?: string; testId?: string } = {}): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty', 'data-testid': opts.testId }, opts.empty ?? 'Nothing here yet.');
  return h(
    'table',
    { 'data-testid': opts.testId },
    h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...cells(r).map((c) => h('td', {}, c))))),
  );
}

let flashTimer: number | undefined;
/** Shows a status line at the top of the page (errors stay until the next message or page). */
export function flash(message: string | Node, kind: 'ok' | 'error' = 'ok'): void {
  const el = document.getElementById('flash');
  if (!el) return;
  el.replaceChildren(message);
  el.className = kind;
  el.hidden = false;
  if (flashTimer !== undefined) window.clearTimeout(flashTimer);
  if (kind === 'ok') flashTimer = window.setTimeout(() => (el.hidden = true), 5000);
}

/** Hides an error banner: an error belongs to the page that caused it, not the next one. */
export function clearFlash(): void {
  const el = document.getElementById('flash');
  if (!el || el.className !== 'error') return;
  if (flashTimer !== undefined) window.clearTimeout(flashTimer);
  el.hidden = true;
  el.replaceChildren();
}

/**
 * An error as people should read it: the server's message, and for a missing licence what to do
 * — a link to the order dialog for partner admins, a hint to ask the partner for company admins.
 */
export function errorContent(err: unknown): Node {
  const text = err instanceof Error ? err.message : String(err);
  if (!(err instanceof ApiError) || err.code !== 'no_licence_available') return document.createTextNode(text);
  const details = (err.details ?? {}) as { orderPlanTypes?: string[] };
  const planType = details.orderPlanTypes?.[0];
  const companyId = /^#\/company\/([^/]+)/.exec(location.hash)?.[1];
  const action =
    session.role === 'partner_admin' && companyId && planType
      ? h('a', { href: `#/company/${companyId}/licences/order/${encodeURIComponent(planType)}`, class: 'order-link' }, 'Order licenses')
      : session.role === 'company_admin'
        ? h('span', {}, 'Ask your service partner to order more.')
        : null;
  return h('span', {}, text, ' ', action);
}

export interface FieldSpec {
  name: string;
  label: string;
  /** info: a read-only line of text (label: value), not an input. */
  type?: 'text' | 'email' | 'number' | 'date' | 'password' | 'select' | 'checkbox' | 'info';
  options?: { value: string; label: string }[];
  required?: boolean;
  value?: string;
  placeholder?: string;
  min?: number;
}

/**
 * A form dialog. Resolves with the field values (strings; checkboxes as 'true'/'false') or null
 * when cancelled. `submit` may throw: its message is shown in the dialog and it stays open.
 */
export function formDialog(title: string, fields: FieldSpec[], submit: (values: Record<string, string>) => Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    const error = h('p', { class: 'form-error', role: 'alert' });
    const infos = fields.filter((f) => f.type === 'info').map((f) => h('p', { class: 'info-field' }, h('span', { class: 'hint' }, `${f.label}: `), f.value ?? ''));
    const inputs = fields.filter((f) => f.type !== 'info').map((f) => {
      const id = `f-${f.name}`;
      let input: HTMLInputElement | HTMLSelectElement;
      if (f.type === 'select') {
        input = h('select', { id, name: f.name }, ...(f.options ?? []).map((o) => h('option', { value: o.value, selected: o.value === f.value }, o.label)));
      } else {
        input = h('input', {
          id,
          name: f.name,
          type: f.type ?? 'text',
          required: f.required,
          value: f.type === 'checkbox' ? undefined : f.value,
          checked: f.type === 'checkbox' && f.value === 'true',
          placeholder: f.placeholder,
          min: f.min,
        });
      }
      return { f, input, row: h('label', { for: id, class: f.type === 'checkbox' ? 'check' : '' }, h('span', {}, f.label), input) };
    });
    const dialog = h('dialog', { class: 'form-dialog' });
    const form = h(
      'form',
      { method: 'dialog' },
      h('h3', {}, title),
      ...infos,
      ...inputs.map((i) => i.row),
      error,
      h('div', { class: 'buttons' }, h('button', { type: 'button', class: 'secondary', onclick: () => close(false) }, 'Cancel'), h('button', { type: 'submit' }, 'OK')),
    );
    const close = (ok: boolean) => {
      window.removeEventListener('hashchange', leave);
      dialog.close();
      dialog.remove();
      resolve(ok);
    };
    // Following a link out of the dialog (e.g. "Order licenses") closes it.
    const leave = () => close(false);
    window.addEventListener('hashchange', leave);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const values: Record<string, string> = {};
      for (const { f, input } of inputs) values[f.name] = f.type === 'checkbox' ? String((input as HTMLInputElement).checked) : input.value.trim();
      error.textContent = '';
      submit(values).then(
        () => close(true),
        (err: unknown) => error.replaceChildren(errorContent(err)),
      );
    });
    dialog.appendChild(form);
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

export function confirmDialog(message: string): Promise<boolean> {
  return formDialog(message, [], async () => undefined);
}

export const fmtDate = (iso: string | null | undefined): string => (iso ? iso.slice(0, 10) : '—');
/** A date that never wraps inside a table cell ("2026-12-\n01"). */
export const dateCell = (iso: string | null | undefined): HTMLElement => h('span', { class: 'date' }, fmtDate(iso));
export const fmtDateTime = (iso: string | null | undefined): string => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—');
export const dateTimeCell = (iso: string | null | undefined): HTMLElement => h('span', { class: 'date' }, fmtDateTime(iso));

/** A read-only dialog showing `content`, closed with one button. */
export function infoDialog(title: string, content: Node): Promise<void> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'form-dialog' });
    const close = () => {
      window.removeEventListener('hashchange', close);
      dialog.close();
      dialog.remove();
      resolve();
    };
    window.addEventListener('hashchange', close);
    dialog.append(h('h3', {}, title), content, h('div', { class: 'buttons' }, h('button', { type: 'button', onclick: close }, 'Close')));
    dialog.addEventListener('cancel', () => close());
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}
