/**
 * Dial-in numbers. A partner admin sees the numbers the service operator assigned to it and routes
 * each to the IVR (callers key in a meeting's numeric ID) or straight to one of its companies'
 * meeting rooms. The service operator creates numbers, assigns them to partners and deletes them.
 * The server decides who may see and change what (another partner's number is "not found").
 */
import { api, type Company, type DialInNumber, type Member, type Page, type Partner, type Principal, type TeamVmr } from '../api.js';
import { clear, flash, formDialog, h, table } from '../dom.js';
import { showError } from './partner.js';

interface RoomOption {
  value: string;
  label: string;
}

/** Every meeting room of the partner's companies, as select options "companyId/vmrId". */
async function roomOptions(): Promise<{ options: RoomOption[]; addressOf: Map<string, string> }> {
  const companies = await api.get<Page<Company>>('/companies', { limit: 200 });
  const options: RoomOption[] = [];
  const addressOf = new Map<string, string>();
  await Promise.all(
    companies.items.map(async (c) => {
      const base = `/companies/${encodeURIComponent(c.id)}`;
      const [teams, users] = await Promise.all([
        api.get<Page<TeamVmr>>(`${base}/team-vmrs`, { state: 'active', limit: 200 }),
        api.get<Page<Member>>(`${base}/users`, { limit: 200 }),
      ]);
      for (const t of teams.items) addressOf.set(`${c.id}/${t.vmrId}`, `${t.address} (${c.name})`);
      for (const u of users.items.filter((m) => m.state !== 'inactive')) addressOf.set(`${c.id}/${u.vmrId}`, `${u.vmrAddress} (${c.name})`);
    }),
  );
  for (const [value, label] of [...addressOf].sort((a, b) => a[1].localeCompare(b[1]))) options.push({ value, label });
  return { options, addressOf };
}

const IVR = 'ivr';
const IVR_LABEL = 'IVR: callers enter a meeting ID';

export async function renderNumbers(root: HTMLElement, me: Principal): Promise<void> {
  clear(root);
  const operator = me.role === 'operator';
  const list = h('div');
  const partners = operator ? await api.get<Partner[]>('/partners') : [];
  const partnerName = new Map(partners.map((p) => [p.id, p.name]));
  const rooms = operator ? { options: [], addressOf: new Map<string, string>() } : await roomOptions();

  const routeText = (d: DialInNumber): string =>
    d.target.kind === 'ivr' ? IVR_LABEL : (rooms.addressOf.get(`${d.target.companyId}/${d.target.vmrId}`) ?? 'a meeting room');

  const load = async () => {
    const numbers = await api.get<DialInNumber[]>('/dial-in-numbers');
    clear(list);
    list.append(
      table(
        operator ? ['Number', 'Description', 'Partner', 'Routes to', 'Actions'] : ['Number', 'Description', 'Routes to', 'Actions'],
        numbers,
        (d) => [
          h('span', { class: 'nowrap' }, d.number),
          d.label,
          ...(operator ? [d.partnerId ? (partnerName.get(d.partnerId) ?? d.partnerId) : 'service-wide'] : []),
          routeText(d),
          h('div', { class: 'actions' }, ...(operator ? operatorActions(d) : [routeButton(d)])),
        ],
        { empty: operator ? 'No dial-in numbers yet.' : 'The service operator has not assigned any dial-in numbers to you yet.', testId: 'numbers' },
      ),
    );
  };

  const routeButton = (d: DialInNumber): HTMLElement =>
    h('button', {
      class: 'small',
      onclick: () =>
        void formDialog(`Route ${d.number}`, [
          { name: 'label', label: 'Description', value: d.label, required: true },
          {
            name: 'target', label: 'Routes to', type: 'select',
            value: d.target.kind === 'ivr' ? IVR : `${d.target.companyId}/${d.target.vmrId}`,
            options: [{ value: IVR, label: IVR_LABEL }, ...rooms.options],
          },
        ], async (v) => {
          const [companyId, vmrId] = (v.target ?? IVR).split('/');
          const target = v.target === IVR || !companyId || !vmrId ? { kind: 'ivr' } : { kind: 'vmr', companyId, vmrId };
          await api.put(`/dial-in-numbers/${encodeURIComponent(d.number)}`, { label: v.label, target });
          flash(`${d.number} now routes to ${target.kind === 'ivr' ? 'the IVR' : rooms.addressOf.get(v.target ?? '')}.`);
          await load();
        }),
    }, 'Route');

  const partnerOptions = [{ value: '', label: 'Service-wide (operator)' }, ...partners.map((p) => ({ value: p.id, label: p.name }))];
  const operatorActions = (d: DialInNumber): HTMLElement[] => [
    h('button', {
      class: 'small',
      onclick: () =>
        void formDialog(`Assign ${d.number}`, [
          { name: 'partnerId', label: 'Partner', type: 'select', value: d.partnerId ?? '', options: partnerOptions },
        ], async (v) => {
          await api.put(`/dial-in-numbers/${encodeURIComponent(d.number)}/partner`, { partnerId: v.partnerId || null });
          flash(`${d.number} assigned; it routes to the IVR until its partner routes it.`);
          await load();
        }),
    }, 'Assign'),
    h('button', {
      class: 'small danger',
      onclick: () =>
        void formDialog(`Delete ${d.number}?`, [{ name: 'info', label: 'Callers to this number', type: 'info', value: 'will no longer reach the service' }], async () => {
          await api.del(`/dial-in-numbers/${encodeURIComponent(d.number)}`);
          flash(`${d.number} deleted.`);
          await load();
        }),
    }, 'Delete'),
  ];

  const create = () =>
    void formDialog('New dial-in number', [
      { name: 'number', label: 'Number (E.164, e.g. +4721000000)', required: true },
      { name: 'label', label: 'Description', required: true, placeholder: 'Norway (IVR)' },
      { name: 'partnerId', label: 'Partner', type: 'select', value: '', options: partnerOptions },
    ], async (v) => {
      await api.post('/dial-in-numbers', { number: v.number, label: v.label, partnerId: v.partnerId || null });
      flash(`${v.number} created.`);
      await load();
    });

  root.append(
    h(
      'div',
      { class: 'toolbar' },
      h('h2', {}, 'Dial-in numbers'),
      h('span', { class: 'spacer' }),
      operator ? h('button', { onclick: create }, '+ New number') : null,
    ),
    h(
      'section',
      { class: 'card' },
      h('p', { class: 'hint' }, operator
        ? 'Create numbers and assign them to partners; each partner routes its own numbers.'
        : 'Numbers the service operator assigned to you. Route each to the IVR, where callers enter a meeting ID, or straight to one meeting room.'),
      list,
    ),
  );
  await load().catch(showError);
}
