import type { RedisClient } from '../../store/index.js';
import { adminError } from '../errors.js';
import { planTypesForPool, poolForTier, poolProduct, type EndpointTier, type LicencePool } from '../licences/index.js';
import type { ConsumerKind, ConsumerRecord, ConsumerState, VmrRecord } from '../model.js';
import { companyKeyPrefix, keys } from './keys.js';
import { ACTIVATE, CHANGE_TIER, RELEASE, RETIRE, TRANSITION, runScript } from './scripts.js';
import { newNumericId } from './ids.js';

/** An address (or domain / numeric id) a consumer owns exclusively. */
export interface Claim {
  key: string;
  value: string;
  /** What to tell the caller when taken. */
  label: string;
  /** Numeric ids are re-drawn when taken instead of failing. */
  numeric?: boolean;
}

export interface CreateConsumerInput {
  record: ConsumerRecord;
  /** Pool the consumer draws from; '' = none (trial, or a domain under the default domain). */
  pool: LicencePool | '';
  claims: Claim[];
  /** The VMR created with it (users, team VMRs) and the state it starts in. */
  vmr?: { record: VmrRecord; state: 'active' | 'inactive' };
  now: number;
}

export type ListFilter = { offset: number; limit: number; state?: ConsumerState | undefined; q?: string | undefined };

function stored<T>(h: Record<string, string>): T | null {
  if (!h.json) return null;
  const rec = JSON.parse(h.json) as Record<string, unknown>;
  if (h.state !== undefined) rec.state = h.state;
  if (h.pool !== undefined) rec.pool = h.pool;
  return rec as T;
}

/** The text a listing search matches: names, addresses, email, domain. */
function searchText(r: ConsumerRecord): string {
  const parts: string[] = [r.kind === 'domain' ? r.domain : r.name];
  if (r.kind === 'user') parts.push(r.email, r.personalAddress, r.vmrAddress);
  if (r.kind === 'team_vmr' || r.kind === 'endpoint') parts.push(r.address);
  return parts.join('\n').toLowerCase();
}

function companyDeletedError() {
  return adminError('company_deleted', 'the company was deleted; nothing can be activated in it');
}

export function scoreOf(rec: { createdAt: string }): string {
  return String(Date.parse(rec.createdAt));
}

/**
 * Consumers (users, team VMRs, endpoints, calling domains) and VMRs. Every write that takes or
 * returns a licence goes through a Lua script (see scripts.ts).
 */
export class ConsumerRepository {
  constructor(private readonly redis: RedisClient) {}

  /** Creates a consumer if its claims are free and (unless trial) a licence is available. */
  async create(input: CreateConsumerInput): Promise<void> {
    const { record, pool } = input;
    const claims = [...input.claims];
    for (let attempt = 0; attempt < 5; attempt++) {
      const hashes: { key: string; json: string; state: string }[] = [
        { key: keys.consumer(record.companyId, record.id), json: JSON.stringify(record), state: record.state },
      ];
      if (input.vmr) {
        hashes.push({ key: keys.vmr(record.companyId, input.vmr.record.id), json: JSON.stringify(input.vmr.record), state: input.vmr.state });
      }
      const zsets = [keys.consumersByKind(record.companyId, record.kind)];
      if (record.trial) zsets.push(keys.trials(record.companyId));
      const reply = await this.activate(record.companyId, pool, input.now, record.id, scoreOf(record), 'create', claims, hashes, zsets);
      if (reply[0] === 'ok') return;
      if (reply[0] === 'company_deleted') throw companyDeletedError();
      if (reply[0] === 'address_taken') {
        const claim = claims[Number(reply[1]) - 1];
        if (claim?.numeric && input.vmr) {
          // A numeric-id collision is ours to fix: draw another and retry.
          input.vmr.record.numericId = newNumericId();
          claims[claims.indexOf(claim)] = { ...claim, key: keys.numericIdClaim(input.vmr.record.numericId) };
          continue;
        }
        throw adminError('address_taken', `${claim?.label ?? 'address'} is already in use`, { address: claim?.label });
      }
      throw this.licenceError(pool, reply);
    }
    throw adminError('conflict', 'could not allocate a numeric id');
  }

  /** Reactivates an inactive consumer with a licence from `pool` ('' = as trial). */
  async reactivate(record: ConsumerRecord, pool: LicencePool | '', now: number, vmr?: { record: VmrRecord; state: string }): Promise<void> {
    const hashes: { key: string; json: string; state: string }[] = [
      { key: keys.consumer(record.companyId, record.id), json: JSON.stringify(record), state: record.state },
    ];
    if (vmr) hashes.push({ key: keys.vmr(record.companyId, vmr.record.id), json: '', state: vmr.state });
    const zsets = record.trial ? [keys.trials(record.companyId)] : [];
    const reply = await this.activate(record.companyId, pool, now, record.id, scoreOf(record), 'reactivate', [], hashes, zsets);
    if (reply[0] === 'ok') return;
    if (reply[0] === 'company_deleted') throw companyDeletedError();
    if (reply[0] === 'not_inactive') throw adminError('consumer_not_inactive', `consumer is ${reply[1]}`, { state: reply[1] });
    throw this.licenceError(pool, reply);
  }

