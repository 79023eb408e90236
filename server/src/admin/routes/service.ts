import { z } from 'zod';
import { normalizeE164 } from '../../directory/index.js';
import type { AdminContext } from '../context.js';
import { readOutbox } from '../email/index.js';
import { adminError } from '../errors.js';
import type { RouteRegistrar } from '../http/route.js';
import { DialInNumberSchema, PartnerSchema, PrincipalSchema, type DialInNumber } from '../model.js';
import { newId } from '../store/index.js';
import { ANYONE, PARTNER } from './shared.js';
import { canSeeCompany } from '../auth/index.js';

export function serviceRoutes(r: RouteRegistrar, ctx: AdminContext, outboxEnabled: boolean): void {
  r.add({
    method: 'POST', path: '/partners', summary: 'Create a partner and its first admin token (service operator only; token shown once)', tag: 'partners', roles: PARTNER,
    body: z.object({ name: z.string().trim().min(1).max(200) }), status: 201, idempotent: true,
    response: z.object({ partner: PartnerSchema, token: z.string() }),
    handler: async ({ principal, body }) => {
      if (principal.partnerId !== (await ctx.orgs.operatorPartnerId())) throw adminError('forbidden', 'only the service operator may create partners');
      const partner = { id: newId('pa'), name: body.name, createdAt: new Date(ctx.clock.now()).toISOString() };
      await ctx.orgs.createPartner(partner);
      const { token } = await ctx.tokens.issue({ role: 'partner_admin', name: `${body.name} admin`, partnerId: partner.id });
      return { partner, token };
    },
  });

  r.add({
    method: 'POST', path: '/partner-admins', summary: 'Issue another partner administrator token for my partner (shown once)', tag: 'partners', roles: PARTNER,
    body: z.object({ name: z.string().trim().min(1).max(200) }), status: 201, idempotent: true,
    response: z.object({ token: z.string(), principal: PrincipalSchema }),
    handler: async ({ principal, body }) => ctx.tokens.issue({ role: 'partner_admin', name: body.name, partnerId: principal.partnerId }),
  });

  r.add({
    method: 'DELETE', path: '/me/token', summary: 'Revoke the token used for this request', tag: 'auth', roles: ANYONE, status: 204,
    handler: async ({ request, reply }) => {
      await ctx.tokens.revoke(request.headers.authorization);
      return reply.status(204).send();
    },
  });

  r.add({
    method: 'GET', path: '/dial-in-numbers', summary: 'PSTN dial-in numbers visible to the caller', tag: 'dial-in', roles: ANYONE,
    response: z.array(DialInNumberSchema),
    handler: async ({ principal }) => {
      const all = await ctx.orgs.listDialIns();
      if (principal.role === 'partner_admin') {
        const visible: DialInNumber[] = [];
        for (const d of all) {
          if (d.target.kind === 'ivr') visible.push(d);
          else {
            const c = await ctx.orgs.getCompany(d.target.companyId);
            if (c && canSeeCompany(principal, c)) visible.push(d);
          }
        }
        return visible;
      }
      return all.filter((d) => d.target.kind === 'ivr' || d.target.companyId === principal.companyId);
    },
  });

  r.add({
    method: 'PUT', path: '/dial-in-numbers/:number', summary: 'Add or change a dial-in number (IVR or straight to one VMR)', tag: 'dial-in', roles: PARTNER,
    params: z.object({ number: z.string().max(40) }),
    body: z.object({ label: z.string().trim().min(1).max(100), target: z.discriminatedUnion('kind', [z.object({ kind: z.literal('ivr') }), z.object({ kind: z.literal('vmr'), companyId: z.string().max(100), vmrId: z.string().max(100) })]) }),
    response: DialInNumberSchema,
    handler: async ({ principal, params, body }) => {
      const number = normalizeE164(params.number);
      if (!number) throw adminError('bad_request', 'the number must be E.164, e.g. +4721000000');
      if (body.target.kind === 'vmr') {
        const c = await ctx.orgs.getCompany(body.target.companyId);
        if (!c || !canSeeCompany(principal, c)) throw adminError('not_found', 'no such company');
        if (!(await ctx.consumers.getVmr(c.id, body.target.vmrId))) throw adminError('not_found', 'no such VMR');
      }
      const existing = await ctx.orgs.getDialIn(number);
      const rec: DialInNumber = { number, label: body.label, target: body.target, createdAt: existing?.createdAt ?? new Date(ctx.clock.now()).toISOString() };
      await ctx.orgs.saveDialIn(rec);
      return rec;
    },
  });

  r.add({
    method: 'DELETE', path: '/dial-in-numbers/:number', summary: 'Remove a dial-in number', tag: 'dial-in', roles: PARTNER,
    params: z.object({ number: z.string().max(40) }), status: 204,
    handler: async ({ params, reply }) => {
      const number = normalizeE164(params.number);
      if (!number || !(await ctx.orgs.deleteDialIn(number))) throw adminError('not_found', 'no such dial-in number');
      return reply.status(204).send();
    },
  });

  if (outboxEnabled) {
    r.add({
      method: 'GET', path: '/outbox', summary: 'Mail outbox (when no SMTP server is configured); service operator only', tag: 'email', roles: PARTNER,
      query: z.object({ to: z.string().max(320).optional(), limit: z.coerce.number().int().min(1).max(1000).default(50) }),
      handler: async ({ principal, query }) => {
        // The outbox holds every customer's mail (accept links): only the operator partner reads it.
        if (principal.partnerId !== (await ctx.orgs.operatorPartnerId())) throw adminError('forbidden', 'only the service operator may read the outbox');
        return readOutbox(ctx.redis, { ...(query.to ? { to: query.to } : {}), limit: query.limit });
      },
    });
  }
}
