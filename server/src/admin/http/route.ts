import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuditRecorder, NO_AUDIT, type AuditLog, type AuditNote } from '../audit/index.js';
import { adminError } from '../errors.js';
import type { Principal, Role } from '../model.js';
import type { TokenService } from '../auth/index.js';
import { IdempotencyStore } from '../store/index.js';
import { OpenApiBuilder } from './openapi.js';

export const API_PREFIX = '/api/v1';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Adds before/after, target ids and readers to this write's audit entry (no-op on GET). */
  audit: AuditNote;
}

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: Method;
  /** Fastify-style path below /api/v1, e.g. `/companies/:companyId`. */
  path: string;
  summary: string;
  tag: string;
  /** Roles that may call it (company scoping is checked in the handler). */
  roles: readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  /** Success response schema (documentation). */
  response?: z.ZodType;
  status?: number;
  /** Non-JSON success content type (CSV, PDF, PNG …): the handler sends it itself. */
  produces?: string;
  /** Creates: honour an Idempotency-Key header. */
  idempotent?: boolean;
  handler(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Registers zod-validated, role-checked routes and records them for the OpenAPI document.
 * Every authenticated write (any method but GET) is audited here, refused ones included, so no
 * route has to remember to; routes only add before/after through `ctx.audit`.
 */
export class RouteRegistrar {
  constructor(
    private readonly app: FastifyInstance,
    private readonly tokens: TokenService,
    private readonly idempotency: IdempotencyStore,
    readonly openapi: OpenApiBuilder,
    private readonly audit: AuditLog,
    private readonly now: () => number,
  ) {}

  /** Write requests whose audit entry is written when their response is sent. */
  private readonly pending = new WeakMap<FastifyRequest, AuditRecorder>();

  add<P extends z.ZodType = z.ZodType<Record<string, string>>, Q extends z.ZodType = z.ZodType<Record<string, never>>, B extends z.ZodType = z.ZodType<undefined>>(
    spec: RouteSpec<P, Q, B>,
  ): void {
    this.openapi.addOperation({ ...spec, secured: true });
    this.app.route({
      method: spec.method,
      url: API_PREFIX + spec.path,
      handler: async (request, reply) => {
        // Unauthenticated attempts are not audited: they would let anyone push real entries out of the capped log.
        const principal = await this.tokens.authenticate(request.headers.authorization);
        const recorder = spec.method === 'GET' ? null : this.recorderFor(request, spec, principal);
        try {
          return await this.handle(spec, request, reply, principal, recorder);
        } catch (err) {
          recorder?.fail(err);
          throw err;
        }
      },
      onSend: this.auditOnSend,
    });
  }

  private async handle<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
    spec: RouteSpec<P, Q, B>,
    request: FastifyRequest,
    reply: FastifyReply,
    principal: Principal,
    recorder: AuditRecorder | null,
  ): Promise<unknown> {
    if (!spec.roles.includes(principal.role)) throw adminError('forbidden', `a ${principal.role} may not do this`);
    const params = (spec.params ?? z.any()).parse(request.params) as z.output<P>;
    const query = (spec.query ?? z.any()).parse(request.query ?? {}) as z.output<Q>;
    const body = (spec.body ?? z.any()).parse(request.body) as z.output<B>;
    const run = () => spec.handler({ params, query, body, principal, request, reply, audit: recorder ?? NO_AUDIT });
    const key = request.headers['idempotency-key'];
    if (!spec.idempotent || key === undefined) return this.respond(reply, spec, await run());
    if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) throw adminError('bad_request', 'Idempotency-Key must be 1-200 of A-Z a-z 0-9 . _ : -');
    const fp = IdempotencyStore.fingerprint(spec.method, request.url, request.body);
    const begun = await this.idempotency.begin(principal.tokenId, key, fp);
    if (begun.kind === 'replay') {
      recorder?.markReplay();
      return reply.status(begun.status).header('idempotent-replayed', 'true').send(begun.body);
    }
    if (begun.kind === 'in_progress') throw adminError('idempotency_in_progress', 'a request with this Idempotency-Key is in progress');
    if (begun.kind === 'mismatch') throw adminError('idempotency_key_reused', 'this Idempotency-Key was used for a different request');
    try {
      const result = await run();
      await this.idempotency.complete(principal.tokenId, key, fp, spec.status ?? 200, result);
      return this.respond(reply, spec, result);
    } catch (err) {
      await this.idempotency.abandon(principal.tokenId, key);
      throw err;
    }
  }

  /** Unauthenticated routes (accepting an invitation, the API document). */
  addPublic<B extends z.ZodType>(spec: {
    method: Method;
    path: string;
    summary: string;
    tag: string;
    body?: B;
    response?: z.ZodType;
    status?: number;
    handler(ctx: { body: z.output<B>; request: FastifyRequest; reply: FastifyReply; audit: AuditNote }): Promise<unknown>;
  }): void {
    this.openapi.addOperation({ ...spec, secured: false });
    this.app.route({
      method: spec.method,
      url: API_PREFIX + spec.path,
      handler: async (request, reply) => {
        const body = (spec.body ?? z.any()).parse(request.body) as z.output<B>;
        // Public writes are audited when they succeed (failures are anonymous and could flood the log).
        const recorder = spec.method === 'GET' ? null : new AuditRecorder(this.audit, this.now, this.routeInfo(spec), request, null);
        const result = await spec.handler({ body, request, reply, audit: recorder ?? NO_AUDIT });
        if (recorder) this.pending.set(request, recorder);
        return reply.sent ? reply : reply.status(spec.status ?? 200).send(result);
      },
      onSend: this.auditOnSend,
    });
  }

  private recorderFor(request: FastifyRequest, spec: { method: string; path: string; summary: string }, principal: Principal): AuditRecorder {
    const recorder = new AuditRecorder(this.audit, this.now, this.routeInfo(spec), request, principal);
    this.pending.set(request, recorder);
    return recorder;
  }

  private routeInfo(spec: { method: string; path: string; summary: string }) {
    return { method: spec.method, path: API_PREFIX + spec.path, summary: spec.summary };
  }

  /**
   * The entry is stored in onSend, i.e. after the error handler chose the status and before the
   * response leaves: a client that got its answer finds the entry already in the log.
   */
  private readonly auditOnSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const recorder = this.pending.get(request);
    if (recorder) {
      this.pending.delete(request);
      await recorder.finish(reply.statusCode);
    }
    return payload;
  };

  private respond(reply: FastifyReply, spec: { status?: number; produces?: string }, result: unknown) {
    if (reply.sent || spec.produces) return reply;
    return reply.status(spec.status ?? 200).send(result);
  }
}

/** offset+limit paging with the total, shared by every listing. */
export const PageQuery = z.object({
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), total: z.number().int(), offset: z.number().int(), limit: z.number().int() });
}