  private licenceError(pool: string, reply: string[]) {
    const capacity = Number(reply[1]);
    const used = Number(reply[2]);
    const product = poolProduct(pool);
    const held = capacity > 0 ? `all ${capacity} are in use` : 'the company has none';
    return adminError('no_licence_available', `No ${product} available (${held}). Order more on the Licenses & orders tab, or delete or deactivate a consumer that uses one.`, {
      pool,
      product,
      orderPlanTypes: planTypesForPool(pool).map((t) => t.id),
      capacity,
      used,
    });
  }

  private activate(
    companyId: string,
    pool: string,
    now: number,
    member: string,
    score: string,
    mode: 'create' | 'reactivate',
    claims: Claim[],
    hashes: { key: string; json: string; state: string }[],
    zsets: string[],
  ): Promise<string[]> {
    return runScript(
      this.redis,
      ACTIVATE,
      [
        keys.licences(companyId),
        keys.usage(companyId),
        keys.poolMembers(companyId, pool),
        ...claims.map((c) => c.key),
        ...hashes.map((h) => h.key),
        ...zsets,
        keys.companyDeleted(companyId),
      ],
      [
        pool,
        String(now),
        String(claims.length),
        String(hashes.length),
        String(zsets.length),
        member,
        score,
        mode,
        ...claims.map((c) => c.value),
        ...hashes.flatMap((h) => [h.json, h.state]),
      ],
    );
  }

  /**
   * Deactivates (licence returned, record kept) or deletes (record, VMR and claims removed).
   * Returns the state before, or null when it was already inactive / missing.
   */
  async release(record: ConsumerRecord, mode: 'deactivate' | 'delete', claimKeys: string[] = []): Promise<ConsumerState | null> {
    const hashKeys = [keys.consumer(record.companyId, record.id)];
    if ('vmrId' in record) hashKeys.push(keys.vmr(record.companyId, record.vmrId));
    const del = mode === 'delete' ? claimKeys : [];
    const zsets = [keys.trials(record.companyId)];
    if (mode === 'delete') zsets.push(keys.consumersByKind(record.companyId, record.kind));
    const reply = await runScript(
      this.redis,
      RELEASE,
      [keys.usage(record.companyId), ...hashKeys, ...del, ...zsets],
      [mode, String(hashKeys.length), String(del.length), String(zsets.length), record.id, companyKeyPrefix(record.companyId)],
    );
    return reply[0] === 'ok' ? (reply[1] as ConsumerState) : null;
  }

  /**
   * Moves an endpoint to another tier's licence pool atomically (see CHANGE_TIER). Returns the
   * pool it left ('' when it held none: inactive or trial), or throws no_licence_available.
   */
  async changeTier(companyId: string, endpointId: string, tier: EndpointTier, bandwidthKbps: number, score: string, now: number): Promise<{ changed: boolean; oldPool: string }> {
    const newPool = poolForTier(tier);
    const reply = await runScript(
      this.redis,
      CHANGE_TIER,
      [keys.licences(companyId), keys.usage(companyId), keys.consumer(companyId, endpointId), keys.companyDeleted(companyId)],
      [newPool, String(now), endpointId, score, companyKeyPrefix(companyId), tier, String(bandwidthKbps)],
    );
    switch (reply[0]) {
      case 'ok':
        return { changed: true, oldPool: reply[1] ?? '' };
      case 'same':
        return { changed: false, oldPool: newPool };
      case 'missing':
        throw adminError('not_found', 'no such endpoint');
      case 'company_deleted':
        throw companyDeletedError();
      default:
        throw this.licenceError(newPool, reply);
    }
  }

  /**
   * A deleted company's consumer: licence returned, inactive, its claims released (only those
   * still naming this company). Returns how many claims were released, or null when missing.
   */
  async retire(record: ConsumerRecord, claimKeys: string[]): Promise<{ previous: ConsumerState; released: number } | null> {
    const hashKeys = [keys.consumer(record.companyId, record.id)];
    if ('vmrId' in record) hashKeys.push(keys.vmr(record.companyId, record.vmrId));
    const reply = await runScript(
      this.redis,
      RETIRE,
      [keys.usage(record.companyId), ...hashKeys, ...claimKeys, keys.trials(record.companyId)],
      [String(hashKeys.length), String(claimKeys.length), record.id, companyKeyPrefix(record.companyId), `${record.companyId}|`],
    );
    return reply[0] === 'ok' ? { previous: reply[1] as ConsumerState, released: Number(reply[2]) } : null;
  }

