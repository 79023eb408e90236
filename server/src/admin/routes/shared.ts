import { z } from 'zod';
import { assertCompanyAccess, type CompanyAccess } from '../auth/index.js';
import type { AdminContext } from '../context.js';
import type { Company, EndpointRecord, Principal } from '../model.js';

export const CompanyParams = z.object({ companyId: z.string().min(1).max(100) });
export const CompanyItemParams = CompanyParams.extend({ id: z.string().min(1).max(100) });

export async function loadCompany(ctx: AdminContext, p: Principal, companyId: string, level: CompanyAccess): Promise<Company> {
  const company = await ctx.orgs.getCompany(companyId);
  assertCompanyAccess(p, company, level);
  return company;
}

export function endpointView(e: EndpointRecord): Omit<EndpointRecord, 'sipPassword'> {
  const { sipPassword: _secret, ...view } = e;
  return view;
}

export const ADMINS = ['partner_admin', 'company_admin'] as const;
export const PARTNER = ['partner_admin'] as const;
export const ANYONE = ['partner_admin', 'company_admin', 'member'] as const;
/** The service operator (above partners): partners, dial-in numbers, the whole audit log. */
export const OPERATOR = ['operator'] as const;

/** Short names people type (1-200 chars, one line). */
export const Name = z.string().trim().min(1).max(200).regex(/^[^\r\n\t]*$/, 'one line');
