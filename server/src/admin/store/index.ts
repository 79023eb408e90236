export { keys } from './keys.js';
export { ConsumerRepository, type Claim, type CreateConsumerInput, type ListFilter } from './consumers.js';
export { PlanRepository, licenceEntry, type OrderQuery } from './plans.js';
export { OrgRepository } from './orgs.js';
export { CdrRepository } from './cdrs.js';
export { IdempotencyStore, type IdempotencyBegin } from './idempotency.js';
export { newId, newNumericId } from './ids.js';
export { runScript } from './scripts.js';
export { DialInRepository, type DialInWrite } from './dialins.js';
