import { DomainError, defineErrorCodes } from '../errors.js';

/** Machine codes of the administration API (their HTTP statuses are the API contract). */
export const AdminErrors = defineErrorCodes({
  invalid_address: { http: 400, description: 'The address breaks the URI rules (details.reason says which).' },
  address_taken: { http: 409, description: 'The address (or a member VMR address derived from it) is already in use.' },
  domain_not_hosted: { http: 400, description: 'The domain is neither the default domain nor one of the company calling domains.' },
  domain_not_verified: { http: 409, description: 'The calling domain is not verified yet; consumers cannot use it.' },
  domain_in_use: { http: 409, description: 'Consumers still use this calling domain.' },
  no_licence_available: { http: 409, description: 'No available licence of the required type (details.pool).' },
  plan_not_orderable: { http: 409, description: 'This plan type cannot be newly ordered (e.g. ERC Basic is renewal-only).' },
  plan_expired: { http: 409, description: 'The licence plan has expired; order a replacement instead.' },
  plan_action_not_allowed: { http: 409, description: 'This plan type does not offer this action (details.action; details.allowed lists what it offers).' },
  quantity_increase_not_allowed: { http: 409, description: 'This plan is renewal-only (ERC Basic): its quantity may stay or go down at renewal, never up.' },
  plan_cancelled: { http: 409, description: 'The plan was cancelled: it ends at its renewal date and can no longer be changed or renewed.' },
  field_removed: { http: 400, description: 'The request uses a field that no longer exists (details.field; the message says what replaced it).' },
  company_deleted: { http: 409, description: 'The company was deleted; its records are kept read-only until details.recordsKeptUntil.' },
  quantity_below_usage: { http: 409, description: 'The change would leave fewer licences than active consumers use.' },
  byoc_exceeds_endpoints: { http: 409, description: 'BYOC licences may not exceed Endpoint licences (1 per endpoint licence).' },
  consumer_not_inactive: { http: 409, description: 'Only an inactive consumer can be reactivated.' },
  invitation_invalid: { http: 404, description: 'The invitation token is unknown, used or expired.' },
  idempotency_key_reused: { http: 422, description: 'The Idempotency-Key was already used for a different request.' },
  idempotency_in_progress: { http: 409, description: 'A request with this Idempotency-Key is still being processed.' },
  number_taken: { http: 409, description: 'This dial-in number already exists (it has an owner).' },
  webhook_limit: { http: 409, description: 'This company (or the global scope) already has the most webhook endpoints allowed (details.max).' },
  webhook_target_refused: { http: 400, description: 'The webhook URL is not an http(s) URL the service may call (details.reason: e.g. a private address).' },
  feature_unavailable: { http: 501, description: 'This action is not available in this build.' },
});

export type AdminErrorCode = keyof typeof AdminErrors;

/** A DomainError whose code is one of ours or a core code; typed so typos do not compile. */
export function adminError(
  code: AdminErrorCode | 'bad_request' | 'forbidden' | 'not_found' | 'unauthorized' | 'conflict',
  message: string,
  details?: Record<string, unknown>,
): DomainError {
  return new DomainError(code, message, details);
}
