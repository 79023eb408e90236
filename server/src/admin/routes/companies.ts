import { z } from 'zod';
import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import { PLAN_TYPE_IDS, planTypes } from '../licences/index.js';
import { CompanySchema, OrderEventSchema, PaymentPlanSchema, PlanSchema, PrincipalSchema, type PlanRecord, type Principal } from '../model.js';
import { PageQuery, pageOf, type RouteRegistrar } from '../http/route.js';
import { toCsv, type AdminServices } from '../services/index.js';
import { ADMINS, CompanyItemParams, CompanyParams, Name, PARTNER, loadCompany } from './shared.js';

const CompanyBody = z.object({
  name: Name,
  contactEmail: z.email().max(320).nullable().optional(),
  evaluationEndsAt: z.iso.datetime().nullable().optional(),
  m365VerifiedDomains: z.array(z.string().max(253)).max(50).optional(),
  maxParticipantsPerMeeting: z.number().int().min(2).max(100).nullable().optional(),
});

const OrderBody = z.object({
  planType: z.enum(PLAN_TYPE_IDS),
  quantity: z.number().int().min(1).max(1_000_000),
  pricePerLicenceCents: z.number().int().min(0).max(100_000_000),
  currency: z.string().regex(/^[A-Z]{3}$/).default('EUR'),
  paymentPlan: PaymentPlanSchema,
  startDate: z.iso.datetime().optional(),
  autoRenew: z.boolean().default(true),
  costCenter: z.string().max(200).default(''),
  references: z.string().max(500).default(''),
  reference: z.string().max(200).default(''),
});

const OrderQuery = PageQuery.extend({
  q: z.string().max(200).optional(),
  sku: z.string().max(50).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
});

const LicenceRow = z.object({ pool: z.string(), capacity: z.number().int(), used: z.number().int(), available: z.number().int().nullable() });

export function companyRoutes(r: RouteRegistrar, ctx: AdminContext, s: AdminServices): void {
  r.add({
    method: 'GET', path: '/me', summary: 'Who am I (the token\'s principal)', tag: 'auth', roles: ['operator', 'partner_admin', 'company_admin', 'member'],
    response: PrincipalSchema,
    handler: async ({ principal }) => principal,
  });

  r.add({
    method: 'GET', path: '/plan-types', summary: 'Orderable and renewal-only plan types', tag: 'licences', roles: ADMINS,
    response: z.array(z.object({ id: z.string(), sku: z.string(), product: z.string(), category: z.string(), orderable: z.boolean() })),
    handler: async () => planTypes().map(({ id, sku, product, category, orderable }) => ({ id, sku, product, category, orderable })),
  });

  r.add({
    method: 'POST', path: '/companies', summary: 'Create a customer company', tag: 'companies', roles: PARTNER,
    body: CompanyBody, response: CompanySchema, status: 201, idempotent: true,
    handler: async ({ principal, body }) => s.companies.create(principal, body),
  });

  r.add({
    method: 'GET', path: '/companies', summary: 'List the partner\'s companies', tag: 'companies', roles: ADMINS,
    query: PageQuery.extend({ q: z.string().max(200).optional() }), response: pageOf(CompanySchema),
    handler: async ({ principal, query }) => {
      if (principal.role === 'company_admin') {
        const own = principal.companyId ? await ctx.orgs.getCompany(principal.companyId) : null;
        const items = own ? [own] : [];
        return { items, total: items.length, offset: 0, limit: query.limit };
      }
      const page = await ctx.orgs.listCompanies(principal.partnerId, query);
      return { ...page, offset: query.offset, limit: query.limit };
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId', summary: 'Get a company', tag: 'companies', roles: ADMINS,
    params: CompanyParams, response: CompanySchema,
    handler: async ({ principal, params }) => loadCompany(ctx, principal, params.companyId, 'read'),
  });

  r.add({
    method: 'PATCH', path: '/companies/:companyId', summary: 'Update a company (incl. Evaluation Mode end)', tag: 'companies', roles: PARTNER,
    params: CompanyParams, body: CompanyBody.partial(), response: CompanySchema,
    handler: async ({ principal, params, body }) => s.companies.update(await loadCompany(ctx, principal, params.companyId, 'partner'), body),
  });

  r.add({
    method: 'POST', path: '/companies/:companyId/admins', summary: 'Create a company administrator token (shown once)', tag: 'auth', roles: PARTNER,
    params: CompanyParams, body: z.object({ name: Name }), status: 201, idempotent: true,
    response: z.object({ token: z.string(), principal: PrincipalSchema }),
    handler: async ({ principal, params, body }) => s.companies.addAdmin(await loadCompany(ctx, principal, params.companyId, 'partner'), body.name),
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
    params: CompanyParams, response: z.array(PlanSchema),
    handler: async ({ principal, params }) => ctx.plans.list((await loadCompany(ctx, principal, params.companyId, 'read')).id),
  });

  r.add({
    method: 'POST', path: '/companies/:companyId/plans', summary: 'Order a new licence plan', tag: 'licences', roles: PARTNER,
    params: CompanyParams, body: OrderBody, response: PlanSchema, status: 201, idempotent: true,
    handler: async ({ principal, params, body, audit }) => {
      const plan = await s.plans.order(principal, await loadCompany(ctx, principal, params.companyId, 'partner'), body);
      audit.target({ planId: plan.id });
      audit.after(plan);
      return plan;
    },
  });

  const planAction = <B extends z.ZodType>(
    action: string,
    summary: string,
    body: B,
    run: (p: { principal: Principal; plan: PlanRecord; body: z.output<B> }) => Promise<unknown>,
  ) =>
    r.add({
      method: 'POST', path: `/companies/:companyId/plans/:id/${action}`, summary, tag: 'licences', roles: PARTNER,
      params: CompanyItemParams, body, response: PlanSchema, idempotent: true,
      handler: async ({ principal, params, body: b, audit }) => {
        const company = await loadCompany(ctx, principal, params.companyId, 'partner');
        const plan = await ctx.plans.get(company.id, params.id);
        if (!plan) throw adminError('not_found', 'no such plan');
        audit.before(plan);
        const after = await run({ principal, plan, body: b });
        audit.after(after);
        return after;
      },
    });

  planAction('quantity', 'Change licence quantity', z.object({ quantity: z.number().int().min(0).max(1_000_000), reference: z.string().max(200).default('') }), ({ principal, plan, body }) =>
    s.plans.changeQuantity(principal, plan, body.quantity, body.reference));
  planAction('payment-plan', 'Change payment plan (billing cadence)', z.object({ paymentPlan: PaymentPlanSchema, reference: z.string().max(200).default('') }), ({ principal, plan, body }) =>
    s.plans.changePaymentPlan(principal, plan, body.paymentPlan, body.reference));
  planAction('renew', 'Renew for one more term', z.object({ reference: z.string().max(200).default('') }), ({ principal, plan, body }) =>
    s.plans.renew(principal, plan, body.reference));

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
