/**
 * Company view: tabs for users, team VMRs, endpoints and calling domains (each with its actions
 * and batch delete/reactivate), licences and order history, call history, and the handout.
 */
import { api, type CallingDomain, type Cdr, type Company, type CompanyDeletion, type Endpoint, type Handout, type LicenceRow, type Member, type Page, type Principal, type TeamVmr, type Vmr } from '../api.js';
import { append, clear, dateCell, dateTimeCell, flash, fmtDate, formDialog, h, infoDialog, table } from '../dom.js';
import { renderAdmins } from './admins.js';
import { renderLicences } from './licences.js';
import { evaluationBadge, showError } from './partner.js';

/** At the default guessing budgets a 4-digit PIN falls in days, a 6-digit one takes about a year (README, Security). */
export const PIN_ADVICE = '6 or more digits advised';

type Kind = 'user' | 'team_vmr' | 'endpoint' | 'domain';
type Consumer = Member | TeamVmr | Endpoint | CallingDomain;
const PATH: Record<Kind, string> = { user: 'users', team_vmr: 'team-vmrs', endpoint: 'endpoints', domain: 'domains' };
export const TABS = ['users', 'team-vmrs', 'endpoints', 'domains', 'licences', 'calls', 'handout', 'admins'] as const;
type Tab = (typeof TABS)[number];
// One spelling per locale: the portal is en-US, like the product names ("Enterprise User License").
const TAB_LABEL: Record<Tab, string> = {
  users: 'Users',
  'team-vmrs': 'Team VMRs',
  endpoints: 'Endpoints',
  domains: 'Calling domains',
  licences: 'Licenses & orders',
  calls: 'Call history',
  handout: 'Handout',
  admins: 'Administrators',
};
const TIER_LABEL: Record<string, string> = { basic: 'Basic (768 kbps)', plus: 'Plus (1.5 Mbps)', premium: 'Premium (4 Mbps)' };
const tierName = (tier: string) => (TIER_LABEL[tier] ?? tier).replace(/ \(.*/, '');

const stateBadge = (c: Consumer): HTMLElement => {
  // An unverified calling domain is not usable yet: never show it as plain "active".
  const label = c.kind === 'domain' && c.state === 'active' && !c.verified ? 'awaiting verification' : c.state;
  const cls = label === 'awaiting verification' ? 'invited' : c.state;
  return h('span', { class: `badge ${cls}`, title: c.deactivatedReason ?? '' }, label + (c.trial ? ' (trial)' : ''));
};

const pinState = (r: { hostPinSet?: boolean; guestPinSet?: boolean }): string =>
  `host ${r.hostPinSet ? 'set' : 'none'}, guest ${r.guestPinSet ? 'set' : 'none'}`;

export async function renderCompany(root: HTMLElement, companyId: string, tab: string | undefined, me: Principal, orderPlanType?: string): Promise<void> {
  clear(root);
  const company = await api.get<Company>(`/companies/${encodeURIComponent(companyId)}`);
  const tabs = TABS.filter((t) => t !== 'admins' || me.role === 'partner_admin');
  const current: Tab = (tabs as readonly string[]).includes(tab ?? '') ? (tab as Tab) : 'users';
  const base = `/companies/${encodeURIComponent(company.id)}`;
  const reload = () => void renderCompany(root, companyId, current, me).catch(showError);

  append(
    root,
    me.role === 'partner_admin' ? h('p', { class: 'crumbs' }, h('a', { href: '#/companies' }, '‹ All companies')) : null,
    h(
      'div',
      { class: 'toolbar' },
      h('h2', {}, company.name, evaluationBadge(company, 'Evaluation Mode ')),
      h('span', { class: 'spacer' }),
      me.role === 'partner_admin' ? h('button', { class: 'danger', onclick: () => void deleteCompany(company).catch(showError) }, 'Delete company') : null,
    ),
    h(
      'nav',
      { class: 'tabs', role: 'tablist' },
      ...tabs.map((t) => h('a', { href: `#/company/${encodeURIComponent(company.id)}/${t}`, role: 'tab', 'aria-selected': String(t === current), class: t === current ? 'active' : '' }, TAB_LABEL[t])),
    ),
  );
  const body = h('section', { class: 'tab-body', 'data-tab': current });
  root.append(body);

  switch (current) {
    case 'users':
      return consumerTab<Member>(body, company, 'user', {
        headers: ['Name', 'Email', 'Meeting room', 'Numeric ID', 'Invited', 'State'],
        cells: (m) => [m.name, m.email, h('span', { class: 'addr' }, m.vmrAddress), m.numericId ?? '—', dateCell(m.invitedAt), stateBadge(m)],
        addLabel: '+ Invite user',
        add: (domains) =>
          formDialog('Invite user', [
            { name: 'name', label: 'Name', required: true },
            { name: 'email', label: 'Email (the invitation goes here)', type: 'email', required: true },
            { name: 'localPart', label: 'Address (part before @)', required: true, placeholder: 'alice.smith' },
            domainField(domains),
          ], async (v) => {
            await api.post(`${base}/users`, { name: v.name, email: v.email, localPart: v.localPart, ...(v.domain ? { domain: v.domain } : {}) }, true);
            flash(`Invitation sent to ${v.email}.`);
          }),
        actions: (m) => [h('button', { class: 'small secondary', onclick: () => void showUser(base, m).catch(showError) }, 'Details')],
      });
    case 'team-vmrs':
      return consumerTab<TeamVmr>(body, company, 'team_vmr', {
        headers: ['Name', 'Address', 'Numeric ID', 'PINs', 'State'],
        cells: (t) => [t.name, h('span', { class: 'addr' }, t.address), t.numericId ?? '—', pinState(t), stateBadge(t)],
        addLabel: '+ Add team VMR',
        add: (domains) =>
          formDialog('Add team VMR', [
            { name: 'name', label: 'Name', required: true },
            { name: 'localPart', label: 'Address (part before @)', required: true, placeholder: 'sales.weekly' },
            domainField(domains),
          ], async (v) => {
            await api.post(`${base}/team-vmrs`, { name: v.name, localPart: v.localPart, ...(v.domain ? { domain: v.domain } : {}) }, true);
            flash(`Team VMR "${v.name}" added.`);
          }),
        actions: (t, refresh) => [h('button', { class: 'small secondary', onclick: () => void editTeam(base, t, refresh).catch(showError) }, 'Settings')],
      });
    case 'endpoints':
      return consumerTab<Endpoint>(body, company, 'endpoint', {
        headers: ['Name', 'Address', 'License', 'Bandwidth', 'Usage model', 'State'],
        cells: (e) => [e.name, h('span', { class: 'addr' }, e.address), tierName(e.tier), `${e.bandwidthKbps} kbps`, e.usageModel, stateBadge(e)],
        addLabel: '+ Add endpoint',
        add: async (domains) => {
          const tiers = await usableTiers(base, company);
          if (tiers.length === 0) {
            await infoDialog('No Endpoint License available', h('p', {}, noLicenceHint(me, company, 'endpoint_basic', 'Every Endpoint License (Basic, Plus, Premium) is in use or none was ordered.')));
            return false;
          }
          return formDialog('Add endpoint', [
            { name: 'name', label: 'Name', required: true },
            { name: 'localPart', label: 'Address (part before @)', required: true, placeholder: 'boardroom.oslo' },
            domainField(domains),
            { name: 'tier', label: 'Endpoint license', type: 'select', value: tiers[0]?.value, options: tiers },
            usageField('shared'),
          ], async (v) => {
            await api.post(`${base}/endpoints`, { name: v.name, localPart: v.localPart, tier: v.tier, usageModel: v.usageModel, ...(v.domain ? { domain: v.domain } : {}) }, true);
            flash(`Endpoint "${v.name}" added.`);
          });
        },
        actions: (e, refresh) => [
          h('button', { class: 'small secondary', onclick: () => void showProvisioning(base, e).catch(showError) }, 'Provisioning & QR'),
          h('button', { class: 'small secondary', onclick: () => void editEndpoint(base, e, refresh).catch(showError) }, 'Edit'),
          h('button', { class: 'small secondary', onclick: () => void changeTier(base, e, refresh).catch(showError) }, 'Change tier'),
        ],
      });
    case 'domains':
      return consumerTab<CallingDomain>(body, company, 'domain', {
        headers: ['Domain', 'Status', 'Verified', 'Last check', 'State'],
        cells: (d) => [
          d.domain,
          h('span', { class: `badge ${d.verified ? 'active' : 'inactive'}` }, d.verified ? 'Verified' : 'Not verified'),
          d.verified ? h('span', {}, dateCell(d.verifiedAt), d.verifiedBy ? ` (${d.verifiedBy.replace(/_/g, ' ')})` : '') : '—',
          d.lastVerifyFailure ? d.lastVerifyFailure.replace(/_/g, ' ') : '—',
          stateBadge(d),
        ],
        addLabel: '+ Add calling domain',
        add: () =>
          formDialog('Add calling domain', [{ name: 'domain', label: 'Domain', required: true, placeholder: 'video.example.com' }], async (v) => {
            const d = await api.post<CallingDomain & { verificationRecord: { name: string; value: string } | null }>(`${base}/domains`, { domain: v.domain }, true);
            flash(d.verified ? `${d.domain} added and verified automatically.` : `${d.domain} added. DNS instructions were emailed; verify once the TXT record exists.`);
          }),
        actions: (d, refresh) => [
          !d.verified
            ? h('button', {
                class: 'small',
                onclick: () =>
                  void api.post<CallingDomain>(`${base}/domains/${encodeURIComponent(d.id)}/verify`).then((r) => {
                    flash(r.verified ? `${r.domain} is verified.` : `${r.domain} is not verified: ${(r.lastVerifyFailure ?? 'record missing').replace(/_/g, ' ')}.`, r.verified ? 'ok' : 'error');
                    refresh();
                  }, showError),
              }, 'Verify')
            : null,
          !d.verified ? h('button', { class: 'small secondary', onclick: () => void showDnsRecord(base, d).catch(showError) }, 'TXT record') : null,
          // A subdomain of the service's default domain needs no DNS records: nothing to resend.
          d.verifiedBy === 'default_domain' ? null : h('button', {
            class: 'small secondary',
            onclick: () =>
              void formDialog(`Resend DNS instructions for ${d.domain}`, [{ name: 'to', label: 'Send to (empty = company contact)', type: 'email', value: company.contactEmail ?? '' }], async (v) => {
                await api.post(`${base}/domains/${encodeURIComponent(d.id)}/resend-instructions`, v.to ? { to: v.to } : {});
                flash('DNS instructions sent.');
              }),
          }, 'Resend DNS email'),
        ],
      });
    case 'licences':
      return renderLicences(body, company, me, reload, orderPlanType);
    case 'calls':
      return callsTab(body, base);
    case 'handout':
      return handoutTab(body, base, company);
    case 'admins':
      return renderAdmins(body, company);
  }
}

/** The endpoint tiers this company can add now, with what is available (all tiers while evaluating). */
async function usableTiers(base: string, company: Company): Promise<{ value: string; label: string }[]> {
  const rows = await api.get<LicenceRow[]>(`${base}/licences`);
  const out: { value: string; label: string }[] = [];
  for (const tier of ['basic', 'plus', 'premium']) {
    const row = rows.find((r) => r.pool === `endpoint_${tier}`);
    const available = row ? row.available : 0;
    const label = `Endpoint License ${TIER_LABEL[tier] ?? tier}`;
    if (available === null) out.push({ value: tier, label: `${label} — unlimited` });
    else if (available > 0) out.push({ value: tier, label: `${label} — ${available} available` });
    else if (company.evaluationOpen) out.push({ value: tier, label: `${label} — trial (Evaluation Mode)` });
  }
  return out;
}

/** What to do when a license is missing: order (partner admins, a link) or ask the partner. */
function noLicenceHint(me: Principal, company: Company, planType: string, why: string): Node {
  return h(
    'span',
    {},
    `${why} `,
    me.role === 'partner_admin'
      ? h('a', { href: `#/company/${encodeURIComponent(company.id)}/licences/order/${planType}`, class: 'order-link' }, 'Order licenses')
      : 'Ask your service partner to order more.',
  );
}

/** The handout in the browser (the same content as the PDF/HTML downloads). */
async function handoutTab(root: HTMLElement, base: string, company: Company): Promise<void> {
  const data = await api.get<Handout>(`${base}/handout`, { format: 'json' });
  const section = (title: string, headers: string[], rows: (string | Node)[][]) =>
    h('section', { class: 'card' }, h('h3', {}, `${title} (${rows.length})`), table(headers, rows, (r) => r, { empty: 'None.' }));
  root.append(
    h(
      'div',
      { class: 'toolbar' },
      h('p', { class: 'hint' }, `What the customer shares with its people · generated ${fmtDate(data.generatedAt)}`),
      h('span', { class: 'spacer' }),
      h('button', { onclick: () => void api.download(`${base}/handout`, `handout-${company.id}.pdf`, { format: 'pdf' }).catch(showError) }, 'Download PDF'),
      h('button', { class: 'secondary', onclick: () => void api.download(`${base}/handout`, `handout-${company.id}.html`, { format: 'html' }).catch(showError) }, 'Download HTML'),
    ),
    h(
      'div',
      { 'data-testid': 'handout' },
      section('Endpoints', ['Name', 'Address', 'License'], data.endpoints.map((e) => [e.name, h('span', { class: 'addr' }, e.address), TIER_LABEL[e.tier] ?? e.tier])),
      section('Users', ['Name', 'Meeting room', 'Numeric ID'], data.users.map((u) => [u.invited ? `${u.name} (invited)` : u.name, h('span', { class: 'addr' }, u.vmrAddress), u.numericId ?? '—'])),
      section('Team meeting rooms', ['Name', 'Address', 'Numeric ID'], data.teamVmrs.map((t) => [t.name, h('span', { class: 'addr' }, t.address), t.numericId])),
      data.dialInNumbers.length > 0 ? section('PSTN dial-in numbers', ['Number', 'Description'], data.dialInNumbers.map((d) => [d.number, d.label])) : null,
      data.dialInHint ? h('p', { class: 'hint' }, data.dialInHint) : null,
    ),
  );
}

interface TabSpec<T extends Consumer> {
  headers: string[];
  cells: (c: T) => (Node | string | number)[];
  addLabel: string;
  add: (verifiedDomains: string[]) => Promise<boolean>;
  actions: (c: T, refresh: () => void) => (Node | null)[];
}

function domainField(domains: string[]) {
  return {
    name: 'domain',
    label: 'Domain',
    type: 'select' as const,
    options: [{ value: '', label: 'Service default domain' }, ...domains.map((d) => ({ value: d, label: d }))],
  };
}

function usageField(value: string) {
  return {
    name: 'usageModel',
    label: 'Usage model (call history older than 3 months)',
    type: 'select' as const,
    value,
    options: [
      { value: 'shared', label: 'Shared: kept, anonymized' },
      { value: 'personal', label: 'Personal: removed (not recoverable)' },
    ],
  };
}

/** One consumer tab: filters, the list with selection, per-row and batch actions. */
async function consumerTab<T extends Consumer>(root: HTMLElement, company: Company, kind: Kind, spec: TabSpec<T>): Promise<void> {
  const base = `/companies/${encodeURIComponent(company.id)}`;
  const search = h('input', { type: 'search', placeholder: 'Search', 'aria-label': 'Search' });
  const state = h(
    'select',
    { 'aria-label': 'State' },
    h('option', { value: '' }, 'All states'),
    h('option', { value: 'active' }, 'Active'),
    h('option', { value: 'invited' }, 'Invited'),
    h('option', { value: 'inactive' }, 'Inactive'),
  );
  const list = h('div');
  const results = h('div', { class: 'batch-results' });
  const selected = new Set<string>();
  // Names of the rows on screen, so batch results read "Sales weekly", not an id.
  const labels = new Map<string, string>();
  const PAGE = 50;
  let offset = 0;

  const refresh = () => void load().catch(showError);
  const load = async () => {
    const page = await api.get<Page<T>>(`${base}/${PATH[kind]}`, { q: search.value.trim() || undefined, state: state.value || undefined, offset, limit: PAGE });
    selected.clear();
    for (const c of page.items) labels.set(c.id, 'name' in c ? c.name : c.domain);
    clear(list);
    const all = h('input', { type: 'checkbox', 'aria-label': 'Select all' });
    const boxes: HTMLInputElement[] = [];
    all.addEventListener('change', () => {
      for (const b of boxes) {
        b.checked = all.checked;
        b.dispatchEvent(new Event('change'));
      }
    });
    const t = table([' ', ...spec.headers, 'Actions'], page.items, (c) => {
      const box = h('input', { type: 'checkbox', 'aria-label': `Select ${c.id}`, value: c.id });
      box.addEventListener('change', () => (box.checked ? selected.add(c.id) : selected.delete(c.id)));
      boxes.push(box);
      return [
        box,
        ...spec.cells(c),
        h(
          'div',
          { class: 'actions' },
          ...spec.actions(c, refresh),
          c.state === 'inactive'
            ? h('button', {
                class: 'small',
                onclick: () =>
                  void api.post(`${base}/${PATH[kind]}/${encodeURIComponent(c.id)}/reactivate`).then(() => {
                    flash('Activated.');
                    refresh();
                  }, showError),
              }, 'Activate')
            : null,
          h('button', {
            class: 'small danger',
            onclick: () =>
              void formDialog(`Delete ${'name' in c ? c.name : c.domain}?`, [], async () => {
                await api.del(`${base}/${PATH[kind]}/${encodeURIComponent(c.id)}`);
                flash('Deleted.');
                refresh();
              }),
          }, 'Delete'),
        ),
      ];
    }, { testId: `list-${PATH[kind]}` });
    const headRow = t.querySelector('thead th');
    if (headRow) {
      headRow.textContent = '';
      headRow.appendChild(all);
    }
    append(
      list,
      t,
      page.total > PAGE
        ? h(
            'div',
            { class: 'pager' },
            h('button', { class: 'secondary', disabled: offset === 0, onclick: () => void ((offset = Math.max(0, offset - PAGE)), refresh()) }, '‹ Previous'),
            h('span', {}, ` ${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total} `),
            h('button', { class: 'secondary', disabled: offset + PAGE >= page.total, onclick: () => void ((offset += PAGE), refresh()) }, 'Next ›'),
          )
        : null,
    );
  };

  const batch = async (action: 'delete' | 'reactivate') => {
    if (selected.size === 0) return flash('Select some rows first.', 'error');
    const ok = await formDialog(`${action === 'delete' ? 'Delete' : 'Reactivate'} ${selected.size} selected?`, [], async () => {
      const res = await api.post<{ results: { kind: string; id: string; ok: boolean; state?: string; error?: { code: string; message: string } }[] }>(`${base}/batch`, {
        action,
        items: [...selected].map((id) => ({ kind, id })),
      });
      clear(results);
      const failed = res.results.filter((r) => !r.ok).length;
      results.append(
        h('h4', {}, `Batch ${action}: ${res.results.length - failed} done, ${failed} failed`),
        table(['Item', 'Result'], res.results, (r) => [labels.get(r.id) ?? r.id, r.ok ? `ok${r.state ? ` (${r.state})` : ''}` : `${r.error?.message ?? 'failed'} (${r.error?.code ?? '?'})`], { testId: 'batch-results' }),
      );
    });
    if (ok) refresh();
  };

  const verifiedDomains = async (): Promise<string[]> => {
    if (kind === 'domain') return [];
    const page = await api.get<Page<CallingDomain>>(`${base}/domains`, { state: 'active', limit: 200 });
    return page.items.filter((d) => d.verified).map((d) => d.domain);
  };

  let timer: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void ((offset = 0), refresh()), 250);
  });
  state.addEventListener('change', () => void ((offset = 0), refresh()));

  root.append(
    h(
      'section',
      { class: 'card' },
      h(
      'div',
      { class: 'toolbar' },
      h('button', { onclick: () => void verifiedDomains().then(spec.add).then((added) => added && refresh(), showError) }, spec.addLabel),
      search,
      state,
      h('span', { class: 'spacer' }),
      h('button', { class: 'secondary', onclick: () => void batch('reactivate').catch(showError) }, 'Reactivate selected'),
      h('button', { class: 'danger', onclick: () => void batch('delete').catch(showError) }, 'Delete selected'),
      ),
      list,
      results,
    ),
  );
  await load();
}

