import { DomainError } from '../../errors.js';
import { checkAddress, checkDomain, isWithinDomain, type AddressRejection } from '../../directory/index.js';
import type { AdminContext } from '../context.js';
import { adminError } from '../errors.js';
import { poolForTier, type LicencePool } from '../licences/index.js';
import type { CallingDomainRecord, Company, ConsumerRecord, OrderEvent } from '../model.js';
import { keys, newId, type CreateConsumerInput } from '../store/index.js';

export const SYSTEM_USER = 'System';

export function evaluationOpen(ctx: AdminContext, company: Company): boolean {
  return company.evaluation !== null && Date.parse(company.evaluation.endsAt) > ctx.clock.now();
}

export function addressError(reason: AddressRejection, message: string): DomainError {
  return adminError('invalid_address', message, { reason });
}

/** Normalises a domain for a consumer address, or throws invalid_address. */
export function normalizeConsumerDomain(domain: string): string {
  const d = checkDomain(domain);
  if (!d.ok) throw addressError(d.reason, d.message);
  return d.value;
}

export function isDefaultDomain(ctx: AdminContext, domain: string): boolean {
  return isWithinDomain(domain, ctx.config.defaultDomain);
}

/**
 * A consumer may use the default domain itself, or one of its company's calling domains once
 * that is active and verified (seed 001: no consumers on an unverified domain).
 */
export async function assertDomainUsable(ctx: AdminContext, company: Company, domain: string): Promise<void> {
  if (domain === ctx.config.defaultDomain) return;
  const owner = await ctx.consumers.resolveDomain(domain);
  if (!owner || owner.companyId !== company.id) {
    throw adminError('domain_not_hosted', `${domain} is not a calling domain of this company`, { domain });
  }
  const rec = await ctx.consumers.get<CallingDomainRecord>(company.id, owner.id, 'domain');
  if (!rec || rec.state !== 'active') throw adminError('domain_not_hosted', `calling domain ${domain} is not active`, { domain });
  if (!rec.verified) throw adminError('domain_not_verified', `calling domain ${domain} is not verified yet`, { domain });
}

/** Checks an address (seed 001 rules) and that its domain is usable. */
export async function consumerAddress(ctx: AdminContext, company: Company, local: string, domain: string) {
  const a = checkAddress(local, domain, ctx.config.defaultDomain);
  if (!a.ok) throw addressError(a.reason, a.message);
  await assertDomainUsable(ctx, company, a.value.domain);
  return a.value;
}

/** The licence pool a consumer draws from ('' for a calling domain under the default domain). */
export function poolFor(ctx: AdminContext, rec: ConsumerRecord): LicencePool | '' {
  switch (rec.kind) {
    case 'user':
    case 'team_vmr':
      return 'eul';
    case 'endpoint':
      return poolForTier(rec.tier);
    case 'domain':
      return isDefaultDomain(ctx, rec.domain) ? '' : 'domain_hosting';
  }
}

/**
 * Creates a consumer with a licence; if none is available and Evaluation Mode is open, creates it
 * as a trial consumer instead (seed 001). Refusals are counted by reason.
 */
export async function createLicensed(
  ctx: AdminContext,
  company: Company,
  pool: LicencePool | '',
  make: (opts: { pool: LicencePool | ''; trial: boolean }) => CreateConsumerInput,
): Promise<CreateConsumerInput> {
  const first = make({ pool, trial: false });
  try {
    await ctx.consumers.create(first);
    return first;
  } catch (err) {
    if (err instanceof DomainError && err.code === 'no_licence_available' && evaluationOpen(ctx, company)) {
      const trial = make({ pool: '', trial: true });
      await ctx.consumers.create(trial);
      return trial;
    }
    if (err instanceof DomainError) ctx.metrics.licenceRefusals.inc({ reason: err.code, pool: pool || 'none' });
    throw err;
  }
}

/** Claim keys a consumer owns (removed when it is deleted). */
export function claimKeysOf(rec: ConsumerRecord, numericId?: string): string[] {
  switch (rec.kind) {
    case 'user':
      return [keys.addressClaim(rec.personalAddress), keys.addressClaim(rec.vmrAddress), ...(numericId ? [keys.numericIdClaim(numericId)] : [])];
    case 'team_vmr':
      return [keys.addressClaim(rec.address), ...(numericId ? [keys.numericIdClaim(numericId)] : [])];
    case 'endpoint':
      return [keys.addressClaim(rec.address)];
    case 'domain':
      return [keys.domainClaim(rec.domain)];
  }
}

let orderSeq = 0;

/**
 * An order event. Its id sorts by time, then by creation order within this process, so events
 * in the same millisecond (an expiry pass writes several) list in the order they happened.
 */
export function orderEvent(
  ctx: AdminContext,
  fields: Omit<OrderEvent, 'id' | 'at'> & { at?: string },
): OrderEvent {
  const at = fields.at ?? new Date(ctx.clock.now()).toISOString();
  orderSeq = (orderSeq + 1) % 36 ** 6;
  const id = `oe_${String(Date.parse(at)).padStart(15, '0')}_${orderSeq.toString(36).padStart(6, '0')}_${newId('').slice(1, 9)}`;
  return { ...fields, id, at };
}

export function parsePage(q: { offset?: number | undefined; limit?: number | undefined }): { offset: number; limit: number } {
  return { offset: q.offset ?? 0, limit: q.limit ?? 50 };
}
