import type { FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { DomainError } from '../../errors.js';
import type { Principal } from '../model.js';
import { auditField, type AuditEntry } from './entry.js';
import type { AuditLog } from './log.js';

/**
 * What a route may add to its audit entry (every write route gets one; on reads it is a no-op).
 * The wrapper already records who, when, from where, the route, its path ids and the request.
 */
export interface AuditNote {
  /** The record as it was before the change. */
  before(value: unknown): void;
  /** The record as it is after the change. */
  after(value: unknown): void;
  /** Ids of what was touched beyond the path parameters (e.g. a created id). */
  target(ids: Record<string, string | null | undefined>): void;
  /** Lets this partner's admins read the entry (the actor's own partner is always included). */
  partner(partnerId: string | null | undefined): void;
}

export const NO_AUDIT: AuditNote = { before() {}, after() {}, target() {}, partner() {} };

interface RouteInfo {
  method: string;
  path: string;
  summary: string;
}

/** Collects one write's audit details while the route runs; `finish` appends the entry. */
export class AuditRecorder implements AuditNote {
  private beforeValue: unknown = null;
  private afterValue: unknown = null;
  private readonly targets: Record<string, string> = {};
  private readonly partners = new Set<string>();
  private replay = false;
  private error: unknown = undefined;

  constructor(
    private readonly log: AuditLog,
    private readonly now: () => number,
    private readonly route: RouteInfo,
    private readonly request: FastifyRequest,
    private readonly principal: Principal | null,
  ) {
    // A partner's admins see what their partner's people (partner, company admins, members) did.
    if (principal && principal.role !== 'operator') this.partners.add(principal.partnerId);
    const params = request.params;
    if (params && typeof params === 'object') {
      for (const [k, v] of Object.entries(params as Record<string, unknown>)) if (typeof v === 'string') this.targets[k] = v.slice(0, 200);
    }
  }

  before(value: unknown): void {
    this.beforeValue = value;
  }

  after(value: unknown): void {
    this.afterValue = value;
  }

  target(ids: Record<string, string | null | undefined>): void {
    for (const [k, v] of Object.entries(ids)) if (typeof v === 'string') this.targets[k] = v;
  }

  partner(partnerId: string | null | undefined): void {
    if (partnerId) this.partners.add(partnerId);
  }

  markReplay(): void {
    this.replay = true;
  }

  /** The request failed with `err` (the entry keeps its code and no `after`). */
  fail(err: unknown): void {
    this.error = err;
  }

  /** Appends the entry for a finished request with the status actually sent. */
  async finish(status: number): Promise<void> {
    const err = this.error;
    const entry: Omit<AuditEntry, 'id'> = {
      at: new Date(this.now()).toISOString(),
      actor: this.principal
        ? {
            tokenId: this.principal.tokenId,
            role: this.principal.role,
            name: this.principal.name,
            partnerId: this.principal.partnerId,
            companyId: this.principal.companyId,
            memberId: this.principal.memberId,
          }
        : null,
      source: { ip: this.request.ip, userAgent: headerOf(this.request, 'user-agent') },
      action: { method: this.route.method, route: this.route.path, path: this.request.url.split('?')[0] ?? '', summary: this.route.summary },
      targets: this.targets,
      request: auditField(this.request.body ?? null),
      before: auditField(this.beforeValue),
      after: err === undefined ? auditField(this.afterValue) : null,
      outcome: { status, error: err === undefined ? null : errorCodeOf(err) },
      partners: [...this.partners],
      replay: this.replay,
    };
    await this.log.append(entry);
  }
}

function headerOf(request: FastifyRequest, name: string): string | null {
  const v = request.headers[name];
  return typeof v === 'string' ? v.slice(0, 300) : null;
}

/** The code the error handler sends for `err` (see http/error-handler.ts). */
function errorCodeOf(err: unknown): string {
  if (err instanceof DomainError) return err.code;
  if (err instanceof ZodError) return 'bad_request';
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' && s >= 400 && s < 500 ? 'bad_request' : 'internal';
}