function vmrSummary(vmr: Vmr | null): HTMLElement {
  if (!vmr) return h('p', {}, 'No VMR.');
  return h(
    'dl',
    {},
    h('dt', {}, 'Addresses'),
    h('dd', {}, vmr.addresses.join(', ')),
    h('dt', {}, 'Numeric ID (phone)'),
    h('dd', {}, vmr.numericId),
    h('dt', {}, 'Host PIN'),
    h('dd', {}, vmr.hostPinSet ? 'set' : 'not set'),
    h('dt', {}, 'Guest PIN'),
    h('dd', {}, vmr.guestPinSet ? 'set' : 'not set'),
    h('dt', {}, 'Guests allowed'),
    h('dd', {}, vmr.allowGuests ? 'yes' : 'no'),
    h('dt', {}, 'Layout'),
    h('dd', {}, vmr.defaultLayout),
    h('dt', {}, 'State'),
    h('dd', {}, vmr.state),
  );
}

async function showUser(base: string, m: Member): Promise<void> {
  const { user, vmr } = await api.get<{ user: Member; vmr: Vmr | null }>(`${base}/users/${encodeURIComponent(m.id)}`);
  await infoDialog(
    user.name,
    h(
      'div',
      {},
      h('p', {}, `${user.email} · ${user.state}${user.acceptedAt ? ` · accepted ${fmtDate(user.acceptedAt)}` : ` · invited ${fmtDate(user.invitedAt)}`}`),
      h('p', {}, `Personal address: ${user.personalAddress}`),
      h('h4', {}, 'Personal VMR'),
      vmrSummary(vmr),
    ),
  );
}

