import { z } from 'zod';
import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import type { RouteRegistrar } from '../http/route.js';
import { newId } from '../store/index.js';
import {
  DeliveryOutcomeSchema,
  WebhookEndpointView,
  WebhookEventType,
  newWebhookSecret,
  refuseTarget,
  type WebhookEndpointRecord,
  type WebhookStore,
} from '../webhooks/index.js';
import { CompanyParams, OPERATOR, PARTNER, loadCompany } from './shared.js';

const WebhookUrl = z.string().trim().url().max(2_000);
const Description = z.string().trim().max(200).regex(/^[^\r\n\t]*$/, 'one line').default('');
const CreateBody = z.object({
  url: WebhookUrl,
  description: Description,
  events: z.array(WebhookEventType).max(20).default([]).describe('event types to send; empty = all'),
});
const UpdateBody = z.object({
  url: WebhookUrl.optional(),
  description: z.string().trim().max(200).regex(/^[^\r\n\t]*$/, 'one line').optional(),
  events: z.array(WebhookEventType).max(20).optional(),
  active: z.boolean().optional(),
});
const Created = WebhookEndpointView.extend({ secret: z.string().describe('HMAC key for verifying deliveries; shown only in this response') });
const IdParams = z.object({ id: z.string().min(1).max(100) });
const CompanyIdParams = CompanyParams.extend({ id: z.string().min(1).max(100) });
const DeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(50) });

/**
 * Webhook endpoints: per company (its partner's admins) and global (the service operator, every
 * company's events). The secret is returned once, at creation.
 */
