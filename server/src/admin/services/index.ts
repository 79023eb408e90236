import type { AdminContext } from '../context.js';
import { CompanyService } from './companies.js';
import { ConsumerService } from './consumers.js';
import { MemberService } from './members.js';
import { PlanService } from './plans.js';
import { CompanyDeletion } from './deletion.js';

export interface AdminServices {
  companies: CompanyService;
  plans: PlanService;
  consumers: ConsumerService;
  members: MemberService;
  deletion: CompanyDeletion;
}

export function createServices(ctx: AdminContext): AdminServices {
  const plans = new PlanService(ctx);
  const consumers = new ConsumerService(ctx);
  return {
    companies: new CompanyService(ctx),
    plans,
    consumers,
    members: new MemberService(ctx),
    deletion: new CompanyDeletion(ctx, consumers, plans),
  };
}

export { CompanyService, type CompanyInput, type LicenceSummaryRow } from './companies.js';
export { PlanService, toCsv, type OrderInput } from './plans.js';
export { ConsumerService, type BatchItemResult } from './consumers.js';
export { MemberService, type InviteInput, type PendingInvitation } from './members.js';
export { vmrView, applyVmrSettings, type VmrSettingsPatch } from './vmrs.js';
export { SYSTEM_USER } from './common.js';
export { CompanyDeletion, type CompanyDeletionResult } from './deletion.js';