async function editTeam(base: string, t: TeamVmr, refresh: () => void): Promise<void> {
  const { vmr } = await api.get<{ team: TeamVmr; vmr: Vmr | null }>(`${base}/team-vmrs/${encodeURIComponent(t.id)}`);
  const ok = await formDialog(`Team VMR ${t.name}`, [
    { name: 'address', label: 'Address', type: 'info', value: t.address },
    { name: 'numericId', label: 'Numeric ID (phone)', type: 'info', value: vmr?.numericId ?? '—' },
    { name: 'pins', label: 'PINs', type: 'info', value: vmr ? pinState(vmr) : '—' },
    { name: 'name', label: 'Name', value: t.name, required: true },
    { name: 'hostPin', label: `Host PIN (${vmr?.hostPinSet ? 'set; empty = keep' : 'not set'})`, type: 'password', placeholder: PIN_ADVICE },
    { name: 'guestPin', label: `Guest PIN (${vmr?.guestPinSet ? 'set; empty = keep' : 'not set'})`, type: 'password', placeholder: PIN_ADVICE },
    { name: 'clearPins', label: 'Remove both PINs', type: 'checkbox', value: 'false' },
    { name: 'allowGuests', label: 'Allow guests', type: 'checkbox', value: String(vmr?.allowGuests ?? true) },
    { name: 'defaultLayout', label: 'Layout', type: 'select', value: vmr?.defaultLayout ?? 'speaker', options: ['speaker', 'grid', 'presentation'].map((l) => ({ value: l, label: l })) },
  ], async (v) => {
    const body: Record<string, unknown> = { name: v.name, allowGuests: v.allowGuests === 'true', defaultLayout: v.defaultLayout };
    if (v.clearPins === 'true') Object.assign(body, { hostPin: null, guestPin: null });
    else {
      if (v.hostPin) body.hostPin = v.hostPin;
      if (v.guestPin) body.guestPin = v.guestPin;
    }
    await api.patch(`${base}/team-vmrs/${encodeURIComponent(t.id)}`, body);
    flash('Team VMR saved.');
  });
  if (ok) refresh();
}