  /** Rewrites a consumer's descriptive fields (state/pool stay as the scripts set them). */
  async update(record: ConsumerRecord): Promise<void> {
    await this.redis.hSet(keys.consumer(record.companyId, record.id), 'json', JSON.stringify(record));
  }

  /** Moves records to new states if the first is in `expected`; false otherwise. */
  async transition(expected: ConsumerState, steps: { key: string; json: string; state: string }[]): Promise<boolean> {
    const reply = await runScript(this.redis, TRANSITION, steps.map((s) => s.key), [expected, ...steps.flatMap((s) => [s.json, s.state])]);
    return reply[0] === 'ok';
  }

  async get<T extends ConsumerRecord = ConsumerRecord>(companyId: string, id: string, kind?: ConsumerKind): Promise<T | null> {
    const rec = stored<T>(await this.redis.hGetAll(keys.consumer(companyId, id)));
    if (!rec || rec.companyId !== companyId || (kind && rec.kind !== kind)) return null;
    return rec;
  }

  async getMany<T extends ConsumerRecord>(companyId: string, ids: string[]): Promise<T[]> {
    const all = await Promise.all(ids.map((id) => this.redis.hGetAll(keys.consumer(companyId, id))));
    return all.map((h) => stored<T>(h)).filter((r): r is T => r !== null);
  }

  /** Lists one kind, newest first, with optional state filter and text search over names/addresses. */
  async list<T extends ConsumerRecord>(companyId: string, kind: ConsumerKind, f: ListFilter): Promise<{ items: T[]; total: number }> {
    const z = keys.consumersByKind(companyId, kind);
    if (!f.state && !f.q) {
      const [total, ids] = await Promise.all([this.redis.zCard(z), this.redis.zRange(z, f.offset, f.offset + f.limit - 1, { REV: true })]);
      return { items: await this.getMany<T>(companyId, ids), total };
    }
    const all = await this.getMany<T>(companyId, await this.redis.zRange(z, 0, -1, { REV: true }));
    const q = f.q?.toLowerCase();
    const matching = all.filter((r) => (!f.state || r.state === f.state) && (!q || searchText(r).includes(q)));
    return { items: matching.slice(f.offset, f.offset + f.limit), total: matching.length };
  }

  async allIds(companyId: string, kind: ConsumerKind): Promise<string[]> {
    return this.redis.zRange(keys.consumersByKind(companyId, kind), 0, -1);
  }

  /** Active consumers of a pool, newest first (the ones to deactivate first when a plan lapses). */
  async newestInPool(companyId: string, pool: LicencePool, count: number): Promise<string[]> {
    return this.redis.zRange(keys.poolMembers(companyId, pool), 0, count - 1, { REV: true });
  }

  async trialIds(companyId: string): Promise<string[]> {
    return this.redis.zRange(keys.trials(companyId), 0, -1);
  }

  async usage(companyId: string): Promise<Partial<Record<LicencePool, number>>> {
    const h = await this.redis.hGetAll(keys.usage(companyId));
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Number(v)]));
  }

  // ---- VMRs -------------------------------------------------------------------------------

  async getVmr(companyId: string, id: string): Promise<VmrRecord | null> {
    return stored<VmrRecord>(await this.redis.hGetAll(keys.vmr(companyId, id)));
  }

  async updateVmr(vmr: VmrRecord): Promise<void> {
    await this.redis.hSet(keys.vmr(vmr.companyId, vmr.id), 'json', JSON.stringify(vmr));
  }

  /** Who owns an address: `{ companyId, kind, id }` or null. */
  async resolveAddress(address: string): Promise<{ companyId: string; kind: string; id: string } | null> {
    const v = await this.redis.get(keys.addressClaim(address.toLowerCase()));
    if (!v) return null;
    const [companyId = '', kind = '', id = ''] = v.split('|');
    return { companyId, kind, id };
  }

  async getVmrByAddress(address: string): Promise<VmrRecord | null> {
    const owner = await this.resolveAddress(address);
    if (!owner || owner.kind !== 'vmr') return null;
    return this.getVmr(owner.companyId, owner.id);
  }

  async getVmrByNumericId(numericId: string): Promise<VmrRecord | null> {
    const v = await this.redis.get(keys.numericIdClaim(numericId));
    if (!v) return null;
    const [companyId = '', , id = ''] = v.split('|');
    return this.getVmr(companyId, id);
  }

  async resolveDomain(domain: string): Promise<{ companyId: string; id: string } | null> {
    const v = await this.redis.get(keys.domainClaim(domain));
    if (!v) return null;
    const [companyId = '', , id = ''] = v.split('|');
    return { companyId, id };
  }
}
