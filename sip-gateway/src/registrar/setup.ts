import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { Clock } from '../../../common/src/index.js';
import type { RedisClient } from '../../../common/src/index.js';
import { type CredentialStore, DigestAuthenticator, RedisReplayGuard } from '../auth/index.js';
import { Registrar } from './registrar.js';
import { type RequestRouter, RegistrarService } from './registrar-service.js';

/** Schema for the `sip.registrar` config block (see the lead's config/default.yaml). */
export const registrarConfigSchema = z
  .strictObject({
    /** Domains we are registrar for; empty means "the stack's hosted domains". */
    domains: z.array(z.string().min(1)).default([]),
    /** Fixed digest realm; unset means each AOR's domain is its realm. */
    realm: z.string().min(1).optional(),
    defaultExpires: z.number().int().positive().default(3600),
    minExpires: z.number().int().min(1).default(60),
    maxExpires: z.number().int().positive().default(7200),
    maxContactsPerAor: z.number().int().positive().default(10),
    sweepIntervalMs: z.number().int().min(100).default(30_000),
    keyPrefix: z.string().default('conv:sip:'),
    auth: z.strictObject({
      /** Same on every node; at least 16 characters. null = the caller supplies one (deps.nonceSecret). */
      nonceSecret: z.string().min(16).nullable().default(null),
      nonceLifetimeSeconds: z.number().int().min(10).default(300),
      algorithms: z
        .array(z.enum(['MD5', 'SHA-256']))
        .min(1)
        .default(['MD5']),
    }),
  })
  .refine((c) => c.minExpires <= c.defaultExpires && c.defaultExpires <= c.maxExpires, {
    message: 'need minExpires <= defaultExpires <= maxExpires',
  });
export type RegistrarConfig = z.infer<typeof registrarConfigSchema>;

export interface RegistrarDeps {
  stack: RequestRouter;
  redis: RedisClient;
  credentialStore: CredentialStore;
  /** Used when the config names no domains (normally the stack's `hostedDomains`). */
  hostedDomains: readonly string[];
  clock: Clock;
  logger: Logger;
  metrics: Registry;
  /** Used when the config leaves nonceSecret null (e.g. one generated once and kept in the store). */
  nonceSecret?: string;
}

/**
 * Builds the authenticator, the Redis registrar and the REGISTER/OPTIONS service, attaches the
 * service to the stack and starts the expiry sweeper. `close()` stops the sweeper (idempotent);
 * the stack itself is stopped by its owner.
 */
export function startRegistrar(rawConfig: unknown, deps: RegistrarDeps): { registrar: Registrar; service: RegistrarService; close(): void } {
  const config = registrarConfigSchema.parse(rawConfig);
  const logger = deps.logger.child({ component: 'registrar' });
  const authenticator = new DigestAuthenticator({
    nonceSecret: resolveNonceSecret(config.auth.nonceSecret, deps.nonceSecret),
    nonceLifetimeMs: config.auth.nonceLifetimeSeconds * 1000,
    algorithms: config.auth.algorithms,
    credentialStore: deps.credentialStore,
    replayGuard: new RedisReplayGuard(deps.redis, config.keyPrefix),
    clock: deps.clock,
    logger,
    metrics: deps.metrics,
  });
  const registrar = new Registrar({
    redis: deps.redis,
    policy: {
      defaultExpires: config.defaultExpires,
      minExpires: config.minExpires,
      maxExpires: config.maxExpires,
      maxContactsPerAor: config.maxContactsPerAor,
    },
    clock: deps.clock,
    logger,
    metrics: deps.metrics,
    keyPrefix: config.keyPrefix,
  });
  const service = new RegistrarService({
    registrar,
    authenticator,
    domains: config.domains.length > 0 ? config.domains : deps.hostedDomains,
    ...(config.realm !== undefined ? { realm: config.realm } : {}),
    clock: deps.clock,
    logger,
  });
  service.attach(deps.stack);
  registrar.startSweeper(config.sweepIntervalMs);
  return { registrar, service, close: () => registrar.close() };
}

function resolveNonceSecret(configured: string | null, supplied: string | undefined): string {
  const secret = configured ?? supplied;
  if (!secret || secret.length < 16) throw new Error('sip.registrar.auth.nonceSecret: set one (16+ characters) or let the service generate it');
  return secret;
}