async function editEndpoint(base: string, e: Endpoint, refresh: () => void): Promise<void> {
  const ok = await formDialog(`Endpoint ${e.name}`, [{ name: 'name', label: 'Name', value: e.name, required: true }, usageField(e.usageModel)], async (v) => {
    if (e.usageModel === 'personal' && v.usageModel === 'shared') flash('Note: call history already removed under Personal does not come back.');
    await api.patch(`${base}/endpoints/${encodeURIComponent(e.id)}`, { name: v.name, usageModel: v.usageModel });
    flash('Endpoint saved.');
  });
  if (ok) refresh();
}

const TIER_OPTIONS = [
  { value: 'basic', label: 'Basic (768 kbps)' },
  { value: 'plus', label: 'Plus (1.5 Mbps)' },
  { value: 'premium', label: 'Premium (4 Mbps)' },
];

/** Moves the endpoint to another tier's licence; refused (no_licence_available) when that tier has none free. */
async function changeTier(base: string, e: Endpoint, refresh: () => void): Promise<void> {
  const ok = await formDialog(`Change tier: ${e.name}`, [{ name: 'tier', label: 'Endpoint license tier', type: 'select', value: e.tier, options: TIER_OPTIONS }], async (v) => {
    const next = await api.post<Endpoint>(`${base}/endpoints/${encodeURIComponent(e.id)}/tier`, { tier: v.tier });
    flash(`${next.name} is now ${next.tier} (${next.bandwidthKbps} kbps).`);
  });
  if (ok) refresh();
}

