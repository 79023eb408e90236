import { z } from 'zod';

/** `admin:` section of the service config. */
export const AdminConfigSchema = z.strictObject({
  /** The service's default calling domain; its subdomains are verified automatically. */
  defaultDomain: z.string().min(3).default('convene.example'),
  /** If set, bootstrap() registers this as the first partner admin's token (≥ 24 chars). */
  bootstrapToken: z.string().min(24).nullable().default(null),
  bootstrapPartnerName: z.string().min(1).default('Service operator'),
  /** If set, bootstrap() registers this as a service-operator token (≥ 24 chars); null: one is generated once. */
  operatorToken: z.string().min(24).nullable().default(null),
  /** Base URL of the web app, for links in emails (invitation accept link). */
  publicBaseUrl: z.string().url().default('http://localhost:8080'),
  /** Sender of admin emails. */
  mailFrom: z.string().default('Convene <no-reply@convene.example>'),
  smtp: z
    .strictObject({ host: z.string(), port: z.number().int(), secure: z.boolean().optional(), user: z.string().optional(), pass: z.string().optional() })
    .nullable()
    .default(null),
  /** SIP registrar address given to endpoints in their provisioning configuration. */
  sipRegistrar: z
    .strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535), transport: z.enum(["udp", "tcp", "tls"]) })
    .default({ host: 'sip.convene.example', port: 5061, transport: 'tls' }),
  domainVerification: z
    .strictObject({
      /** HMAC secret for TXT tokens; null: one is generated and kept in Redis. */
      secret: z.string().min(16).nullable().default(null),
      /** DNS servers (`host:port`) for the Verify lookup; empty = system resolvers. */
      resolverServers: z.array(z.string()).default([]),
    })
    .default({ secret: null, resolverServers: [] }),
  jobs: z
    .strictObject({
      expiryIntervalMs: z.number().int().positive().default(60_000),
      retentionIntervalMs: z.number().int().positive().default(3_600_000),
      invitationIntervalMs: z.number().int().positive().default(3_600_000),
    })
    .default({ expiryIntervalMs: 60_000, retentionIntervalMs: 3_600_000, invitationIntervalMs: 3_600_000 }),
  idempotencyTtlSeconds: z.number().int().positive().default(86_400),
  /** Fewest digits a host or guest PIN may have when it is set (PINs are 4-20 digits; 6+ is advised). */
  minPinLength: z.number().int().min(4).max(20).default(4),
  companyDeletion: z
    .strictObject({
      /** Days a deleted company's orders, plans, consumer and call records stay (read-only) before they are purged. */
      keepRecordsDays: z.number().int().min(1).max(3650).default(365),
    })
    .default({ keepRecordsDays: 365 }),
  /** Audit log of admin writes (a Redis stream): capped by entry count and by age. */
  audit: z
    .strictObject({
      maxEntries: z.number().int().min(100).default(1_000_000),
      retentionDays: z.number().int().min(1).default(400),
    })
    .default({ maxEntries: 1_000_000, retentionDays: 400 }),
  /** Call records (one per participant session, written when it ends). */
  calls: z
    .strictObject({
      /** The node named in call records; null = the hostname. */
      nodeName: z.string().min(1).max(200).nullable().default(null),
      /** A record that cannot be stored (store down) is retried with backoff this long, then logged and dropped. */
      retryForMs: z.number().int().min(1_000).default(3_600_000),
      /** Records waiting to be stored, at most; beyond it the oldest is logged and dropped. */
      maxQueued: z.number().int().min(10).default(100_000),
    })
    .default({ nodeName: null, retryForMs: 3_600_000, maxQueued: 100_000 }),
  /** Event webhooks (meeting and participant events, call records): signed POSTs, retried, in order per meeting. */
  webhooks: z
    .strictObject({
      /** One delivery attempt's time limit. */
      timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
      /** First retry after this; doubles per attempt up to maxBackoffMs. */
      initialBackoffMs: z.number().int().min(10).default(1_000),
      maxBackoffMs: z.number().int().min(10).default(300_000),
      /** An event not delivered within this (from when it happened) is given up and recorded as failed. */
      retryForMs: z.number().int().min(1_000).default(86_400_000),
      /** Deliveries in flight at once on this node (a slow receiver cannot tie up more). */
      maxConcurrentDeliveries: z.number().int().min(1).max(1_000).default(16),
      /** Endpoints per company, and global (operator) endpoints. */
      maxEndpointsPerScope: z.number().int().min(1).max(1_000).default(10),
      /** Undelivered events kept per endpoint; beyond it new events for it are dropped (and counted). */
      maxQueuedPerEndpoint: z.number().int().min(10).default(10_000),
      /** Recent delivery attempts kept per endpoint for the admin API. */
      recentDeliveries: z.number().int().min(1).max(1_000).default(50),
      /**
       * Allow targets on loopback, private, link-local and unique-local addresses. Off: a partner
       * cannot make the service POST into its own network. Tests and a laptop receiver turn it on.
       */
      allowPrivateTargets: z.boolean().default(false),
    })
    .default({
      timeoutMs: 5_000, initialBackoffMs: 1_000, maxBackoffMs: 300_000, retryForMs: 86_400_000, maxConcurrentDeliveries: 16,
      maxEndpointsPerScope: 10, maxQueuedPerEndpoint: 10_000, recentDeliveries: 50, allowPrivateTargets: false,
    }),
  limits: z
    .strictObject({
      participantsPerEul: z.number().int().positive().default(10),
      evaluationConcurrent: z.number().int().positive().default(20),
      /**
       * Call bandwidth (kbps) for browsers and unregistered callers in a company's meetings when the
       * company sets none (its maxCallBandwidthKbps is null). 4000 = the highest a browser can choose.
       */
      defaultMaxCallBandwidthKbps: z.number().int().min(64).max(4000).default(4000),
    })
    .default({ participantsPerEul: 10, evaluationConcurrent: 20, defaultMaxCallBandwidthKbps: 4000 }),
});
export type AdminConfig = z.infer<typeof AdminConfigSchema>;
export type AdminConfigInput = z.input<typeof AdminConfigSchema>;
