import { z } from 'zod';
import { normalizeE164 } from '../../directory/index.js';
import type { AdminContext } from '../context.js';
import { readOutbox } from '../email/index.js';
import { adminError } from '../errors.js';
import type { RouteRegistrar } from '../http/route.js';
import { DialInNumberSchema, PartnerSchema, PrincipalSchema, type DialInNumber, type Principal } from '../model.js';
import { newId, type DialInWrite } from '../store/index.js';
import { ANYONE, OPERATOR, PARTNER } from './shared.js';
import { canSeeCompany } from '../auth/index.js';

const NumberParams = z.object({ number: z.string().max(40) });
const Label = z.string().trim().min(1).max(100);
const Target = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('ivr') }),
  z.object({ kind: z.literal('vmr'), companyId: z.string().max(100), vmrId: z.string().max(100) }),
]);

function e164(raw: string): string {
  const number = normalizeE164(raw);
  if (!number) throw adminError('bad_request', 'the number must be E.164, e.g. +4721000000');
  return number;
}

/**
 * Who sees a dial-in number: the operator all; a partner admin its partner's numbers only (others
 * are not found, like other tenants' companies); company admins and members the service-wide and
 * their partner's IVR numbers and the numbers that ring their own company's VMRs.
 */
function canSeeNumber(p: Principal, d: DialInNumber): boolean {
  if (p.role === 'operator') return true;
  if (p.role === 'partner_admin') return d.partnerId === p.partnerId;
  if (d.target.kind === 'ivr') return d.partnerId === null || d.partnerId === p.partnerId;
  return d.target.companyId === p.companyId && d.partnerId === p.partnerId;
}

/** The operator partner's own admins created partners before the operator role existed; they still may. */
async function isOperator(ctx: AdminContext, p: Principal): Promise<boolean> {
  return p.role === 'operator' || (p.role === 'partner_admin' && p.partnerId === (await ctx.orgs.operatorPartnerId()));
}

