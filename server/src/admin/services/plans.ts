import type { AdminContext } from '../context.js';
import { nowIso } from '../context.js';
import { adminError } from '../errors.js';
import { addTerm, planType, type PaymentPlan } from '../licences/index.js';
import type { Company, OrderChange, PlanRecord, Principal } from '../model.js';
import { newId } from '../store/index.js';
import { orderEvent } from './common.js';
import { DomainError } from '../../errors.js';

export interface OrderInput {
  planType: string;
  quantity: number;
  pricePerLicenceCents: number;
  currency: string;
  paymentPlan: PaymentPlan;
  startDate?: string | undefined;
  autoRenew: boolean;
  costCenter: string;
  references: string;
  /** Order reference shown in the order history. */
  reference: string;
}

/** Licence plans (seed 002): order, change quantity, change payment plan, renew. */
export class PlanService {
  constructor(private readonly ctx: AdminContext) {}

  async order(p: Principal, company: Company, input: OrderInput): Promise<PlanRecord> {
    const type = planType(input.planType);
    if (!type) throw adminError('bad_request', `unknown plan type ${input.planType}`);
    if (!type.orderable) {
      throw adminError('plan_not_orderable', `${type.product} can only be renewed, not newly ordered`, { planType: type.id });
    }
    return this.create(p.name, company, input, 'new_order');
  }

  /**
   * Records a plan that exists outside this system (e.g. an existing ERC Basic customer being
   * migrated). Not exposed as an order: it bypasses the orderable check on purpose.
   */
  async importExisting(userName: string, company: Company, input: OrderInput): Promise<PlanRecord> {
    if (!planType(input.planType)) throw adminError('bad_request', `unknown plan type ${input.planType}`);
    return this.create(userName, company, input, 'new_order');
  }

  private async create(userName: string, company: Company, input: OrderInput, change: OrderChange): Promise<PlanRecord> {
    const type = planType(input.planType);
    if (!type) throw adminError('bad_request', `unknown plan type ${input.planType}`);
    const start = input.startDate ? Date.parse(input.startDate) : this.ctx.clock.now();
    const plan: PlanRecord = {
      id: newId('pl'),
      companyId: company.id,
      planType: type.id,
      sku: type.sku,
      product: type.product,
      quantity: input.quantity,
      pricePerLicenceCents: input.pricePerLicenceCents,
      currency: input.currency,
      paymentPlan: input.paymentPlan,
      startDate: new Date(start).toISOString(),
      renewalDate: new Date(addTerm(start, input.paymentPlan)).toISOString(),
      autoRenew: input.autoRenew,
      costCenter: input.costCenter,
      references: input.references,
      status: 'active',
      createdAt: nowIso(this.ctx),
    };
    await this.write(plan, userName, change, input.reference, true);
    return plan;
  }

  async changeQuantity(p: Principal, plan: PlanRecord, quantity: number, reference: string): Promise<PlanRecord> {
    this.assertActive(plan);
    return this.write({ ...plan, quantity }, p.name, 'quantity_change', reference, true);
  }

  async changePaymentPlan(p: Principal, plan: PlanRecord, paymentPlan: PaymentPlan, reference: string): Promise<PlanRecord> {
    this.assertActive(plan);
    return this.write({ ...plan, paymentPlan }, p.name, 'payment_plan_change', reference, true);
  }

  /** Extends the plan by one term from its renewal date (or from now when it already lapsed). */
  async renew(p: Principal, plan: PlanRecord, reference: string): Promise<PlanRecord> {
    const from = Math.max(Date.parse(plan.renewalDate), this.ctx.clock.now());
    const renewed: PlanRecord = { ...plan, status: 'active', renewalDate: new Date(addTerm(from, plan.paymentPlan)).toISOString() };
    return this.write(renewed, p.name, 'renewal', reference, true);
  }

  async write(plan: PlanRecord, user: string, change: OrderChange, reference: string, checkUsage: boolean): Promise<PlanRecord> {
    const event = orderEvent(this.ctx, {
      companyId: plan.companyId,
      planId: plan.id,
      user,
      sku: plan.sku,
      product: plan.product,
      paymentPlan: plan.paymentPlan,
      reference,
      change,
      newQuantity: plan.status === 'expired' ? 0 : plan.quantity,
    });
    try {
      await this.ctx.plans.write(plan, event, this.ctx.clock.now(), checkUsage);
    } catch (err) {
      if (err instanceof DomainError) this.ctx.metrics.licenceRefusals.inc({ reason: err.code, pool: String(err.details?.pool ?? 'byoc') });
      throw err;
    }
    return plan;
  }

  private assertActive(plan: PlanRecord): void {
    const lapsed = !plan.autoRenew && Date.parse(plan.renewalDate) <= this.ctx.clock.now();
    if (plan.status !== 'active' || lapsed) {
      throw adminError('plan_expired', 'the plan has expired; renew it or order a replacement');
    }
  }
}

/** RFC 4180 CSV: every field quoted, quotes doubled, CRLF line ends; formula-leading cells defused. */
export function toCsv(header: string[], rows: (string | number)[][]): string {
  const cell = (v: string | number): string => {
    let s = String(v);
    // Spreadsheet formula injection: a cell starting with = + - @ is prefixed with '.
    if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return `"${s.replace(/"/g, '""')}"`;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}
