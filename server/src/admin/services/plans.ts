import type { AdminContext } from '../context.js';
import { nowIso } from '../context.js';
import { adminError } from '../errors.js';
import { addTerm, planType, type PaymentPlan, type PlanAction, type PlanType } from '../licences/index.js';
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

/**
 * Licence plans (seed 002): order, change quantity, change payment plan, renew, auto-renew on/off,
 * cancel — each only where the plan type offers it (licences/catalog.ts, `actions`).
 */
export class PlanService {
  constructor(private readonly ctx: AdminContext) {}

  async order(p: Principal, company: Company, input: OrderInput): Promise<PlanRecord> {
    const type = planType(input.planType);
    if (!type) throw adminError('bad_request', `unknown plan type ${input.planType}`);
    if (!type.orderable || !type.actions.includes('order')) {
      throw adminError('plan_not_orderable', `${type.product} can only be renewed, not newly ordered`, { planType: type.id });
    }
    // A one-off service (Professional Services) is delivered once: it never renews.
    const autoRenew = type.actions.includes('auto_renew') ? input.autoRenew : false;
    return this.create(p.name, company, { ...input, autoRenew }, 'new_order');
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
      cancelledAt: null,
    };
    await this.write(plan, userName, change, input.reference, true);
    return plan;
  }

  async changeQuantity(p: Principal, plan: PlanRecord, quantity: number, reference: string): Promise<PlanRecord> {
    this.assertAction(plan, quantity > plan.quantity ? 'increase' : 'decrease');
    return this.write({ ...plan, quantity }, p.name, 'quantity_change', reference, true);
  }

  async changePaymentPlan(p: Principal, plan: PlanRecord, paymentPlan: PaymentPlan, reference: string): Promise<PlanRecord> {
    this.assertAction(plan, 'payment_plan');
    return this.write({ ...plan, paymentPlan }, p.name, 'payment_plan_change', reference, true);
  }

  /**
   * Extends the plan by one term from its renewal date (or from now when it already lapsed),
   * optionally with a new quantity where the type allows it (ERC Basic: the same or lower).
   */
  async renew(p: Principal, plan: PlanRecord, reference: string, quantity?: number): Promise<PlanRecord> {
    const type = this.assertAction(plan, 'renew');
    const q = quantity ?? plan.quantity;
    if (q > plan.quantity && type.renewalQuantity === 'same_or_lower') {
      throw adminError('quantity_increase_not_allowed', `${type.product} is renewal-only: its quantity may stay at ${plan.quantity} or go down, not up`, { planType: type.id, quantity: plan.quantity, requested: q });
    }
    if (q !== plan.quantity && type.renewalQuantity === 'same') {
      throw adminError('plan_action_not_allowed', `${type.product} has no licence quantity to change at renewal`, { action: 'renew', planType: type.id, allowed: [...type.actions] });
    }
    const from = Math.max(Date.parse(plan.renewalDate), this.ctx.clock.now());
    const renewed: PlanRecord = { ...plan, quantity: q, status: 'active', renewalDate: new Date(addTerm(from, plan.paymentPlan)).toISOString() };
    return this.write(renewed, p.name, 'renewal', reference, true);
  }

  /**
   * Auto-renew off lets the plan lapse at its renewal date: the Lua licence check stops counting
   * it then, and the expiry job ends it and deactivates the consumers it no longer covers. On
   * again (before that date) it keeps renewing. Never lowers today's capacity, so no usage check.
   */
  async setAutoRenew(p: Principal, plan: PlanRecord, autoRenew: boolean, reference: string): Promise<PlanRecord> {
    this.assertAction(plan, 'auto_renew');
    if (plan.autoRenew === autoRenew) return plan;
    return this.write({ ...plan, autoRenew }, p.name, autoRenew ? 'auto_renew_on' : 'auto_renew_off', reference, false);
  }

  /**
   * Cancels per the plan's terms: the term already paid for (its payment plan: month, quarter,
   * year, three years) runs to its end — the plan stops renewing and ends at its renewal date.
   * Unlike auto-renew off this is final: a cancelled plan can't be changed, renewed or resumed.
   */
  async cancel(p: Principal, plan: PlanRecord, reference: string): Promise<PlanRecord> {
    this.assertAction(plan, 'cancel');
    return this.write({ ...plan, autoRenew: false, cancelledAt: nowIso(this.ctx) }, p.name, 'cancellation', reference, false);
  }

  /** Ends every running plan of a deleted company now (no usage check: its consumers are retired). */
  async endForDeletedCompany(userName: string, companyId: string): Promise<number> {
    let ended = 0;
    for (const plan of await this.ctx.plans.list(companyId)) {
      if (plan.status !== 'active') continue;
      await this.write({ ...plan, status: 'expired', autoRenew: false, cancelledAt: plan.cancelledAt ?? nowIso(this.ctx) }, userName, 'company_deleted', 'company deleted', false);
      ended++;
    }
    return ended;
  }

  /**
   * The actions a plan offers now: its type's actions (seed 002) while it runs; only renewal once
   * it lapsed or expired; none once cancelled. `order` is a plan-type action, not a plan's.
   */
  allowedActions(plan: PlanRecord): PlanAction[] {
    const type = planType(plan.planType);
    if (!type || plan.cancelledAt) return [];
    const actions = type.actions.filter((a) => a !== 'order');
    return this.lapsed(plan) ? actions.filter((a) => a === 'renew') : actions;
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

  private lapsed(plan: PlanRecord): boolean {
    return plan.status !== 'active' || (!plan.autoRenew && Date.parse(plan.renewalDate) <= this.ctx.clock.now());
  }

  /** Refuses an action the plan's type does not offer, on a cancelled plan, or (except renewal) on a lapsed one. */
  private assertAction(plan: PlanRecord, action: PlanAction): PlanType {
    const type = planType(plan.planType);
    if (!type) throw adminError('bad_request', `unknown plan type ${plan.planType}`);
    if (plan.cancelledAt) {
      throw adminError('plan_cancelled', `the plan was cancelled on ${plan.cancelledAt.slice(0, 10)}; it ends ${plan.renewalDate.slice(0, 10)}`, { cancelledAt: plan.cancelledAt, endsAt: plan.renewalDate });
    }
    if (!type.actions.includes(action)) {
      if (action === 'increase' && type.renewalQuantity === 'same_or_lower') {
        throw adminError('quantity_increase_not_allowed', `${type.product} is renewal-only: its quantity can never go up`, { planType: type.id, quantity: plan.quantity });
      }
      throw adminError('plan_action_not_allowed', `${type.product} does not offer "${action}" (it offers: ${type.actions.join(', ')})`, { action, planType: type.id, allowed: [...type.actions] });
    }
    if (action !== 'renew' && this.lapsed(plan)) throw adminError('plan_expired', 'the plan has expired; renew it or order a replacement');
    return type;
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