/**
 * Deleting a company, confirmed by typing its name: its consumers are deactivated and their
 * addresses released; orders and call records are kept for the retention period.
 */
async function deleteCompany(company: Company): Promise<void> {
  await formDialog(
    `Delete ${company.name}? Its users, team VMRs, endpoints and calling domains are deactivated and their addresses released; its plans end. Orders and call records are kept for the retention period.`,
    [{ name: 'confirm', label: 'Type the company name to confirm', required: true }],
    async (v) => {
      if (v.confirm !== company.name) throw new Error('The name does not match.');
      const r = await api.del<CompanyDeletion>(`/companies/${encodeURIComponent(company.id)}`);
      flash(`${company.name} deleted: ${r.consumersDeactivated} consumers deactivated, ${r.addressesReleased} addresses released; records kept until ${fmtDate(r.company.recordsKeptUntil)}.`);
      location.hash = '#/companies';
    },
  );
}

async function showProvisioning(base: string, e: Endpoint): Promise<void> {
  const path = `${base}/endpoints/${encodeURIComponent(e.id)}`;
  const config = await api.get<{ sip: { uri: string; username: string; password: string; registrar: { uri: string } }; bandwidth: { maxKbps: number } }>(`${path}/provisioning`);
  const img = h('img', { alt: `QR code for ${e.name}`, width: 240, height: 240, 'data-testid': 'qr' });
  img.src = await api.objectUrl(`${path}/qr`, { format: 'png' });
  await infoDialog(
    `Provisioning: ${e.name}`,
    h(
      'div',
      { class: 'provisioning' },
      img,
      h(
        'dl',
        {},
        h('dt', {}, 'SIP address'),
        h('dd', {}, config.sip.uri),
        h('dt', {}, 'Username'),
        h('dd', {}, config.sip.username),
        h('dt', {}, 'Password'),
        h('dd', {}, h('code', {}, config.sip.password)),
        h('dt', {}, 'Registrar'),
        h('dd', {}, config.sip.registrar.uri),
        h('dt', {}, 'Max bandwidth'),
        h('dd', {}, `${config.bandwidth.maxKbps} kbps`),
      ),
      h(
        'div',
        { class: 'toolbar' },
        h('button', { class: 'small secondary', onclick: () => void api.download(`${path}/qr`, `endpoint-${e.id}.png`, { format: 'png' }).catch(showError) }, 'QR as PNG'),
        h('button', { class: 'small secondary', onclick: () => void api.download(`${path}/qr`, `endpoint-${e.id}.svg`, { format: 'svg' }).catch(showError) }, 'QR as SVG'),
      ),
    ),
  );
  URL.revokeObjectURL(img.src);
}

