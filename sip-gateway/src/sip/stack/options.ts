/**
 * Stack options and the zod schema for the `sip:` block of the service config (file paths for
 * TLS are read by `stackOptionsFromConfig`).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { TimerOverrides } from '../transaction/index.js';
import type { ListenSpec, TlsOptions } from '../transport/index.js';

export interface SipLimits {
  /** Concurrent server transactions for new (out-of-dialog) requests before 503. */
  maxServerTransactions: number;
  /** Concurrent dialogs (plus INVITEs being answered) before new INVITEs get 503. */
  maxDialogs: number;
  /** Retry-After seconds on 503. */
  retryAfterSeconds: number;
  /** An INVITE left unanswered this long gets 480, so its transaction cannot live forever. */
  maxRingSeconds: number;
  /** Per-source request rate (messages/s) and burst; 0 disables. */
  ratePerSecond: number;
  rateBurst: number;
  maxMessageBytes: number;
  maxHeaders: number;
  maxLineLength: number;
}

export const defaultLimits: SipLimits = {
  maxServerTransactions: 5_000,
  maxDialogs: 2_000,
  retryAfterSeconds: 30,
  maxRingSeconds: 180,
  ratePerSecond: 200,
  rateBurst: 400,
  maxMessageBytes: 65_535,
  maxHeaders: 128,
  maxLineLength: 8_192,
};

export interface SipStackOptions {
  transports: ListenSpec[];
  tls?: TlsOptions;
  timers?: TimerOverrides;
  limits?: Partial<SipLimits>;
  /** Request-URI hosts we serve; anything else is refused (never relayed). */
  hostedDomains: string[];
  /** Also accept Request-URIs naming one of our own transport addresses (default true). */
  acceptOwnAddresses?: boolean;
  /**
   * Methods whose handler decides itself whether the Request-URI's domain is ours (the call
   * layer looks up customers' verified calling domains at call time); the stack skips its static
   * hosted-domain check for them.
   */
  domainCheckedByHandler?: string[];
  /** Option tags we support (Require with anything else gets 420). */
  supported?: string[];
  /** RFC 4028 Min-SE in seconds (default 90). */
  minSessionExpires?: number;
  /** TCP/TLS idle close (ms). */
  idleTimeoutMs?: number;
  /** Inbound TCP/TLS connections per listener. */
  maxConnections?: number;
  /** Inbound TCP/TLS connections open at once from one source address (IPv6: per /64). */
  maxConnectionsPerAddress?: number;
  /** A TCP/TLS message (head and body) must be complete within this time of its first byte. */
  messageTimeoutMs?: number;
  /** Requests larger than this move from UDP to TCP when we have TCP. */
  udpMaxRequestBytes?: number;
  /** Address to advertise in Via/Contact when bound to a wildcard address. */
  advertisedAddress?: { 4?: string; 6?: string };
}

const listenSchema = z.strictObject({
  protocol: z.enum(['udp', 'tcp', 'tls']),
  host: z.string().min(1),
  port: z.number().int().min(0).max(65535),
});

/** Schema for the `sip:` config block (YAML). */
export const sipConfigSchema = z.strictObject({
  transports: z.array(listenSchema).min(1),
  tls: z.strictObject({ certFile: z.string(), keyFile: z.string(), caFile: z.string().optional(), verifyPeer: z.boolean().default(true) }).optional(),
  /** Where the service keeps the self-signed certificate it generates for a TLS listener without `tls`. */
  selfSignedCertDir: z.string().min(1).default('./data/sip-tls'),
  timers: z
    .strictObject({ T1: z.number().int().positive(), T2: z.number().int().positive(), T4: z.number().int().positive() })
    .partial()
    .default({}),
  limits: z
    .strictObject({
      maxServerTransactions: z.number().int().positive(),
      maxDialogs: z.number().int().positive(),
      retryAfterSeconds: z.number().int().positive(),
      maxRingSeconds: z.number().int().positive(),
      ratePerSecond: z.number().min(0),
      rateBurst: z.number().min(1),
      maxMessageBytes: z.number().int().min(1024),
      maxHeaders: z.number().int().min(16),
      maxLineLength: z.number().int().min(256),
    })
    .partial()
    .default({}),
  hostedDomains: z.array(z.string().min(1)).default([]),
  minSessionExpires: z.number().int().min(90).default(90),
  idleTimeoutMs: z.number().int().positive().default(300_000),
  maxConnections: z.number().int().positive().default(10_000),
  maxConnectionsPerAddress: z.number().int().positive().default(32),
  messageTimeoutMs: z.number().int().min(100).default(10_000),
  advertisedAddress: z.strictObject({ ipv4: z.string().optional(), ipv6: z.string().optional() }).optional(),
});
export type SipConfig = z.infer<typeof sipConfigSchema>;

export function stackOptionsFromConfig(raw: unknown): SipStackOptions {
  const c = sipConfigSchema.parse(raw);
  return {
    transports: c.transports,
    tls: c.tls
      ? {
          cert: readFileSync(c.tls.certFile),
          key: readFileSync(c.tls.keyFile),
          ...(c.tls.caFile ? { ca: readFileSync(c.tls.caFile) } : {}),
          rejectUnauthorized: c.tls.verifyPeer,
        }
      : undefined,
    timers: c.timers,
    limits: c.limits,
    hostedDomains: c.hostedDomains,
    minSessionExpires: c.minSessionExpires,
    idleTimeoutMs: c.idleTimeoutMs,
    maxConnections: c.maxConnections,
    maxConnectionsPerAddress: c.maxConnectionsPerAddress,
    messageTimeoutMs: c.messageTimeoutMs,
    advertisedAddress: c.advertisedAddress ? { 4: c.advertisedAddress.ipv4, 6: c.advertisedAddress.ipv6 } : undefined,
  };
}
