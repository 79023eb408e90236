/**
 * Licenses of one company: capacity per product, license plans with the actions each offers (by
 * plan type, seed 002: quantity, payment plan, renew, auto-renew on/off, cancel), ordering a new
 * plan, Evaluation Mode, the call bandwidth policy, and the searchable order history with CSV download. Only a partner admin
 * may order or change, and only a partner admin sees prices and cost centers (the API leaves them
 * out for company admins).
 */
import { api, type Company, type LicenceRow, type OrderEvent, type Page, type Plan, type PlanType, type Principal } from '../api.js';
import { append, clear, dateCell, dateTimeCell, flash, fmtDate, formDialog, h, table } from '../dom.js';
import { showError } from './partner.js';

const PAYMENT_PLANS = ['monthly', 'quarterly', 'annual', 'three_year'];
const planOptions = PAYMENT_PLANS.map((p) => ({ value: p, label: p.replace('_', ' ') }));
const money = (cents: number, currency: string) => `${(cents / 100).toFixed(2)} ${currency}`;

/** "12.50" → 1250 cents; anything else is refused with the field and the rule. */
export function parsePrice(input: string): number {
  const v = input.trim();
  if (/^\d+,\d*$/.test(v)) throw new Error('Price per license: use a dot as the decimal separator, e.g. 12.50');
  if (v.startsWith('-')) throw new Error('Price per license: must be 0 or more');
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(v)) throw new Error('Price per license: a number with at most two decimals, e.g. 12.50');
  const [whole = '0', frac = ''] = v.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

