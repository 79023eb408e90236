import { z } from 'zod';
import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import { PageQuery, pageOf, type RouteRegistrar } from '../http/route.js';
import { CdrSchema } from '../model.js';
import { callsCsv } from '../calls/index.js';
import { ADMINS, CompanyParams, loadCompany } from './shared.js';

const CallFilter = z.object({
  from: z.string().datetime({ offset: true }).optional().describe('start time at or after (ISO 8601)'),
  to: z.string().datetime({ offset: true }).optional().describe('start time before (ISO 8601)'),
  vmrId: z.string().min(1).max(100).optional(),
  kind: z.enum(['browser', 'sip', 'phone', 'interop']).optional().describe('participant kind'),
});
const CallQuery = CallFilter.merge(PageQuery);
/** Rows of one CSV download, at most (a wider range is cut; narrow the dates). */
const CSV_MAX_ROWS = 100_000;

function filterOf(q: z.output<typeof CallFilter>) {
  const fromMs = q.from ? Date.parse(q.from) : undefined;
  const toMs = q.to ? Date.parse(q.to) : undefined;
  if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) throw adminError('bad_request', '`from` is after `to`');
  return { fromMs, toMs, vmrId: q.vmrId, participantKind: q.kind };
}

/** Call history: per company for partner and company admins (filters, paging, CSV). */
export function callRoutes(r: RouteRegistrar, ctx: AdminContext): void {
  r.add({
    method: 'GET', path: '/companies/:companyId/calls', summary: 'Company call history, newest first, filtered by start date range, VMR and participant kind (kept read-only for the partner after the company is deleted)', tag: 'calls', roles: ADMINS,
    params: CompanyParams, query: CallQuery, response: pageOf(CdrSchema),
    handler: async ({ principal, params, query }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'read');
      return { ...(await ctx.cdrs.search(company.id, filterOf(query), query.offset, query.limit)), offset: query.offset, limit: query.limit };
    },
  });

  r.add({
    method: 'GET', path: '/companies/:companyId/calls.csv', summary: 'Company call history as CSV (same filters)', tag: 'calls', roles: ADMINS,
    params: CompanyParams, query: CallFilter, produces: 'text/csv',
    handler: async ({ principal, params, query, reply }) => {
      const company = await loadCompany(ctx, principal, params.companyId, 'read');
      const { items } = await ctx.cdrs.search(company.id, filterOf(query), 0, CSV_MAX_ROWS);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="calls-${company.id}.csv"`)
        .send(callsCsv(items));
    },
  });
}
