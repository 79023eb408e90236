import type { Logger } from 'pino';
import type { Clock } from '../../../common/src/index.js';
import type { RedisClient } from '../store/index.js';
import type { AdminConfig } from './config.js';
import type { DomainVerifier } from './domains/index.js';
import type { Mailer } from './email/index.js';
import type { AdminMetrics } from './metrics.js';
import type { AuditLog } from './audit/index.js';
import type { CdrRepository, ConsumerRepository, DialInRepository, IdempotencyStore, OrgRepository, PlanRepository } from './store/index.js';
import type { TokenService } from './auth/index.js';
import type { SipListener } from './provisioning/index.js';

/** Mints "start my meeting" links (the meetings' HostLinks); absent when the node has none. */
export interface HostLinkMinter {
  mint(claims: { vmrId: string; companyId: string; memberId: string }): { token: string; expiresAt: string };
}

/** Everything the admin services share; built once by createAdmin(). */
export interface AdminContext {
  redis: RedisClient;
  clock: Clock;
  logger: Logger;
  config: AdminConfig;
  metrics: AdminMetrics;
  orgs: OrgRepository;
  consumers: ConsumerRepository;
  plans: PlanRepository;
  cdrs: CdrRepository;
  dialIns: DialInRepository;
  audit: AuditLog;
  idempotency: IdempotencyStore;
  tokens: TokenService;
  verifier: DomainVerifier;
  mailer: Mailer;
  hostLinks: HostLinkMinter | null;
  /** The SIP listeners actually bound (set by the service after the SIP stack starts); null = not known. */
  sipListeners: { current: SipListener[] | null };
}

export function nowIso(ctx: { clock: Clock }): string {
  return new Date(ctx.clock.now()).toISOString();
}