async function showDnsRecord(base: string, d: CallingDomain): Promise<void> {
  const rec = await api.get<CallingDomain & { verificationRecord: { name: string; type: string; value: string } | null }>(`${base}/domains/${encodeURIComponent(d.id)}`);
  const r = rec.verificationRecord;
  await infoDialog(
    `DNS record for ${d.domain}`,
    r
      ? h('dl', {}, h('dt', {}, 'Name'), h('dd', {}, h('code', {}, r.name)), h('dt', {}, 'Type'), h('dd', {}, r.type), h('dt', {}, 'Value'), h('dd', {}, h('code', {}, r.value)))
      : h('p', {}, 'No record needed: the domain is verified.'),
  );
}

const KIND_LABEL: Record<string, string> = { browser: 'Browser', sip: 'Room system', phone: 'Phone', interop: 'Interop' };

export function callsTable(page: Page<Cdr>): HTMLElement {
  return table(
    ['Started (UTC)', 'Participant', 'Kind', 'Meeting room', 'Duration', 'End reason'],
    page.items,
    (c) => {
      const caller = c.callerAddress ?? (c.participantKind ? null : c.from);
      return [
        dateTimeCell(c.startedAt),
        h('span', {}, c.displayName, caller ? h('br', {}) : null, caller ? h('small', { class: 'addr' }, caller) : null),
        `${c.participantKind ? (KIND_LABEL[c.participantKind] ?? c.participantKind) : c.protocol}${c.role ? ` · ${c.role}` : ''}`,
        h('span', { class: 'addr' }, c.to),
        c.durationMs === null ? '—' : `${Math.round(c.durationMs / 1000)} s`,
        (c.endReason ?? '—').replace(/_/g, ' '),
      ];
    },
    { empty: 'No calls recorded.', testId: 'calls' },
  );
}

