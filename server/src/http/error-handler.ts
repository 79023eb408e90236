import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ZodError } from 'zod';
import { DomainError } from '../errors.js';

/** The code for a framework error (fastify, @fastify/static) by its status, so the two never disagree. */
const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  416: 'range_not_satisfiable',
  429: 'rate_limited',
};

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * One error shape for every HTTP route: `{ error: { code, message, details? } }`.
 * DomainErrors keep their code and status; zod and fastify validation failures become
 * `bad_request` with the offending paths; other framework errors get the code of their status
 * (a 4xx with no code of its own becomes a 400 `bad_request`); anything else is `internal`
 * with no internals leaked.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof DomainError) {
      if (err.httpStatus >= 500) request.log.error({ err }, 'request failed');
      return reply.status(err.httpStatus).send(err.toJSON());
    }
    if (err instanceof ZodError) {
      const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
      // The message names each field and the rule it broke, so a person can fix the input.
      const message = `invalid ${issues.map((i) => `${i.path || 'request'}: ${i.message}`).join('; ')}`;
      return reply.status(400).send(new DomainError('bad_request', message, { issues }).toJSON());
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      return reply.status(400).send(new DomainError('bad_request', fe.message).toJSON());
    }
    if (fe.statusCode === 413) {
      return reply.status(413).send(new DomainError('payload_too_large', 'request body too large').toJSON());
    }
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      const code = CODE_BY_STATUS[fe.statusCode];
      return reply.status(code ? fe.statusCode : 400).send(new DomainError(code ?? 'bad_request', fe.message).toJSON());
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(new DomainError('internal', 'internal error').toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    // The path exists with other methods: 405 with Allow, not a 404 that suggests a wrong URL.
    // The static files' catch-all (a `*` parameter) does not count as the path existing.
    const allowed = allowedMethods(app, request);
    if (allowed.length > 0) {
      return reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send(new DomainError('method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(', ')}`).toJSON());
    }
    return reply.status(404).send(new DomainError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`).toJSON());
  });
}

function allowedMethods(app: FastifyInstance, request: FastifyRequest): string[] {
  const url = request.url.split('?')[0] ?? '/';
  return METHODS.filter((method) => {
    if (method === request.method) return false;
    const found = app.findRoute({ method, url });
    return found !== null && !('*' in (found.params ?? {}));
  });
}
