/**
 * Company administrators (partner admins only): API tokens that manage one company. A token is
 * shown once, when created; afterwards only its name and creation date, and it can be revoked.
 */
import { api, type Company, type Principal } from '../api.js';
import { clear, dateCell, flash, formDialog, h, infoDialog, table } from '../dom.js';
import { showError } from './partner.js';

export async function renderAdmins(root: HTMLElement, company: Company): Promise<void> {
  const base = `/companies/${encodeURIComponent(company.id)}/admins`;
  const list = h('div');
  const load = async () => {
    const admins = await api.get<Principal[]>(base);
    clear(list);
    list.append(
      table(['Name', 'Created', ''], admins, (a) => [
        a.name,
        dateCell(a.createdAt),
        h('button', {
          class: 'small danger',
          onclick: () =>
            void formDialog(`Revoke the token of ${a.name}?`, [], async () => {
              await api.del(`${base}/${encodeURIComponent(a.tokenId)}`);
              flash(`${a.name}'s token is revoked.`);
              await load();
            }),
        }, 'Revoke'),
      ], { empty: 'No company administrators yet.', testId: 'admins' }),
    );
  };
  const create = () =>
    formDialog('New company administrator', [{ name: 'name', label: 'Name', required: true }], async (v) => {
      const issued = await api.post<{ token: string; principal: Principal }>(base, { name: v.name }, true);
      await load();
      void infoDialog(
        `Token for ${issued.principal.name}`,
        h('div', {}, h('p', {}, 'Give this token to the administrator. It is shown only now.'), h('code', { 'data-testid': 'new-token' }, issued.token)),
      );
    });
  root.append(
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'toolbar' }, h('h3', {}, 'Company administrators'), h('button', { onclick: () => void create().catch(showError) }, '+ New administrator')),
      h('p', { class: 'hint' }, 'Company administrators manage this company\u2019s users, rooms, endpoints and domains, and see its licenses without prices.'),
      list,
    ),
  );
  await load();
}
