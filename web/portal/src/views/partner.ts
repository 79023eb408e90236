/** Partner view: the partner's companies (search, create), each linking to its company page. */
import { api, type Company, type Page } from '../api.js';
import { clear, dateCell, errorContent, flash, fmtDate, formDialog, h, table } from '../dom.js';

const PAGE = 25;

export async function renderCompanies(root: HTMLElement): Promise<void> {
  clear(root);
  const search = h('input', { type: 'search', placeholder: 'Search companies', 'aria-label': 'Search companies' });
  const list = h('div');
  const pager = h('div', { class: 'pager' });
  let offset = 0;

  const load = async () => {
    const page = await api.get<Page<Company>>('/companies', { q: search.value.trim() || undefined, offset, limit: PAGE });
    clear(list);
    list.appendChild(
      table(
        ['Company', 'Contact', 'Evaluation Mode', 'Created'],
        page.items,
        (c) => [
          h('a', { href: `#/company/${encodeURIComponent(c.id)}` }, c.name),
          c.contactEmail ?? '—',
          evaluationBadge(c),
          dateCell(c.createdAt),
        ],
        { empty: 'No companies yet. Create the first one.', testId: 'companies' },
      ),
    );
    clear(pager);
    if (page.total > PAGE) {
      pager.append(
        h('button', { class: 'secondary', disabled: offset === 0, onclick: () => void ((offset = Math.max(0, offset - PAGE)), load()) }, '‹ Previous'),
        h('span', {}, ` ${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total} `),
        h('button', { class: 'secondary', disabled: offset + PAGE >= page.total, onclick: () => void ((offset += PAGE), load()) }, 'Next ›'),
      );
    }
  };

  const create = () =>
    formDialog(
      'New company',
      [
        { name: 'name', label: 'Company name', required: true },
        { name: 'contactEmail', label: 'Contact email (DNS instructions go here)', type: 'email' },
        { name: 'evaluationEndsAt', label: 'Evaluation Mode until (optional)', type: 'date' },
      ],
      async (v) => {
        const company = await api.post<Company>(
          '/companies',
          {
            name: v.name,
            contactEmail: v.contactEmail || null,
            evaluationEndsAt: v.evaluationEndsAt ? new Date(`${v.evaluationEndsAt}T23:59:59Z`).toISOString() : null,
          },
          true,
        );
        flash(`Company "${company.name}" created.`);
        location.hash = `#/company/${encodeURIComponent(company.id)}`;
      },
    );

  let timer: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void ((offset = 0), load().catch(showError)), 250);
  });

  root.append(
    h('div', { class: 'toolbar' }, h('h2', {}, 'Companies'), search, h('button', { onclick: () => void create() }, '+ New company')),
    h('section', { class: 'card' }, list, pager),
  );
  await load();
}

export function showError(err: unknown): void {
  flash(errorContent(err), 'error');
}

/** Evaluation Mode as the server sees it: open until a date, ended on a date, or none. */
export function evaluationBadge(c: Company, prefix = ''): HTMLElement | string {
  if (!c.evaluation) return prefix ? '' : '—';
  return c.evaluationOpen
    ? h('span', { class: 'badge trial' }, `${prefix}until ${fmtDate(c.evaluation.endsAt)}`)
    : h('span', { class: 'badge ended' }, `${prefix}ended ${fmtDate(c.evaluation.endsAt)}`);
}
