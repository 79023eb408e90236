import { z } from 'zod';
import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import { PLAN_ACTIONS, PLAN_TYPE_IDS, planTypes } from '../licences/index.js';
import { CompanySchema, type Company, OrderEventSchema, PaymentPlanSchema, PlanViewSchema as StoredPlanViewSchema, PrincipalSchema, type PlanRecord, type Principal } from '../model.js';
import { PageQuery, pageOf, type RouteRegistrar } from '../http/route.js';
import { endTrials } from '../jobs/expiry.js';
import { evaluationOpen } from '../services/common.js';
import { toCsv, type AdminServices } from '../services/index.js';
import { ADMINS, CompanyItemParams, CompanyParams, Name, PARTNER, loadCompany } from './shared.js';

const CompanyBody = z.object({
  name: Name,
  contactEmail: z.email().max(320).nullable().optional(),
  evaluationEndsAt: z.iso.datetime().nullable().optional(),
  maxParticipantsPerMeeting: z.number().int().min(2).max(100).nullable().optional(),
  maxCallBandwidthKbps: z
    .number().int().min(64).max(4000).nullable().optional()
    .describe('Call bandwidth cap (kbps) for browsers and unregistered callers in this company\'s meetings; null = the service default. Provisioned endpoints keep their tier (768/1500/4000).'),
});

const OrderBody = z.object({
  planType: z.enum(PLAN_TYPE_IDS),
  quantity: z.number().int().min(1).max(1_000_000),
  pricePerLicenceCents: z.number().int().min(0).max(100_000_000),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code in capitals, e.g. EUR').default('EUR'),
  paymentPlan: PaymentPlanSchema,
  startDate: z.iso.datetime().optional(),
  autoRenew: z.boolean().default(true),
  costCenter: z.string().max(200).default(''),
  /** The plan's References (e.g. a PO number); also the order event's reference when `reference` is empty. */
  references: z.string().max(500).default(''),
  reference: z.string().max(200).default(''),
});

/** The company as the API shows it: the stored record plus whether its evaluation is open now. */
const CompanyViewSchema = CompanySchema.extend({ evaluationOpen: z.boolean().describe('Evaluation Mode is open now (trial consumers may be created)') });

/**
 * Pricing is the partner's business (seed 002: the price the service bills the partner, the
 * partner's cost centre): company administrators get plans without it.
 */
const PlanViewSchema = StoredPlanViewSchema.partial({ pricePerLicenceCents: true, currency: true, costCenter: true });


const OrderQuery = PageQuery.extend({
  q: z.string().max(200).optional(),
  sku: z.string().max(50).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
});

/**
 * The typed Microsoft 365 domain list is gone: it let any partner auto-verify any domain. A client
 * still sending it gets a clear error instead of having it silently dropped.
 */
function refuseRemovedFields(body: unknown): void {
  if (body && typeof body === 'object' && 'm365VerifiedDomains' in body) {
    throw adminError('field_removed', 'm365VerifiedDomains was removed: a calling domain is auto-verified as Microsoft 365 only when its DNS has the MS=ms… TXT record Microsoft 365 requires; otherwise verify it with the DNS TXT token', { field: 'm365VerifiedDomains' });
  }
}

const DeletionResult = z.object({
  company: CompanySchema,
  consumersDeactivated: z.number().int(),
  addressesReleased: z.number().int(),
  plansEnded: z.number().int(),
});

const LicenceRow = z.object({
  pool: z.string(),
  product: z.string().describe('Product name (seed 002) of the licences in this pool'),
  orderPlanTypes: z.array(z.string()).describe('Plan types that add licences to this pool'),
  capacity: z.number().int().describe('-1 = unlimited'),
  used: z.number().int(),
  available: z.number().int().nullable().describe('null = unlimited'),
});