export function serviceRoutes(r: RouteRegistrar, ctx: AdminContext, outboxEnabled: boolean): void {
  r.add({
    method: 'POST', path: '/partners', summary: 'Create a partner and its first admin token (service operator only; token shown once)', tag: 'partners', roles: [...OPERATOR, ...PARTNER],
    body: z.object({ name: z.string().trim().min(1).max(200) }), status: 201, idempotent: true,
    response: z.object({ partner: PartnerSchema, token: z.string() }),
    handler: async ({ principal, body, audit }) => {
      if (!(await isOperator(ctx, principal))) throw adminError('forbidden', 'only the service operator may create partners');
      const partner = { id: newId('pa'), name: body.name, createdAt: new Date(ctx.clock.now()).toISOString() };
      await ctx.orgs.createPartner(partner);
      const { token } = await ctx.tokens.issue({ role: 'partner_admin', name: `${body.name} admin`, partnerId: partner.id });
      audit.target({ partnerId: partner.id });
      audit.partner(partner.id);
      audit.after(partner);
      return { partner, token };
    },
  });

  r.add({
    method: 'GET', path: '/partners', summary: 'All partners (service operator only)', tag: 'partners', roles: OPERATOR,
    response: z.array(PartnerSchema),
    handler: async () => ctx.orgs.listPartners(),
  });

  r.add({
    method: 'POST', path: '/partners/:partnerId/admins', summary: 'Issue a partner administrator token for a partner (service operator only; shown once)', tag: 'partners', roles: OPERATOR,
    params: z.object({ partnerId: z.string().min(1).max(100) }), body: z.object({ name: z.string().trim().min(1).max(200) }), status: 201, idempotent: true,
    response: z.object({ token: z.string(), principal: PrincipalSchema }),
    handler: async ({ params, body, audit }) => {
      if (!(await ctx.orgs.getPartner(params.partnerId))) throw adminError('not_found', 'no such partner');
      const issued = await ctx.tokens.issue({ role: 'partner_admin', name: body.name, partnerId: params.partnerId });
      audit.partner(params.partnerId);
      audit.target({ tokenId: issued.principal.tokenId });
      audit.after(issued.principal);
      return issued;
    },
  });

  r.add({
    method: 'POST', path: '/partner-admins', summary: 'Issue another partner administrator token for my partner (shown once)', tag: 'partners', roles: PARTNER,
    body: z.object({ name: z.string().trim().min(1).max(200) }), status: 201, idempotent: true,
    response: z.object({ token: z.string(), principal: PrincipalSchema }),
    handler: async ({ principal, body, audit }) => {
      const issued = await ctx.tokens.issue({ role: 'partner_admin', name: body.name, partnerId: principal.partnerId });
      audit.target({ tokenId: issued.principal.tokenId });
      audit.after(issued.principal);
      return issued;
    },
  });

  r.add({
    method: 'DELETE', path: '/me/token', summary: 'Revoke the token used for this request', tag: 'auth', roles: [...OPERATOR, ...ANYONE], status: 204,
    handler: async ({ request, reply }) => {
      await ctx.tokens.revoke(request.headers.authorization);
      return reply.status(204).send();
    },
  });

  // ---- dial-in numbers: the operator creates and assigns them; a partner routes its own ---------

  /** Checks a VMR target the caller may use; returns the partner that owns the VMR's company. */
  const targetPartner = async (p: Principal, target: z.output<typeof Target>): Promise<string | null> => {
    if (target.kind === 'ivr') return null;
    const c = await ctx.orgs.getCompany(target.companyId);
    if (!c || (p.role !== 'operator' && !canSeeCompany(p, c))) throw adminError('not_found', 'no such company');
    if (!(await ctx.consumers.getVmr(c.id, target.vmrId))) throw adminError('not_found', 'no such VMR');
    return c.partnerId;
  };

  const written = (w: DialInWrite, audit: { before(v: unknown): void; after(v: unknown): void; partner(id: string | null): void }): DialInNumber => {
    if (!w.ok) {
      if (w.reason === 'taken') throw adminError('number_taken', 'this dial-in number already exists');
      if (w.reason === 'target_mismatch') throw adminError('conflict', 'the VMR belongs to a company of another partner than the number');
      throw adminError('not_found', 'no such dial-in number');
    }
    audit.before(w.before);
    audit.after(w.record);
    // The partners on both sides of an operator's change may read its entry.
    audit.partner(w.before?.partnerId ?? null);
    audit.partner(w.record.partnerId);
    return w.record;
  };

  r.add({
    method: 'GET', path: '/dial-in-numbers', summary: 'PSTN dial-in numbers visible to the caller (operator: all; partner: its own)', tag: 'dial-in', roles: [...OPERATOR, ...ANYONE],
    query: z.object({ partnerId: z.string().max(100).optional() }),
    response: z.array(DialInNumberSchema),
    handler: async ({ principal, query }) =>
      (await ctx.dialIns.list()).filter((d) => canSeeNumber(principal, d) && (query.partnerId === undefined || d.partnerId === query.partnerId)),
  });

  r.add({
    method: 'GET', path: '/dial-in-numbers/:number', summary: 'One dial-in number (not found unless visible to the caller)', tag: 'dial-in', roles: [...OPERATOR, ...ANYONE],
    params: NumberParams, response: DialInNumberSchema,
    handler: async ({ principal, params }) => {
      const d = await ctx.dialIns.get(e164(params.number));
      if (!d || !canSeeNumber(principal, d)) throw adminError('not_found', 'no such dial-in number');
      return d;
    },
  });

  r.add({
    method: 'POST', path: '/dial-in-numbers', summary: 'Create a dial-in number and assign it to a partner (service operator only)', tag: 'dial-in', roles: OPERATOR,
    body: z.object({ number: z.string().max(40), label: Label, partnerId: z.string().max(100).nullable().default(null), target: Target.default({ kind: 'ivr' }) }),
    status: 201, response: DialInNumberSchema,
    handler: async ({ principal, body, audit }) => {
      const number = e164(body.number);
      audit.target({ number });
      if (body.partnerId && !(await ctx.orgs.getPartner(body.partnerId))) throw adminError('not_found', 'no such partner');
      const owner = await targetPartner(principal, body.target);
      if (owner !== null && owner !== body.partnerId) throw adminError('conflict', 'the VMR belongs to a company of another partner than the number');
      const rec: DialInNumber = { number, label: body.label, partnerId: body.partnerId, target: body.target, createdAt: new Date(ctx.clock.now()).toISOString() };
      return written(await ctx.dialIns.create(rec), audit);
    },
  });

  r.add({
    // Routing only: creating a number is POST's one job (the operator), so a typo'd number is a
    // clear not_found instead of a new number.
    method: 'PUT', path: '/dial-in-numbers/:number', summary: 'Route an existing dial-in number to the IVR or one VMR (partner: its own numbers; operator: any)', tag: 'dial-in', roles: [...OPERATOR, ...PARTNER],
    params: NumberParams, body: z.object({ label: Label, target: Target }),
    response: DialInNumberSchema,
    handler: async ({ principal, params, body, audit }) => {
      const targetPartnerId = await targetPartner(principal, body.target);
      const actor = principal.role === 'operator' ? { operator: true as const } : { operator: false as const, partnerId: principal.partnerId };
      return written(await ctx.dialIns.update(e164(params.number), actor, { label: body.label, target: body.target, targetPartnerId }), audit);
    },
  });

  r.add({
    method: 'PUT', path: '/dial-in-numbers/:number/partner', summary: 'Assign a dial-in number to a partner (null: back to the operator); a moved number goes back to the IVR (service operator only)', tag: 'dial-in', roles: OPERATOR,
    params: NumberParams, body: z.object({ partnerId: z.string().max(100).nullable() }),
    response: DialInNumberSchema,
    handler: async ({ params, body, audit }) => {
      const number = e164(params.number);
      if (body.partnerId && !(await ctx.orgs.getPartner(body.partnerId))) throw adminError('not_found', 'no such partner');
      return written(await ctx.dialIns.assign(number, body.partnerId), audit);
    },
  });

  r.add({
    method: 'DELETE', path: '/dial-in-numbers/:number', summary: 'Remove a dial-in number (service operator only)', tag: 'dial-in', roles: OPERATOR,
    params: NumberParams, status: 204,
    handler: async ({ params, reply, audit }) => {
      const number = e164(params.number);
      const w = await ctx.dialIns.delete(number, { operator: true });
      written(w, audit);
      audit.after(null);
      return reply.status(204).send();
    },
  });

  if (outboxEnabled) {
    r.add({
      method: 'GET', path: '/outbox', summary: 'Mail outbox (when no SMTP server is configured); service operator only', tag: 'email', roles: [...OPERATOR, ...PARTNER],
      query: z.object({ to: z.string().max(320).optional(), limit: z.coerce.number().int().min(1).max(1000).default(50) }),
      handler: async ({ principal, query }) => {
        // The outbox holds every customer's mail (accept links): only the operator reads it.
        if (!(await isOperator(ctx, principal))) throw adminError('forbidden', 'only the service operator may read the outbox');
        return readOutbox(ctx.redis, { ...(query.to ? { to: query.to } : {}), limit: query.limit });
      },
    });
  }
}
