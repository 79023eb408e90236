import { adminError } from '../errors.js';
import type { Company, Principal } from '../model.js';

/**
 * Company-scoped authorisation. A company that is not the caller's is reported as not found
 * (not forbidden) so ids of other customers cannot be probed.
 */
export function canSeeCompany(p: Principal, company: Company): boolean {
  // The operator assigns numbers and creates partners; it does not run customers' companies.
  if (p.role === 'operator') return false;
  if (p.role === 'partner_admin') return company.partnerId === p.partnerId;
  return company.id === p.companyId;
}

export type CompanyAccess = 'read' | 'manage' | 'partner';

/**
 * read: partner admin of the company's partner, company admin, or a member (members only on
 * routes that allow them); manage: partner admin or company admin; partner: partner admin only.
 * A deleted company: read-only for its partner admin, not found for everyone else.
 */
export function assertCompanyAccess(p: Principal, company: Company | null, level: CompanyAccess): asserts company is Company {
  if (!company || !canSeeCompany(p, company)) throw adminError('not_found', 'no such company');
  if (company.deletedAt) {
    // A deleted company's records stay readable to its partner until they are purged; for its
    // own admins and members it is gone, and nobody can change it any more.
    if (p.role !== 'partner_admin') throw adminError('not_found', 'no such company');
    if (level !== 'read') throw adminError('company_deleted', 'the company was deleted; its records are read-only', { recordsKeptUntil: company.recordsKeptUntil });
  }
  if (level === 'partner' && p.role !== 'partner_admin') throw adminError('forbidden', 'only a partner administrator may do this');
  if (level === 'manage' && p.role === 'member') throw adminError('forbidden', 'only an administrator may do this');
}