export function companyRoutes(r: RouteRegistrar, ctx: AdminContext, s: AdminServices): void {
  // Pricing is the partner's business (seed 002): company administrators get plans without it.
  const planView = (p: Principal, plan: PlanRecord): z.infer<typeof PlanViewSchema> => {
    const full = { ...plan, cancelledAt: plan.cancelledAt ?? null, actions: s.plans.allowedActions(plan) };
    if (p.role === 'partner_admin') return full;
    const { pricePerLicenceCents: _price, currency: _currency, costCenter: _costCenter, ...rest } = full;
    return rest;
  };
  const view = (c: Company): z.infer<typeof CompanyViewSchema> => ({ ...c, evaluationOpen: evaluationOpen(ctx, c) });

  r.add({
    method: 'GET', path: '/me', summary: 'Who am I (the token\'s principal)', tag: 'auth', roles: ['operator', 'partner_admin', 'company_admin', 'member'],
    response: PrincipalSchema,
    handler: async ({ principal }) => principal,
  });

  r.add({
    method: 'GET', path: '/plan-types', summary: 'Orderable and renewal-only plan types', tag: 'licences', roles: ADMINS,
    response: z.array(z.object({
      id: z.string(), sku: z.string(), product: z.string(), category: z.string(), orderable: z.boolean(),
      actions: z.array(z.enum(PLAN_ACTIONS)).describe('What this plan type offers (seed 002: the choices depend on the plan type)'),
      renewalQuantity: z.enum(['any', 'same_or_lower', 'same']).describe('How the quantity may change at renewal'),
    })),
    handler: async () => planTypes().map(({ id, sku, product, category, orderable, actions, renewalQuantity }) => ({ id, sku, product, category, orderable, actions: [...actions], renewalQuantity })),
  });

  r.add({
    method: 'POST', path: '/companies', summary: 'Create a customer company', tag: 'companies', roles: PARTNER,
    body: CompanyBody, response: CompanyViewSchema, status: 201, idempotent: true,
    handler: async ({ principal, body, request }) => {
      refuseRemovedFields(request.body);
      return view(await s.companies.create(principal, body));
    },
  });

  r.add({
    method: 'GET', path: '/companies', summary: 'List the partner\'s companies', tag: 'companies', roles: ADMINS,
    query: PageQuery.extend({ q: z.string().max(200).optional() }), response: pageOf(CompanyViewSchema),
    handler: async ({ principal, query }) => {
      if (principal.role === 'company_admin') {
        const own = principal.companyId ? await ctx.orgs.getCompany(principal.companyId) : null;
        const items = own ? [view(own)] : [];
        return { items, total: items.length, offset: 0, limit: query.limit };
      }
      const page = await ctx.orgs.listCompanies(principal.partnerId, query);
      return { items: page.items.map(view), total: page.total, offset: query.offset, limit: query.limit };
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId', summary: 'Get a company', tag: 'companies', roles: ADMINS,
    params: CompanyParams, response: CompanyViewSchema,
    handler: async ({ principal, params }) => view(await loadCompany(ctx, principal, params.companyId, 'read')),
  });

  r.add({
    method: 'PATCH', path: '/companies/:companyId', summary: 'Update a company (incl. Evaluation Mode end)', tag: 'companies', roles: PARTNER,
    params: CompanyParams, body: CompanyBody.partial(), response: CompanyViewSchema,
    handler: async ({ principal, params, body, request, audit }) => {
      refuseRemovedFields(request.body);
      const before = await loadCompany(ctx, principal, params.companyId, 'partner');
      audit.before(before);
      const company = await s.companies.update(before, body);
      audit.after(company);
      // Closing Evaluation Mode (clearing or back-dating its end) ends the trial consumers now,
      // not at the next expiry pass: a trial must never outlive the evaluation (seed 001).
      if (body.evaluationEndsAt !== undefined) await endTrials(ctx, s.consumers, company);
      return view(company);
    },
  });

  r.add({
    method: 'DELETE', path: '/companies/:companyId',
    summary: 'Delete a company: consumers deactivated, their addresses released for reuse, plans ended; orders, plans and call records kept read-only for the retention period (admin.companyDeletion.keepRecordsDays)',
    tag: 'companies', roles: PARTNER, params: CompanyParams, response: DeletionResult,
    handler: async ({ principal, params }) => s.deletion.delete(principal, await loadCompany(ctx, principal, params.companyId, 'partner')),
  });

  r.add({
    method: 'POST', path: '/companies/:companyId/admins', summary: 'Create a company administrator token (shown once)', tag: 'auth', roles: PARTNER,
    params: CompanyParams, body: z.object({ name: Name }), status: 201, idempotent: true,
    response: z.object({ token: z.string(), principal: PrincipalSchema }),
    handler: async ({ principal, params, body }) => s.companies.addAdmin(await loadCompany(ctx, principal, params.companyId, 'partner'), body.name),
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/admins', summary: 'Company administrator tokens (names and ids; the secrets are never shown again)', tag: 'auth', roles: PARTNER,
    params: CompanyParams, response: z.array(PrincipalSchema),
    handler: async ({ principal, params }) => s.companies.listAdmins(await loadCompany(ctx, principal, params.companyId, 'partner')),
  });

  r.add({
    method: 'DELETE', path: '/companies/:companyId/admins/:id', summary: 'Revoke a company administrator token', tag: 'auth', roles: PARTNER,
    params: CompanyItemParams, status: 204,
    handler: async ({ principal, params, reply }) => {
      await s.companies.revokeAdmin(await loadCompany(ctx, principal, params.companyId, 'partner'), params.id);
      return reply.status(204).send();
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/licences', summary: 'Licence capacity and usage per pool', tag: 'licences', roles: ADMINS,
    params: CompanyParams, response: z.array(LicenceRow),
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'read');
      return s.companies.licenceSummary(company.id);
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/limits', summary: 'Meeting limits derived from licences', tag: 'licences', roles: ADMINS,
    params: CompanyParams,
    handler: async ({ principal, params }) => s.companies.limits((await loadCompany(ctx, principal, params.companyId, 'read')).id),
  });

  // ---- plans -----------------------------------------------------------------------------------

  r.add({
    method: 'GET', path: '/companies/:companyId/plans', summary: 'Licence plans', tag: 'licences', roles: ADMINS,
    params: CompanyParams, response: z.array(PlanViewSchema),
    handler: async ({ principal, params }) => (await ctx.plans.list((await loadCompany(ctx, principal, params.companyId, 'read')).id)).map((plan) => planView(principal, plan)),
  });

  r.add({
    method: 'POST', path: '/companies/:companyId/plans', summary: 'Order a new licence plan', tag: 'licences', roles: PARTNER,
    params: CompanyParams, body: OrderBody, response: PlanViewSchema, status: 201, idempotent: true,
    // One reference field in the portal: a PO number given as the plan's References is also the
    // order event's reference, so the order history search finds it.
    handler: async ({ principal, params, body, audit }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'partner');
      const plan = await s.plans.order(principal, company, { ...body, reference: body.reference || body.references.slice(0, 200) });
      audit.target({ planId: plan.id });
      audit.after(plan);
      return planView(principal, plan);
    },
  });

  const planAction = <B extends z.ZodType>(
    action: string,
    summary: string,
    body: B,
    run: (p: { principal: Principal; plan: PlanRecord; body: z.output<B> }) => Promise<PlanRecord>,
  ) =>
    r.add({
      method: 'POST', path: `/companies/:companyId/plans/:id/${action}`, summary, tag: 'licences', roles: PARTNER,
      params: CompanyItemParams, body, response: PlanViewSchema, idempotent: true,
      handler: async ({ principal, params, body: b, audit }) => {
        const company = await loadCompany(ctx, principal, params.companyId, 'partner');
        const plan = await ctx.plans.get(company.id, params.id);
        if (!plan) throw adminError('not_found', 'no such plan');
        audit.before(plan);
        const after = await run({ principal, plan, body: b });
        audit.after(after);
        return planView(principal, after);
      },
    });

  // Each action is refused (plan_action_not_allowed, quantity_increase_not_allowed, plan_cancelled)
  // where the plan's type does not offer it — see GET /plan-types and each plan's `actions`.
  const Reference = z.string().max(200).default('');
  planAction('quantity', 'Change licence quantity (increase / decrease, where the plan type offers it)', z.object({ quantity: z.number().int().min(0).max(1_000_000), reference: Reference }), ({ principal, plan, body }) =>
    s.plans.changeQuantity(principal, plan, body.quantity, body.reference));
  planAction('payment-plan', 'Change payment plan (billing cadence)', z.object({ paymentPlan: PaymentPlanSchema, reference: Reference }), ({ principal, plan, body }) =>
    s.plans.changePaymentPlan(principal, plan, body.paymentPlan, body.reference));
  planAction('renew', 'Renew for one more term, optionally with a new quantity (ERC Basic: the same or lower)', z.object({ reference: Reference, quantity: z.number().int().min(0).max(1_000_000).optional() }), ({ principal, plan, body }) =>
    s.plans.renew(principal, plan, body.reference, body.quantity));
  planAction('auto-renew', 'Turn auto-renew on or off (off: the plan lapses at its renewal date and the expiry job ends it)', z.object({ autoRenew: z.boolean(), reference: Reference }), ({ principal, plan, body }) =>
    s.plans.setAutoRenew(principal, plan, body.autoRenew, body.reference));
  planAction('cancel', 'Cancel per the plan\'s terms: it stops renewing and ends at the end of the paid term (its renewal date); final', z.object({ reference: Reference }), ({ principal, plan, body }) =>
    s.plans.cancel(principal, plan, body.reference));

  // ---- order history ---------------------------------------------------------------------------

  r.add({
    method: 'GET', path: '/companies/:companyId/orders', summary: 'Order history (search by text, SKU, date range)', tag: 'licences', roles: ADMINS,
    params: CompanyParams, query: OrderQuery, response: pageOf(OrderEventSchema),
    handler: async ({ principal, params, query }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'read');
      const all = await ctx.plans.orders(company.id, { q: query.q, sku: query.sku, fromMs: query.from ? Date.parse(query.from) : undefined, toMs: query.to ? Date.parse(query.to) : undefined });
      return { items: all.slice(query.offset, query.offset + query.limit), total: all.length, offset: query.offset, limit: query.limit };
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/orders.csv', summary: 'Order history as CSV (same filters)', tag: 'licences', roles: ADMINS,
    params: CompanyParams, query: OrderQuery.omit({ offset: true, limit: true }), produces: 'text/csv',
    handler: async ({ principal, params, query, reply }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'read');
      const all = await ctx.plans.orders(company.id, { q: query.q, sku: query.sku, fromMs: query.from ? Date.parse(query.from) : undefined, toMs: query.to ? Date.parse(query.to) : undefined });
      const csv = toCsv(
        ['Date/Time (UTC)', 'User', 'SKU', 'Product', 'Payment Plan', 'Reference', 'Change', 'New Qty'],
        all.map((e) => [e.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), e.user, e.sku, e.product, e.paymentPlan, e.reference, e.change, e.newQuantity]),
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="orders-${company.id}.csv"`)
        .send(csv);
    },
  });
}
