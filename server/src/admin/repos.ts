import type { AdminContext } from './context.js';
import type { CompanyLimits } from './licences/index.js';
import type { CallDetailRecord, CallingDomainRecord, DialInNumber, EndpointRecord, MemberRecord, VmrRecord } from './model.js';
import { CdrSchema } from './model.js';
import type { CompanyService } from './services/index.js';
import { verifyPin } from './pins.js';

/** Who an address belongs to (SPEC §2 routing). */
export type AddressOwner =
  | { kind: 'vmr'; companyId: string; vmr: VmrRecord }
  | { kind: 'member'; companyId: string; member: MemberRecord }
  | { kind: 'endpoint'; companyId: string; endpoint: EndpointRecord };

/**
 * The read API the meetings and gateway issues use (plus the CDR writer). Narrow on purpose:
 * they never see repositories, keys or licences directly.
 */
export interface AdminRepos {
  getVmrByAddress(address: string): Promise<VmrRecord | null>;
  getVmrByNumericId(numericId: string): Promise<VmrRecord | null>;
  getVmr(companyId: string, vmrId: string): Promise<VmrRecord | null>;
  /** Checks a PIN against a stored scrypt hash (constant time). */
  verifyPin(pin: string, hash: string): Promise<boolean>;
  /** Resolves any hosted address: a VMR, a member's personal address, or an endpoint. */
  resolveAddress(address: string): Promise<AddressOwner | null>;
  /** Per-meeting and company-wide concurrent participant limits and interop caps. */
  companyLimits(companyId: string): Promise<CompanyLimits>;
  /** An active endpoint (with SIP credentials, tier and bandwidth cap) by its address. */
  getEndpointByAddress(address: string): Promise<EndpointRecord | null>;
  /** Endpoint bandwidth tier for call-rate caps (768 / 1500 / 4000 kbps). */
  endpointTier(address: string): Promise<{ tier: EndpointRecord['tier']; bandwidthKbps: number } | null>;
  listDialInNumbers(): Promise<DialInNumber[]>;
  getDialInNumber(e164: string): Promise<DialInNumber | null>;
  /** Whether the service hosts `domain` and whether it is verified (default domain: always both). */
  domainStatus(domain: string): Promise<{ hosted: boolean; verified: boolean; companyId: string | null }>;
  /** Stores a call-detail record (validated). */
  writeCdr(cdr: CallDetailRecord): Promise<void>;
}

export function createRepos(ctx: AdminContext, companies: CompanyService): AdminRepos {
  const c = ctx.consumers;
  const endpointAt = async (address: string): Promise<EndpointRecord | null> => {
    const owner = await c.resolveAddress(address);
    if (!owner || owner.kind !== 'endpoint') return null;
    const e = await c.get<EndpointRecord>(owner.companyId, owner.id, 'endpoint');
    return e && e.state === 'active' ? e : null;
  };
  return {
    getVmrByAddress: (a) => c.getVmrByAddress(a),
    getVmrByNumericId: (n) => c.getVmrByNumericId(n),
    getVmr: (companyId, id) => c.getVmr(companyId, id),
    verifyPin,
    async resolveAddress(address) {
      const owner = await c.resolveAddress(address);
      if (!owner) return null;
      if (owner.kind === 'vmr') {
        const vmr = await c.getVmr(owner.companyId, owner.id);
        return vmr ? { kind: 'vmr', companyId: owner.companyId, vmr } : null;
      }
      if (owner.kind === 'user') {
        const member = await c.get<MemberRecord>(owner.companyId, owner.id, 'user');
        return member ? { kind: 'member', companyId: owner.companyId, member } : null;
      }
      const endpoint = await c.get<EndpointRecord>(owner.companyId, owner.id, 'endpoint');
      return endpoint ? { kind: 'endpoint', companyId: owner.companyId, endpoint } : null;
    },
    companyLimits: (companyId) => companies.limits(companyId),
    getEndpointByAddress: endpointAt,
    async endpointTier(address) {
      const e = await endpointAt(address);
      return e ? { tier: e.tier, bandwidthKbps: e.bandwidthKbps } : null;
    },
    listDialInNumbers: () => ctx.dialIns.list(),
    getDialInNumber: (n) => ctx.dialIns.get(n),
    async domainStatus(domain) {
      const d = domain.toLowerCase();
      if (d === ctx.config.defaultDomain) return { hosted: true, verified: true, companyId: null };
      const owner = await c.resolveDomain(d);
      if (!owner) return { hosted: false, verified: false, companyId: null };
      const rec = await c.get<CallingDomainRecord>(owner.companyId, owner.id, 'domain');
      const active = rec?.state === 'active';
      return { hosted: active, verified: active && (rec?.verified ?? false), companyId: owner.companyId };
    },
    async writeCdr(cdr) {
      await ctx.cdrs.write(CdrSchema.parse(cdr));
    },
  };
}
