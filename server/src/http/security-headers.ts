import type { FastifyInstance } from 'fastify';

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