export async function renderLicences(root: HTMLElement, company: Company, me: Principal, reloadCompany: () => void, orderPlanType?: string): Promise<void> {
  clear(root);
  const partner = me.role === 'partner_admin';
  const base = `/companies/${encodeURIComponent(company.id)}`;
  const summary = h('div');
  const plans = h('div');
  const history = h('div');

  const loadSummary = async () => {
    const rows = await api.get<LicenceRow[]>(`${base}/licences`);
    clear(summary);
    summary.append(
      table(['License', 'Licenses', 'In use', 'Available', ...(partner ? [''] : [])], rows, (r) => [
        r.product,
        r.capacity === -1 ? 'unlimited' : r.capacity,
        r.used,
        r.available === null ? 'unlimited' : r.available,
        ...(partner && r.orderPlanTypes[0] ? [h('button', { class: 'small secondary', onclick: () => void order(r.orderPlanTypes[0]).catch(showError) }, 'Order more')] : partner ? [''] : []),
      ], {
        empty: 'No licenses yet.',
        testId: 'licence-summary',
      }),
    );
  };

  // Plan types: how each may change its quantity at renewal (ERC Basic: the same or lower).
  const typeList = partner ? await api.get<PlanType[]>('/plan-types') : [];
  const types = new Map(typeList.map((t) => [t.id, t]));

  const loadPlans = async () => {
    const list = await api.get<Plan[]>(`${base}/plans`);
    clear(plans);
    plans.append(
      table(
        partner
          ? ['Plan type', 'Licenses', 'Price per license', 'Payment plan', 'Start date', 'Renewal/\u200bExpiry', 'Cost center', 'References', 'Actions']
          : ['Plan type', 'Licenses', 'Payment plan', 'Start date', 'Renewal/\u200bExpiry', 'References'],
        list,
        (p) => [
          h('span', { title: p.sku }, p.product),
          p.quantity,
          ...(partner ? [money(p.pricePerLicenceCents ?? 0, p.currency ?? '')] : []),
          p.paymentPlan.replace('_', ' '),
          dateCell(p.startDate),
          h('span', { class: p.status === 'expired' || !p.autoRenew ? 'expires' : 'renews' }, `${p.status === 'expired' ? 'expired' : p.cancelledAt ? 'cancelled, ends' : p.autoRenew ? 'renews' : 'expires'} `, dateCell(p.renewalDate)),
          ...(partner ? [p.costCenter || '—'] : []),
          p.references || '—',
          ...(partner ? [planActions(p)] : []),
        ],
        { empty: 'No license plans.', testId: 'plans' },
      ),
    );
  };

  const act = (p: Plan, action: string, body: Record<string, unknown>, done: string) =>
    api.post<Plan>(`${base}/plans/${encodeURIComponent(p.id)}/${action}`, body, true).then(async () => {
      flash(done);
      await Promise.all([loadPlans(), loadSummary(), loadHistory()]);
    });

  /** Only the actions this plan offers (the server computes them from its type and state). */
  const planActions = (p: Plan): HTMLElement => {
    const offers = new Set(p.actions);
    const renewQuantity = types.get(p.planType)?.renewalQuantity ?? 'any';
    return h(
      'div',
      { class: 'actions' },
      offers.has('increase') || offers.has('decrease')
        ? h('button', {
            class: 'small',
            onclick: () =>
              void formDialog(`Change quantity: ${p.product}`, [
                { name: 'quantity', label: 'New quantity', type: 'number', value: String(p.quantity), min: 0, required: true },
                { name: 'reference', label: 'Reference' },
              ], (v) => act(p, 'quantity', { quantity: Number(v.quantity), reference: v.reference }, 'Quantity changed.')),
          }, 'Quantity')
        : null,
      offers.has('payment_plan')
        ? h('button', {
            class: 'small',
            onclick: () =>
              void formDialog(`Change payment plan: ${p.product}`, [
                { name: 'paymentPlan', label: 'Payment plan', type: 'select', options: planOptions, value: p.paymentPlan },
                { name: 'reference', label: 'Reference' },
              ], (v) => act(p, 'payment-plan', { paymentPlan: v.paymentPlan, reference: v.reference }, 'Payment plan changed.')),
          }, 'Payment plan')
        : null,
      offers.has('renew')
        ? h('button', {
            class: 'small',
            onclick: () =>
              void formDialog(`Renew ${p.product}?`, [
                ...(renewQuantity === 'same'
                  ? []
                  : [{ name: 'quantity', label: renewQuantity === 'same_or_lower' ? 'Licenses at renewal (same or lower)' : 'Licenses at renewal', type: 'number' as const, value: String(p.quantity), min: 0, required: true }]),
                { name: 'reference', label: 'Reference' },
              ], (v) => act(p, 'renew', { reference: v.reference, ...(v.quantity !== undefined ? { quantity: Number(v.quantity) } : {}) }, 'Plan renewed.')),
          }, 'Renew')
        : null,
      offers.has('auto_renew')
        ? h('button', {
            class: 'small secondary',
            onclick: () =>
              void formDialog(
                p.autoRenew ? `Turn auto-renew off? ${p.product} then ends on ${fmtDate(p.renewalDate)}.` : `Turn auto-renew on for ${p.product}?`,
                [{ name: 'reference', label: 'Reference' }],
                (v) => act(p, 'auto-renew', { autoRenew: !p.autoRenew, reference: v.reference }, p.autoRenew ? 'Auto-renew off: the plan lapses at its end.' : 'Auto-renew on.'),
              ),
          }, p.autoRenew ? 'Auto-renew off' : 'Auto-renew on')
        : null,
      offers.has('cancel')
        ? h('button', {
            class: 'small danger',
            onclick: () =>
              void formDialog(
                `Cancel ${p.product}? It ends on ${fmtDate(p.renewalDate)}, the end of the paid term, and cannot be resumed.`,
                [{ name: 'reference', label: 'Reference' }],
                (v) => act(p, 'cancel', { reference: v.reference }, 'Plan cancelled.'),
              ),
          }, 'Cancel plan')
        : null,
    );
  };

  const order = async (planType?: string) => {
    const orderable = typeList.filter((t) => t.orderable && t.actions.includes('order'));
    await formDialog(
      'Order licenses',
      [
        { name: 'planType', label: 'Plan type', type: 'select', value: planType, options: orderable.map((t) => ({ value: t.id, label: `${t.product} (${t.sku})` })) },
        { name: 'quantity', label: 'Licenses', type: 'number', value: '1', min: 1, required: true },
        { name: 'price', label: 'Price per license (e.g. 12.50)', value: '0', required: true },
        { name: 'currency', label: 'Currency (ISO 4217, e.g. EUR)', value: 'EUR', required: true },
        { name: 'paymentPlan', label: 'Payment plan', type: 'select', options: planOptions, value: 'annual' },
        { name: 'autoRenew', label: 'Renew automatically', type: 'checkbox', value: 'true' },
        { name: 'costCenter', label: 'Cost center' },
        { name: 'references', label: 'Reference (e.g. PO number; searchable in the order history)' },
      ],
      async (v) => {
        const cents = parsePrice(v.price ?? '');
        const quantity = Number(v.quantity);
        if (!Number.isInteger(quantity) || quantity < 1) throw new Error('Licenses: a whole number of at least 1');
        const currency = (v.currency ?? '').toUpperCase();
        if (!/^[A-Z]{3}$/.test(currency)) throw new Error('Currency: a three-letter ISO 4217 code, e.g. EUR');
        await api.post<Plan>(
          `${base}/plans`,
          {
            planType: v.planType,
            quantity,
            pricePerLicenceCents: cents,
            currency,
            paymentPlan: v.paymentPlan,
            autoRenew: v.autoRenew === 'true',
            costCenter: v.costCenter,
            // One field: the plan's References and the order history's Reference.
            references: v.references,
            reference: (v.references ?? '').slice(0, 200),
          },
          true,
        );
        flash('Licenses ordered.');
        await Promise.all([loadPlans(), loadSummary(), loadHistory()]);
      },
    );
  };

  // ---- order history ----
  const q = h('input', { type: 'search', placeholder: 'Search (user, product, reference, change)', 'aria-label': 'Search orders' });
  const sku = h('input', { type: 'text', placeholder: 'SKU', size: 12, 'aria-label': 'SKU' });
  const from = h('input', { type: 'date', 'aria-label': 'From date' });
  const to = h('input', { type: 'date', 'aria-label': 'To date' });
  const filters = () => ({
    q: q.value.trim() || undefined,
    sku: sku.value.trim() || undefined,
    from: from.value ? `${from.value}T00:00:00.000Z` : undefined,
    to: to.value ? `${to.value}T23:59:59.999Z` : undefined,
  });
  let offset = 0;
  const PAGE = 50;
  const loadHistory = async () => {
    const page = await api.get<Page<OrderEvent>>(`${base}/orders`, { ...filters(), offset, limit: PAGE });
    clear(history);
    append(
      history,
      table(
        ['Date/Time (UTC)', 'User', 'SKU', 'Product', 'Payment Plan', 'Reference', 'Change', 'New Qty'],
        page.items,
        (e) => [dateTimeCell(e.at), e.user, e.sku, e.product, e.paymentPlan.replace('_', ' '), e.reference || '—', e.change.replace(/_/g, ' '), e.newQuantity],
        { empty: 'No orders match.', testId: 'orders' },
      ),
      page.total > PAGE
        ? h(
            'div',
            { class: 'pager' },
            h('button', { class: 'secondary', disabled: offset === 0, onclick: () => void ((offset = Math.max(0, offset - PAGE)), loadHistory().catch(showError)) }, '‹ Previous'),
            h('span', {}, ` ${offset + 1}–${Math.min(offset + PAGE, page.total)} of ${page.total} `),
            h('button', { class: 'secondary', disabled: offset + PAGE >= page.total, onclick: () => void ((offset += PAGE), loadHistory().catch(showError)) }, 'Next ›'),
          )
        : null,
    );
  };
  const searchForm = h(
    'form',
    { class: 'filters' },
    q,
    sku,
    h('label', {}, 'From ', from),
    h('label', {}, 'To ', to),
    h('button', { type: 'submit', class: 'secondary' }, 'Search'),
    h('button', {
      type: 'button',
      class: 'secondary',
      onclick: () => void api.download(`${base}/orders.csv`, `orders-${company.id}.csv`, filters()).catch(showError),
    }, 'Download CSV'),
  );
  searchForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    offset = 0;
    loadHistory().catch(showError);
  });

  // ---- evaluation mode (open, ended on a date, or never opened) ----
  const evaluation = h(
    'div',
    { class: 'evaluation', 'data-testid': 'evaluation' },
    h('strong', {}, 'Evaluation Mode: '),
    company.evaluation && company.evaluationOpen
      ? `open until ${fmtDate(company.evaluation.endsAt)} — trial consumers can be created without licenses.`
      : company.evaluation
        ? `ended ${fmtDate(company.evaluation.endsAt)} — trial consumers were deactivated; new consumers need licenses.`
        : 'closed — new consumers need licenses.',
    partner
      ? h('button', {
          class: 'small secondary',
          onclick: () =>
            void formDialog('Evaluation Mode', [{ name: 'endsAt', label: 'Open until (empty = close it)', type: 'date', value: company.evaluation?.endsAt.slice(0, 10) ?? '' }], async (v) => {
              await api.patch<Company>(`/companies/${encodeURIComponent(company.id)}`, {
                evaluationEndsAt: v.endsAt ? new Date(`${v.endsAt}T23:59:59Z`).toISOString() : null,
              });
              flash(v.endsAt ? 'Evaluation Mode open.' : 'Evaluation Mode closed.');
              reloadCompany();
            }),
        }, company.evaluationOpen ? 'Change' : 'Open')
      : null,
  );

  // ---- call bandwidth policy (browsers and unregistered callers; provisioned endpoints keep their tier) ----
  const capKbps = company.maxCallBandwidthKbps ?? null;
  const bandwidth = h(
    'div',
    { class: 'evaluation', 'data-testid': 'call-bandwidth' },
    h('strong', {}, 'Call bandwidth: '),
    capKbps !== null
      ? `at most ${capKbps} kbps per call for browsers and unregistered callers; provisioned endpoints keep their tier.`
      : 'the service default for browsers and unregistered callers; provisioned endpoints keep their tier.',
    partner
      ? h('button', {
          class: 'small secondary',
          onclick: () =>
            void formDialog('Call bandwidth', [{ name: 'kbps', label: 'Cap per call in kbps (64–4000; empty = the service default)', type: 'number', value: capKbps !== null ? String(capKbps) : '' }], async (v) => {
              const text = v.kbps?.trim() ?? '';
              const kbps = text === '' ? null : Number(text);
              if (kbps !== null && (!Number.isInteger(kbps) || kbps < 64 || kbps > 4000)) throw new Error('Cap per call: a whole number of kbps from 64 to 4000, or empty');
              await api.patch<Company>(`/companies/${encodeURIComponent(company.id)}`, { maxCallBandwidthKbps: kbps });
              flash(kbps === null ? 'Call bandwidth: the service default.' : `Call bandwidth capped at ${kbps} kbps.`);
              reloadCompany();
            }),
        }, 'Change')
      : null,
  );

  root.append(
    evaluation,
    bandwidth,
    h('section', { class: 'card' }, h('h3', {}, 'Licenses'), summary),
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'toolbar' }, h('h3', {}, 'License plans'), partner ? h('button', { onclick: () => void order().catch(showError) }, '+ Order licenses') : null),
      plans,
    ),
    h('section', { class: 'card' }, h('h3', {}, 'Order history'), searchForm, history),
  );
  await Promise.all([loadSummary(), loadPlans(), loadHistory()]);
  // Reached through an "Order licenses" link: open the order dialog with the plan type chosen.
  if (partner && orderPlanType !== undefined) {
    await order(orderPlanType || undefined);
    window.history.replaceState(null, '', `#/company/${encodeURIComponent(company.id)}/licences`);
  }
}
