import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';
import type { OperatorAccess } from './config.js';
import { NetworkList, type ProxyTrust } from './networks.js';

/**
 * The pages load their script and styles from their own origin only (no inline script or
 * style attributes in markup), media comes from MediaStreams, the portal shows QR codes from
 * blob: URLs, and signalling is a same-origin WebSocket ('self' covers ws:/wss: to this host).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers on every response (pages, API, errors): CSP, no MIME sniffing, no referrer leaking
 * tokens from URLs (the invitation link carries one), no framing (clickjacking), and HSTS when
 * the request came over HTTPS — directly, or through a trusted proxy's X-Forwarded-Proto.
 */
export function installSecurityHeaders(app: FastifyInstance, opts: { hstsMaxAgeSeconds: number } = { hstsMaxAgeSeconds: 0 }): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cross-origin-opener-policy', 'same-origin');
    if (opts.hstsMaxAgeSeconds > 0 && request.protocol === 'https') {
      reply.header('strict-transport-security', `max-age=${opts.hstsMaxAgeSeconds}`);
    }
    return payload;
  });
}

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