/** The company's calls: date range, meeting room and participant kind filters, paging, CSV of the same selection. */
async function callsTab(root: HTMLElement, base: string): Promise<void> {
  const [users, teams] = await Promise.all([
    api.get<Page<Member>>(`${base}/users`, { limit: 200 }),
    api.get<Page<TeamVmr>>(`${base}/team-vmrs`, { limit: 200 }),
  ]);
  const from = h('input', { type: 'date', 'aria-label': 'From date' });
  const to = h('input', { type: 'date', 'aria-label': 'To date' });
  const vmr = h(
    'select',
    { 'aria-label': 'Meeting room' },
    h('option', { value: '' }, 'All meeting rooms'),
    ...users.items.map((u) => h('option', { value: u.vmrId }, u.vmrAddress)),
    ...teams.items.map((t) => h('option', { value: t.vmrId }, t.address)),
  );
  const kind = h(
    'select',
    { 'aria-label': 'Participant kind' },
    h('option', { value: '' }, 'All kinds'),
    ...Object.entries(KIND_LABEL).map(([value, label]) => h('option', { value }, label)),
  );
  const filters = () => ({
    from: from.value ? `${from.value}T00:00:00.000Z` : undefined,
    to: to.value ? `${to.value}T23:59:59.999Z` : undefined,
    vmrId: vmr.value || undefined,
    kind: kind.value || undefined,
  });
  const list = h('div', {});
  let offset = 0;
  const PAGE = 50;
  const load = async () => {
    const page = await api.get<Page<Cdr>>(`${base}/calls`, { ...filters(), offset, limit: PAGE });
    clear(list);
    append(
      list,
      callsTable(page),
      page.total > PAGE
        ? h(
            'div',
            { class: 'pager' },
            h('button', { class: 'secondary', disabled: offset === 0, onclick: () => void ((offset = Math.max(0, offset - PAGE)), load().catch(showError)) }, '‹ Previous'),
            h('span', {}, ` ${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total} `),
            h('button', { class: 'secondary', disabled: offset + PAGE >= page.total, onclick: () => void ((offset += PAGE), load().catch(showError)) }, 'Next ›'),
          )
        : null,
    );
  };
  const form = h(
    'form',
    { class: 'filters' },
    h('label', {}, 'From ', from),
    h('label', {}, 'To ', to),
    vmr,
    kind,
    h('button', { type: 'submit', class: 'secondary' }, 'Search'),
    h('button', { type: 'button', class: 'secondary', onclick: () => void api.download(`${base}/calls.csv`, 'calls.csv', filters()).catch(showError) }, 'Download CSV'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    offset = 0;
    load().catch(showError);
  });
  root.append(
    h('section', { class: 'card' }, h('p', { class: 'hint' }, 'One record per participant session. Calls older than 3 months are anonymized (Shared endpoints) or removed (Personal endpoints).'), form, list),
  );
  await load();
}
