import { z } from 'zod';
import { Role } from '../model.js';

const iso = z.string().describe('ISO 8601 UTC date-time');

/** One admin write, as stored in the audit stream and listed by GET /audit. */
export const AuditEntrySchema = z.object({
  /** Stream id (also the pagination cursor); ordered by append time. */
  id: z.string(),
  /** When (the service clock). */
  at: iso,
  /** Who: the token's principal; null for unauthenticated writes (accepting an invitation). */
  actor: z
    .object({
      tokenId: z.string(),
      role: Role,
      name: z.string(),
      partnerId: z.string(),
      companyId: z.string().nullable(),
      memberId: z.string().nullable(),
    })
    .nullable(),
  /** From where: the client address as fastify sees it (X-Forwarded-For only from trusted proxies). */
  source: z.object({ ip: z.string(), userAgent: z.string().nullable() }),
  /** What: method, route pattern, concrete path and the route's summary. */
  action: z.object({ method: z.string(), route: z.string(), path: z.string(), summary: z.string() }),
  /** Ids of what was touched: the route's path parameters plus ids the route adds (created ids). */
  targets: z.record(z.string(), z.string()),
  /** The request body with secrets (PINs, passwords, tokens) replaced by "[redacted]". */
  request: z.unknown(),
  /** The record before and after the change, where the route has them (secrets redacted). */
  before: z.unknown(),
  after: z.unknown(),
  /** The HTTP status and, on failure, the error code. Refused writes are recorded too. */
  outcome: z.object({ status: z.number().int(), error: z.string().nullable() }),
  /** Partners whose admins may read this entry (the operator reads all). */
  partners: z.array(z.string()),
  /** True when an Idempotency-Key replay answered from the first response (nothing written). */
  replay: z.boolean(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Keys whose values never enter the audit log (PINs and their hashes, passwords, bearer tokens, secrets). */
const SECRET_KEY = /(pin|password|secret|token)(hash)?$/i;
/** A single field larger than this is replaced by a marker so one request cannot bloat the stream. */
const MAX_FIELD_CHARS = 16_384;

/** Deep copy with secret-looking keys redacted (tokenId and similar ids stay). */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (depth > 8) return '[too deep]';
  if (Array.isArray(value)) return value.slice(0, 500).map((v) => redact(v, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'string' && value.length > 2_000) return `${value.slice(0, 2_000)}…`;
  return value;
}

/** Redacts and bounds one before/after/request field. */
export function auditField(value: unknown): unknown {
  const r = redact(value);
  const json = JSON.stringify(r ?? null);
  return json.length > MAX_FIELD_CHARS ? { truncated: true, chars: json.length } : r;
}
