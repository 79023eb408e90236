/**
 * Partner and company administration (SPEC §2, §6; seeds 001/002): licences, orders, consumers,
 * calling domains, invitations, handouts — REST API under /api/v1 and the read API (`repos`)
 * that meetings and the gateway use.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../../../common/src/index.js';
import type { RedisClient } from '../store/index.js';
import { AuditLog } from './audit/index.js';
import { TokenService, sha256Hex } from './auth/index.js';
import { AdminConfigSchema, type AdminConfig, type AdminConfigInput } from './config.js';
import type { AdminContext, HostLinkMinter } from './context.js';
import { createDomainVerifier, type DomainVerifier } from './domains/index.js';
import { createMailer, type Mailer } from './email/index.js';
import { registrarFor, type SipListener } from './provisioning/index.js';
import { adminError } from './errors.js';
import { API_PREFIX, RouteRegistrar } from './http/route.js';
import { OpenApiBuilder } from './http/openapi.js';
import { InvitationJob, type InvitationTickReport } from './invitations/index.js';
import { runExpiryPass, type ExpiryReport } from './jobs/expiry.js';
import { PeriodicJob } from './jobs/periodic.js';
import { runRetentionPass, type RetentionReport } from './jobs/retention.js';
import { createAdminMetrics } from './metrics.js';
import type { ConsumerKind, ConsumerState } from './model.js';
import { createRepos, type AdminRepos } from './repos.js';
import { companyRoutes } from './routes/companies.js';
import { consumerRoutes } from './routes/consumers.js';
import { memberRoutes } from './routes/members.js';
import { auditRoutes } from './routes/audit.js';
import { serviceRoutes } from './routes/service.js';
import { createServices, type AdminServices, type PendingInvitation } from './services/index.js';
import { callRoutes } from './routes/calls.js';
import { webhookRoutes } from './routes/webhooks.js';
import { CallRecorder } from './calls/index.js';
import { WebhookDispatcher, WebhookStore, webhookEventsFrom } from './webhooks/index.js';
import type { Emitter } from '../../../common/src/index.js';
import type { MeetingLifecycleEvents } from '../meetings/events.js';
import { CdrRepository, ConsumerRepository, DialInRepository, IdempotencyStore, OrgRepository, PlanRepository, keys, newId } from './store/index.js';

export interface AdminDeps {
  redis: RedisClient;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  config: AdminConfigInput;
  /** Optional overrides (tests, or a composition root that shares one mailer). */
  mailer?: Mailer;
  /** Signs members' "start my meeting" links; without it that route answers feature_unavailable. */
  hostLinks?: HostLinkMinter;
}

export interface BootstrapResult {
  /** True on the very first start, when the operator partner was created. */
  created: boolean;
  partnerId: string;
  /** The partner admin token — returned once, on creation; null afterwards. */
  token: string | null;
  /** The generated service-operator token — returned once; null afterwards or when configured. */
  operatorToken: string | null;
}

export interface Admin {
  /** Registers /api/v1/* and /api/docs. The caller installs installErrorHandler(app) once. */
  registerRoutes(app: FastifyInstance): void;
  /** Must be awaited before serving: loads secrets, creates the operator partner and its token on first start. */
  bootstrap(): Promise<BootstrapResult>;
  startJobs(): void;
  stopJobs(): void;
  /** Stops jobs and closes the SMTP transport (if any). Safe to call twice. */
  close(): void;
  repos: AdminRepos;
  services: AdminServices;
  jobs: {
    runExpiry(): Promise<ExpiryReport>;
    runRetention(): Promise<RetentionReport>;
    runInvitations(): Promise<InvitationTickReport>;
    /** Ages out audit entries of every stream (also of partners that wrote nothing lately); returns entries removed. */
    runAuditRetention(): Promise<number>;
    /** Resolves when no scheduled pass is running (tests after clock.advance()). */
    idle(): Promise<void>;
  };
  config: AdminConfig;
  /** The OpenAPI document (also served at /api/docs). */
  openApi(): Record<string, unknown>;
  /** The SIP listeners the service bound: endpoint provisioning only names one of these. */
  setSipListeners(listeners: SipListener[]): void;
  /**
   * Call records and webhooks follow the meetings' lifecycle events from here on. Returns a
   * function that stops following.
   */
  observeMeetings(lifecycle: Emitter<MeetingLifecycleEvents>): () => void;
  /** Writes one call record per ended participant session (queued, retried). */
  calls: CallRecorder;
  webhooks: WebhookDispatcher;
  /** Waits (at most `timeoutMs`) until ended sessions' records are stored and events queued: shutdown, after the meetings ended. */
  flush(timeoutMs: number): Promise<void>;
}

