import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import type { OperatorAccess } from './config.js';
import { NetworkList, type ProxyTrust } from './networks.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * An onRequest guard for an operator endpoint: the client address (after trusted proxies) must
 * be in the allowed networks, or the request must carry the configured bearer token.
 */
export function operatorAccessGuard(access: OperatorAccess, proxies: ProxyTrust, what: string) {
  const networks = new NetworkList(access.networks);
  const token = access.bearerToken ? digest(access.bearerToken) : null;
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (networks.has(proxies.clientAddress(request.raw))) return;
    const auth = request.headers.authorization;
    if (token && auth?.startsWith('Bearer ') && timingSafeEqual(digest(auth.slice(7).trim()), token)) return;
    throw new DomainError('forbidden', `${what} is not open to this address; present its bearer token`);
  };
}