export function webhookRoutes(r: RouteRegistrar, ctx: AdminContext, store: WebhookStore): void {
  const cfg = ctx.config.webhooks;

  const view = async (ep: WebhookEndpointRecord): Promise<WebhookEndpointView> => {
    const { secret: _secret, ...rest } = ep;
    const stats = await store.stats(ep.id);
    return { ...rest, lastDelivery: stats.last, pending: stats.pending, gaveUp: stats.gaveUp };
  };
  const checkUrl = async (url: string) => {
    const refused = await refuseTarget(url, cfg.allowPrivateTargets, false);
    if (refused) throw adminError('webhook_target_refused', `this URL cannot receive webhooks: ${refused}`, { reason: refused });
  };
  const create = async (companyId: string | null, body: z.output<typeof CreateBody>) => {
    await checkUrl(body.url);
    const ep: WebhookEndpointRecord = {
      id: newId('wh'), companyId, url: body.url, description: body.description, events: [...new Set(body.events)], active: true,
      createdAt: new Date(ctx.clock.now()).toISOString(), secret: newWebhookSecret(),
    };
    if (!(await store.add(ep, cfg.maxEndpointsPerScope))) {
      throw adminError('webhook_limit', `at most ${cfg.maxEndpointsPerScope} webhook endpoints here`, { max: cfg.maxEndpointsPerScope });
    }
    return { ...(await view(ep)), secret: ep.secret };
  };
  const find = async (companyId: string | null, id: string) => {
    const ep = await store.get(id);
    if (!ep || ep.companyId !== companyId) throw adminError('not_found', 'no such webhook endpoint');
    return ep;
  };
  const update = async (ep: WebhookEndpointRecord, body: z.output<typeof UpdateBody>) => {
    if (body.url !== undefined) await checkUrl(body.url);
    const next: WebhookEndpointRecord = {
      ...ep,
      ...(body.url !== undefined ? { url: body.url } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...(body.events !== undefined ? { events: [...new Set(body.events)] } : {}),
      ...(body.active !== undefined ? { active: body.active } : {}),
    };
    await store.update(next);
    return next;
  };
  const deliveries = pageSchema();

  // ---- per company (partner admin) ----
  r.add({
    method: 'POST', path: '/companies/:companyId/webhooks', summary: 'Add a webhook endpoint for this company\'s meeting events (the secret is shown once)', tag: 'webhooks', roles: PARTNER,
    params: CompanyParams, body: CreateBody, response: Created, status: 201, idempotent: true,
    handler: async ({ principal, params, body, audit }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'partner');
      const created = await create(company.id, body);
      audit.target({ webhookId: created.id });
      audit.after({ ...created, secret: undefined });
      return created;
    },
  });
  r.add({
    method: 'GET', path: '/companies/:companyId/webhooks', summary: 'This company\'s webhook endpoints with their last delivery', tag: 'webhooks', roles: PARTNER,
    params: CompanyParams, response: z.array(WebhookEndpointView),
    handler: async ({ principal, params }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'read');
      return Promise.all((await store.list(company.id)).map(view));
    },
  });
  r.add({
    method: 'GET', path: '/companies/:companyId/webhooks/:id', summary: 'One webhook endpoint', tag: 'webhooks', roles: PARTNER,
    params: CompanyIdParams, response: WebhookEndpointView,
    handler: async ({ principal, params }) => view(await find((await loadCompany(ctx, principal, params.companyId, 'read')).id, params.id)),
  });
  r.add({
    method: 'PATCH', path: '/companies/:companyId/webhooks/:id', summary: 'Change a webhook endpoint (URL, events, active)', tag: 'webhooks', roles: PARTNER,
    params: CompanyIdParams, body: UpdateBody, response: WebhookEndpointView,
    handler: async ({ principal, params, body, audit }) => {
      const ep = await find((await loadCompany(ctx, principal, params.companyId, 'partner')).id, params.id);
      audit.before(await view(ep));
      const after = await view(await update(ep, body));
      audit.after(after);
      return after;
    },
  });
  r.add({
    method: 'DELETE', path: '/companies/:companyId/webhooks/:id', summary: 'Remove a webhook endpoint and its undelivered events', tag: 'webhooks', roles: PARTNER,
    params: CompanyIdParams, response: z.object({ deleted: z.literal(true) }),
    handler: async ({ principal, params, audit }) => {
      const ep = await find((await loadCompany(ctx, principal, params.companyId, 'partner')).id, params.id);
      audit.before(await view(ep));
      await store.remove(ep);
      return { deleted: true as const };
    },
  });
  r.add({
    method: 'GET', path: '/companies/:companyId/webhooks/:id/deliveries', summary: 'Recent delivery attempts to a webhook endpoint, newest first', tag: 'webhooks', roles: PARTNER,
    params: CompanyIdParams, query: DeliveriesQuery, response: deliveries,
    handler: async ({ principal, params, query }) => {
      const ep = await find((await loadCompany(ctx, principal, params.companyId, 'read')).id, params.id);
      return { items: await store.recent(ep.id, query.limit) };
    },
  });

  // ---- global (service operator): every company's events ----
  r.add({
    method: 'POST', path: '/webhooks', summary: 'Add a global webhook endpoint: every company\'s meeting events (the secret is shown once)', tag: 'webhooks', roles: OPERATOR,
    body: CreateBody, response: Created, status: 201, idempotent: true,
    handler: async ({ body, audit }) => {
      const created = await create(null, body);
      audit.target({ webhookId: created.id });
      audit.after({ ...created, secret: undefined });
      return created;
    },
  });
  r.add({
    method: 'GET', path: '/webhooks', summary: 'Global webhook endpoints with their last delivery', tag: 'webhooks', roles: OPERATOR,
    response: z.array(WebhookEndpointView),
    handler: async () => Promise.all((await store.list(null)).map(view)),
  });
  r.add({
    method: 'GET', path: '/webhooks/:id', summary: 'One global webhook endpoint', tag: 'webhooks', roles: OPERATOR,
    params: IdParams, response: WebhookEndpointView,
    handler: async ({ params }) => view(await find(null, params.id)),
  });
  r.add({
    method: 'PATCH', path: '/webhooks/:id', summary: 'Change a global webhook endpoint', tag: 'webhooks', roles: OPERATOR,
    params: IdParams, body: UpdateBody, response: WebhookEndpointView,
    handler: async ({ params, body, audit }) => {
      const ep = await find(null, params.id);
      audit.before(await view(ep));
      const after = await view(await update(ep, body));
      audit.after(after);
      return after;
    },
  });
  r.add({
    method: 'DELETE', path: '/webhooks/:id', summary: 'Remove a global webhook endpoint and its undelivered events', tag: 'webhooks', roles: OPERATOR,
    params: IdParams, response: z.object({ deleted: z.literal(true) }),
    handler: async ({ params, audit }) => {
      const ep = await find(null, params.id);
      audit.before(await view(ep));
      await store.remove(ep);
      return { deleted: true as const };
    },
  });
  r.add({
    method: 'GET', path: '/webhooks/:id/deliveries', summary: 'Recent delivery attempts to a global webhook endpoint, newest first', tag: 'webhooks', roles: OPERATOR,
    params: IdParams, query: DeliveriesQuery, response: deliveries,
    handler: async ({ params, query }) => ({ items: await store.recent((await find(null, params.id)).id, query.limit) }),
  });
}

function pageSchema() {
  return z.object({ items: z.array(DeliveryOutcomeSchema) });
}