export function createAdmin(deps: AdminDeps): Admin {
  const config = AdminConfigSchema.parse(deps.config);
  config.defaultDomain = config.defaultDomain.toLowerCase();
  const { redis, clock } = deps;
  const logger = deps.logger.child({ subsystem: 'admin' });
  const orgs = new OrgRepository(redis);
  const consumers = new ConsumerRepository(redis);

  // The verifier needs a secret that survives restarts; without config it lives in Redis, so it is set up in bootstrap().
  let verifier: DomainVerifier | undefined;
  const lazyVerifier: DomainVerifier = {
    verificationToken: (c, d) => ready().verificationToken(c, d),
    verificationRecord: (c, d) => ready().verificationRecord(c, d),
    verify: (d, t) => ready().verify(d, t),
    microsoft365Evidence: (d) => ready().microsoft365Evidence(d),
  };
  const ready = (): DomainVerifier => {
    if (!verifier) throw adminError('feature_unavailable', 'admin not bootstrapped yet');
    return verifier;
  };

  const ownMailer = deps.mailer ? null : createMailer({ smtp: config.smtp, redis, from: config.mailFrom, logger, clock });
  const mailer: Mailer = deps.mailer ?? (ownMailer as Mailer);
  const outboxEnabled = !deps.mailer && !config.smtp;

  const metrics = createAdminMetrics(deps.registry, async () => {
    const counts = new Map<`${ConsumerKind}|${ConsumerState}`, number>();
    for (const companyId of await orgs.allCompanyIds()) {
      for (const kind of ['user', 'team_vmr', 'endpoint', 'domain'] as const) {
        for (const rec of await consumers.getMany(companyId, await consumers.allIds(companyId, kind))) {
          const k = `${kind}|${rec.state}` as const;
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
      }
    }
    return counts;
  });

  const ctx: AdminContext = {
    redis,
    clock,
    logger,
    config,
    metrics,
    orgs,
    consumers,
    plans: new PlanRepository(redis),
    cdrs: new CdrRepository(redis),
    dialIns: new DialInRepository(redis),
    audit: new AuditLog(redis, clock, logger.child({ component: 'audit' }), config.audit, (outcome) => metrics.auditEntries.inc({ outcome })),
    idempotency: new IdempotencyStore(redis, config.idempotencyTtlSeconds),
    tokens: new TokenService(orgs, clock),
    verifier: lazyVerifier,
    mailer,
    hostLinks: deps.hostLinks ?? null,
    sipListeners: { current: null },
  };
  const services = createServices(ctx);
  const repos = createRepos(ctx, services.companies);

  // Call records: one per participant session, written when it ends.
  const calls = new CallRecorder({
    write: (cdr) => repos.writeCdr(cdr),
    vmrOwner: async (companyId, vmrId) => {
      const owner = (await consumers.getVmr(companyId, vmrId))?.owner;
      return owner?.kind === 'member' ? owner.memberId : null;
    },
    endpointAt: async (companyId, address) => {
      const ep = await repos.getEndpointByAddress(address);
      return ep && ep.companyId === companyId ? ep.id : null;
    },
    clock,
    logger: logger.child({ component: 'calls' }),
    registry: deps.registry,
    config: config.calls,
  });
  // Webhooks: the company's endpoints and the global ones.
  const webhookStore = new WebhookStore(redis);
  const webhooks = new WebhookDispatcher({
    store: webhookStore,
    endpointsFor: async (companyId) => [...(await webhookStore.list(companyId)), ...(await webhookStore.list(null))],
    clock,
    logger: logger.child({ component: 'webhooks' }),
    registry: deps.registry,
    config: config.webhooks,
  });
  const openapi = new OpenApiBuilder(API_PREFIX);

  const expiryJob = new PeriodicJob('expiry', clock, config.jobs.expiryIntervalMs, async () => void (await runExpiryPass(ctx, services.plans, services.consumers, services.deletion)), logger, metrics);
  // Retention: call-record anonymising/removal, then purging deleted companies whose records' time is up.
  const retentionPass = async (): Promise<RetentionReport> => ({ ...(await runRetentionPass(ctx)), companiesPurged: await services.deletion.purgeExpired() });
  const retentionJob = new PeriodicJob('retention', clock, config.jobs.retentionIntervalMs, async () => void (await retentionPass()), logger, metrics);
  const runAuditRetention = async () => ctx.audit.trimAged((await orgs.listPartners()).map((p) => p.id));
  const auditJob = new PeriodicJob('audit-retention', clock, config.jobs.retentionIntervalMs, async () => void (await runAuditRetention()), logger, metrics);
  const invitationJob = new InvitationJob<PendingInvitation>({
    clock,
    intervalMs: config.jobs.invitationIntervalMs,
    listPending: () => services.members.listPending(),
    resend: (inv, which) => services.members.resend(inv, which),
    expire: (inv) => services.members.expire(inv),
    logger,
    registry: deps.registry,
  });
  invitationJob.on('tick', () => metrics.jobRuns.inc({ job: 'invitations', outcome: 'ok' }));

  /** The operator partner (the service's own partner) and its first partner-admin token. */
  const bootstrapOperatorPartner = async (): Promise<Omit<BootstrapResult, 'operatorToken'>> => {
    const existing = await orgs.operatorPartnerId();
    if (existing) {
      // A configured token is (re)registered so an operator can set it after the first start too.
      if (config.bootstrapToken && !(await orgs.getToken(sha256Hex(config.bootstrapToken)))) {
        await ctx.tokens.issue({ role: 'partner_admin', name: 'bootstrap admin', partnerId: existing }, config.bootstrapToken);
        logger.info({ partnerId: existing }, 'configured bootstrap token registered');
      }
      return { created: false, partnerId: existing, token: null };
    }
    const partner = { id: newId('pa'), name: config.bootstrapPartnerName, createdAt: new Date(clock.now()).toISOString() };
    if (!(await orgs.createOperatorPartner(partner))) {
      // Another node won the race; use its partner.
      return { created: false, partnerId: (await orgs.operatorPartnerId()) ?? '', token: null };
    }
    const issued = config.bootstrapToken
      ? await ctx.tokens.issue({ role: 'partner_admin', name: 'bootstrap admin', partnerId: partner.id }, config.bootstrapToken)
      : await ctx.tokens.issue({ role: 'partner_admin', name: 'bootstrap admin', partnerId: partner.id });
    logger.info({ partnerId: partner.id }, 'operator partner and bootstrap admin token created');
    return { created: true, partnerId: partner.id, token: issued.token };
  };

  /**
   * The service-operator token (role `operator`, above partners). A configured one is registered
   * on every start; otherwise one is generated once (also on an upgraded store) and returned to be shown.
   */
  const bootstrapOperatorToken = async (partnerId: string): Promise<string | null> => {
    const issue = (secret?: string) => ctx.tokens.issue({ role: 'operator', name: 'service operator', partnerId }, secret);
    if (config.operatorToken) {
      if (!(await orgs.getToken(sha256Hex(config.operatorToken)))) {
        await issue(config.operatorToken);
        logger.info('configured operator token registered');
      }
      return null;
    }
    if ((await redis.set(keys.operatorTokenIssued(), new Date(clock.now()).toISOString(), { NX: true })) !== 'OK') return null;
    const { token } = await issue();
    logger.info('service operator token created');
    return token;
  };

  return {
    config,
    services,
    repos,
    registerRoutes(app) {
      const r = new RouteRegistrar(app, ctx.tokens, ctx.idempotency, openapi, ctx.audit, () => clock.now());
      companyRoutes(r, ctx, services);
      consumerRoutes(r, ctx, services);
      memberRoutes(r, ctx, services);
      serviceRoutes(r, ctx, outboxEnabled);
      auditRoutes(r, ctx);
      callRoutes(r, ctx);
      webhookRoutes(r, ctx, webhookStore);
      app.get('/api/docs', async () => openapi.document());
    },
    async bootstrap() {
      let secret = config.domainVerification.secret;
      if (!secret) {
        await redis.set(keys.domainSecret(), randomBytes(32).toString('hex'), { NX: true });
        secret = await redis.get(keys.domainSecret());
        if (!secret) throw new Error('could not load the domain verification secret');
      }
      verifier = createDomainVerifier({ secret, resolverServers: config.domainVerification.resolverServers });

      const partner = await bootstrapOperatorPartner();
      const operatorToken = await bootstrapOperatorToken(partner.partnerId);
      return { ...partner, operatorToken };
    },
    startJobs() {
      expiryJob.start();
      retentionJob.start();
      auditJob.start();
      invitationJob.start();
      webhooks.start().catch((err: unknown) => logger.error({ err }, 'could not resume pending webhook deliveries'));
    },
    stopJobs() {
      expiryJob.stop();
      retentionJob.stop();
      auditJob.stop();
      invitationJob.stop();
    },
    close() {
      expiryJob.stop();
      retentionJob.stop();
      auditJob.stop();
      invitationJob.stop();
      webhooks.close();
      calls.close();
      ownMailer?.close();
    },
    calls,
    webhooks,
    observeMeetings(lifecycle) {
      const offRecords = lifecycle.on('participantLeft', (p, reason, leftAt) => calls.record(p, reason, leftAt));
      const offEvents = webhookEventsFrom(lifecycle, calls.events, (e) => webhooks.publish(e), () => clock.now());
      return () => {
        offRecords();
        offEvents();
      };
    },
    async flush(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([(async () => {
        await calls.idle();
        await webhooks.queued();
      })(), timeout]);
      clearTimeout(timer);
    },
    jobs: {
      runExpiry: () => runExpiryPass(ctx, services.plans, services.consumers, services.deletion),
      runRetention: () => retentionPass(),
      runInvitations: () => invitationJob.runOnce(),
      runAuditRetention,
      async idle() {
        await Promise.all([expiryJob.idle(), retentionJob.idle(), invitationJob.idle(), auditJob.idle()]);
      },
    },
    openApi: () => openapi.document(),
    setSipListeners(listeners) {
      ctx.sipListeners.current = listeners;
      const registrar = registrarFor(config.sipRegistrar, listeners);
      if (!registrar) logger.warn('no SIP listener: endpoints cannot be provisioned');
      else if (registrar.transport !== config.sipRegistrar.transport || registrar.port !== config.sipRegistrar.port) {
        logger.warn({ configured: config.sipRegistrar, provisioned: registrar }, 'admin.sipRegistrar names no bound SIP listener: endpoints are provisioned with an existing one instead');
      }
    },
  };
}

export { AdminConfigSchema, type AdminConfig, type AdminConfigInput } from './config.js';
export { AdminErrors, type AdminErrorCode } from './errors.js';
export type { AdminRepos, AddressOwner } from './repos.js';
export type { CompanyLimits } from './licences/index.js';
export type {
  CallDetailRecord,
  Company,
  EndpointRecord,
  MemberRecord,
  Principal,
  Role,
  TeamVmrRecord,
  VmrRecord,
  DialInNumber,
} from './model.js';
export { hashPin, verifyPin } from './pins.js';
