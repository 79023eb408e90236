/**
 * Endpoint provisioning: the SIP registration settings and bandwidth tier an endpoint needs,
 * and a QR code that carries them (scanned by a provisioning app or shown for manual entry).
 */
import QRCode from 'qrcode';
import { z } from 'zod';
import { DomainError, defineErrorCodes } from '../../errors.js';

export const ProvisioningErrors = defineErrorCodes({
  provisioning_invalid: { http: 400, description: 'The endpoint provisioning settings are invalid.' },
});

export class ProvisioningError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('provisioning_invalid', message, details);
    this.name = 'ProvisioningError';
  }
}

export type EndpointTier = 'basic' | 'plus' | 'premium';
export type SipTransport = 'udp' | 'tcp' | 'tls';

/** Endpoint licence tiers (seed 002): Basic up to 768 kbps, Plus 1.5 Mbps, Premium 4 Mbps. */
export const TIER_BANDWIDTH_KBPS: Readonly<Record<EndpointTier, number>> = { basic: 768, plus: 1500, premium: 4000 };

export interface EndpointProvisioningInput {
  /** The endpoint's SIP address, `local@domain`. */
  address: string;
  username: string;
  password: string;
  registrar: { host: string; port: number; transport: SipTransport };
  tier: EndpointTier;
}

export interface EndpointProvisioningConfig {
  /** Format version of this object (and so of the QR payload). */
  version: 1;
  sip: {
    address: string;
    /** `sip:` URI of the endpoint (its address of record). */
    uri: string;
    username: string;
    password: string;
    registrar: { host: string; port: number; transport: SipTransport; uri: string };
  };
  bandwidth: { tier: EndpointTier; maxKbps: number };
}

const inputSchema = z.object({
  address: z
    .string()
    .max(320)
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.string().regex(/^[a-z][a-z0-9._-]*@[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/, 'must be local@domain')),
  username: z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  password: z.string().min(8).max(128).regex(/^[\x20-\x7e]+$/, 'printable ASCII'),
  registrar: z.object({
    host: z.string().min(1).max(253).regex(/^[A-Za-z0-9.:[\]-]+$/, 'host name or IP address'),
    port: z.number().int().min(1).max(65535),
    transport: z.enum(['udp', 'tcp', 'tls']),
  }),
  tier: z.enum(['basic', 'plus', 'premium']),
});

/** Builds (and validates) the provisioning configuration for one endpoint. */
export function endpointProvisioning(input: EndpointProvisioningInput): EndpointProvisioningConfig {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    throw new ProvisioningError('invalid endpoint provisioning settings', {
      issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  const { address, username, password, registrar, tier } = parsed.data;
  const scheme = registrar.transport === 'tls' ? 'sips' : 'sip';
  const transportParam = registrar.transport === 'tls' ? '' : `;transport=${registrar.transport}`;
  return {
    version: 1,
    sip: {
      address,
      uri: `${scheme}:${address}`,
      username,
      password,
      registrar: { ...registrar, uri: `${scheme}:${registrar.host}:${registrar.port}${transportParam}` },
    },
    bandwidth: { tier, maxKbps: TIER_BANDWIDTH_KBPS[tier] },
  };
}

/** The exact text a QR code carries: the config as compact JSON. */
export function provisioningPayload(config: EndpointProvisioningConfig): string {
  return JSON.stringify(config);
}

/** A QR code of the configuration: PNG bytes, or an SVG document as a string. */
export function provisioningQr(config: EndpointProvisioningConfig, format: 'png'): Promise<Buffer>;
export function provisioningQr(config: EndpointProvisioningConfig, format: 'svg'): Promise<string>;
export function provisioningQr(config: EndpointProvisioningConfig, format: 'png' | 'svg'): Promise<Buffer | string>;
export async function provisioningQr(config: EndpointProvisioningConfig, format: 'png' | 'svg'): Promise<Buffer | string> {
  const payload = provisioningPayload(config);
  // Medium error correction survives a smudged print; 4-module quiet zone per the QR spec.
  const opts = { errorCorrectionLevel: 'M' as const, margin: 4 };
  if (format === 'svg') return QRCode.toString(payload, { ...opts, type: 'svg' });
  return QRCode.toBuffer(payload, { ...opts, type: 'png', scale: 6 });
}

/** A SIP listener the service has bound. */
export interface SipListener {
  protocol: SipTransport;
  port: number;
}

const TRANSPORT_PREFERENCE: SipTransport[] = ['tls', 'tcp', 'udp'];

/**
 * The registrar endpoints are provisioned with: the configured host, on a listener that exists —
 * the configured transport if one is bound (on the configured port if bound, else its port),
 * otherwise TLS, TCP, then UDP. `listeners` null (no SIP stack known, e.g. an admin-only test
 * app) keeps the configuration; an empty list means nothing to register with.
 */
export function registrarFor(
  configured: { host: string; port: number; transport: SipTransport },
  listeners: SipListener[] | null,
): { host: string; port: number; transport: SipTransport } | null {
  if (listeners === null) return configured;
  for (const transport of [configured.transport, ...TRANSPORT_PREFERENCE]) {
    const bound = listeners.filter((l) => l.protocol === transport);
    if (bound.length === 0) continue;
    const port = bound.find((l) => l.port === configured.port)?.port ?? bound[0]?.port ?? configured.port;
    return { host: configured.host, port, transport };
  }
  return null;
}
