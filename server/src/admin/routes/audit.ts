import { z } from 'zod';
import { AuditEntrySchema } from '../audit/index.js';
import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import type { RouteRegistrar } from '../http/route.js';
import { OPERATOR, PARTNER } from './shared.js';

const StreamId = z.string().regex(/^\d{1,20}-\d{1,20}$/, 'a cursor from nextCursor');

export function auditRoutes(r: RouteRegistrar, ctx: AdminContext): void {
  r.add({
    method: 'GET', path: '/audit', summary: 'Audit log of admin writes, newest first (operator: all; partner admin: its partner\'s entries)', tag: 'audit', roles: [...OPERATOR, ...PARTNER],
    query: z.object({
      partnerId: z.string().max(100).optional(),
      companyId: z.string().max(100).optional(),
      actorTokenId: z.string().max(100).optional(),
      method: z.enum(['POST', 'PUT', 'PATCH', 'DELETE']).optional(),
      route: z.string().max(200).optional().describe('substring of the route pattern, e.g. dial-in-numbers'),
      target: z.string().max(200).optional().describe('an id the entry touched (number, company, plan …)'),
      since: z.iso.datetime().optional(),
      until: z.iso.datetime().optional(),
      before: StreamId.optional().describe('nextCursor of the previous page'),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({ items: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }),
    handler: async ({ principal, query }) => {
      let partnerId = query.partnerId;
      if (principal.role !== 'operator') {
        // A partner reads only its own stream; naming another partner reveals nothing.
        if (partnerId !== undefined && partnerId !== principal.partnerId) throw adminError('not_found', 'no such partner');
        partnerId = principal.partnerId;
      }
      return ctx.audit.list({
        partnerId,
        companyId: query.companyId,
        actorTokenId: query.actorTokenId,
        method: query.method,
        route: query.route,
        target: query.target,
        sinceMs: query.since ? Date.parse(query.since) : undefined,
        untilMs: query.until ? Date.parse(query.until) : undefined,
        before: query.before,
        limit: query.limit,
      });
    },
  });
}
