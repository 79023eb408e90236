import type { RedisClient } from '../../store/index.js';
import { adminError } from '../errors.js';
import { UNLIMITED, planType, poolProduct, sumCapacity, type LicencePool } from '../licences/index.js';
import type { OrderEvent, PlanRecord } from '../model.js';
import { keys } from './keys.js';
import { WRITE_PLAN, runScript } from './scripts.js';

/** What the Lua licence check reads per plan. */
interface LicenceEntry {
  pools: Partial<Record<LicencePool, number>>;
  /** Epoch ms after which the plan no longer counts; auto-renewing plans never lapse by date. */
  expiresAt: number;
  status: 'active' | 'expired';
}

const NEVER = 8.64e15;

export function licenceEntry(plan: PlanRecord): LicenceEntry {
  const type = planType(plan.planType);
  return {
    pools: type ? type.provides(plan.quantity) : {},
    expiresAt: plan.autoRenew ? NEVER : Date.parse(plan.renewalDate),
    status: plan.status,
  };
}

export interface OrderQuery {
  q?: string | undefined;
  sku?: string | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
}

/** Licence plans and order history. */
export class PlanRepository {
  constructor(private readonly redis: RedisClient) {}

  /**
   * Stores a plan and its order event atomically. With `checkUsage`, refuses a change that would
   * leave fewer licences than consumers use, or more BYOC than Endpoint licences.
   */
  async write(plan: PlanRecord, event: OrderEvent, now: number, checkUsage: boolean): Promise<void> {
    const c = plan.companyId;
    const reply = await runScript(
      this.redis,
      WRITE_PLAN,
      [keys.licences(c), keys.usage(c), keys.plan(c, plan.id), keys.plans(c), keys.order(c, event.id), keys.orders(c)],
      [
        plan.id,
        JSON.stringify(licenceEntry(plan)),
        JSON.stringify(plan),
        String(now),
        event.id,
        JSON.stringify(event),
        String(Date.parse(plan.createdAt)),
        String(Date.parse(event.at)),
        checkUsage ? '1' : '0',
      ],
    );
    if (reply[0] === 'ok') return;
    if (reply[0] === 'byoc_exceeds') {
      throw adminError('byoc_exceeds_endpoints', `BYOC Licenses (${reply[1]}) may not exceed Endpoint Licenses (${reply[2]}): order more Endpoint Licenses first, or fewer BYOC Licenses`, {
        byoc: Number(reply[1]),
        endpoints: Number(reply[2]),
      });
    }
    throw adminError('quantity_below_usage', `${poolProduct(reply[1] ?? '')} would drop to ${reply[2]} but ${reply[3]} are in use: delete or deactivate consumers first, or choose a quantity of at least ${reply[3]}`, {
      pool: reply[1],
      product: poolProduct(reply[1] ?? ''),
      capacity: Number(reply[2]),
      used: Number(reply[3]),
    });
  }

  async get(companyId: string, id: string): Promise<PlanRecord | null> {
    const v = await this.redis.get(keys.plan(companyId, id));
    return v ? (JSON.parse(v) as PlanRecord) : null;
  }

  async list(companyId: string): Promise<PlanRecord[]> {
    const ids = await this.redis.zRange(keys.plans(companyId), 0, -1);
    if (ids.length === 0) return [];
    const vals = await this.redis.mGet(ids.map((id) => keys.plan(companyId, id)));
    return vals.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as PlanRecord);
  }

  /** Capacity per pool from plans that count at `now` (-1 = unlimited). */
  async capacity(companyId: string, now: number): Promise<Partial<Record<LicencePool, number>>> {
    const entries = Object.values(await this.redis.hGetAll(keys.licences(companyId))).map((v) => JSON.parse(v) as LicenceEntry);
    return sumCapacity(entries.filter((e) => e.status === 'active' && e.expiresAt > now));
  }

  /** Order history, newest first, filtered by date range, SKU and free text. */
  async orders(companyId: string, query: OrderQuery): Promise<OrderEvent[]> {
    const ids = await this.redis.zRangeByScore(keys.orders(companyId), query.fromMs ?? '-inf', query.toMs ?? '+inf');
    if (ids.length === 0) return [];
    const vals = await this.redis.mGet(ids.map((id) => keys.order(companyId, id)));
    const q = query.q?.toLowerCase();
    return vals
      .filter((v): v is string => v !== null)
      .map((v) => JSON.parse(v) as OrderEvent)
      .filter((e) => !query.sku || e.sku.toLowerCase() === query.sku.toLowerCase())
      .filter((e) => !q || [e.user, e.sku, e.product, e.paymentPlan, e.reference, e.change].join('\n').toLowerCase().includes(q))
      .sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id));
  }

  /** Stores a System order event that is not tied to a plan change (trial ended, consumers deactivated). */
  async addEvent(event: OrderEvent): Promise<void> {
    await this.redis
      .multi()
      .set(keys.order(event.companyId, event.id), JSON.stringify(event))
      .zAdd(keys.orders(event.companyId), { score: Date.parse(event.at), value: event.id })
      .exec();
  }
}

export { UNLIMITED };
