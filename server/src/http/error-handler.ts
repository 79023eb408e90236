import type { FastifyError, FastifyInstance } from 'fastify';
import { ZodError } from 'zod';
import { DomainError } from '../errors.js';

/**
 * One error shape for every HTTP route: `{ error: { code, message, details? } }`.
 * DomainErrors keep their code and status; zod and fastify validation failures become
 * `bad_request` with the offending paths; anything else is `internal` with no internals leaked.
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
      const code = fe.statusCode === 404 ? 'not_found' : fe.statusCode === 429 ? 'rate_limited' : 'bad_request';
      return reply.status(fe.statusCode).send(new DomainError(code, fe.message).toJSON());
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(new DomainError('internal', 'internal error').toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(new DomainError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`).toJSON()),
  );
}
