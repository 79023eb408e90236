import { z } from 'zod';

export const signalingConfigSchema = z.strictObject({
  /** WebSocket path on the HTTP server. */
  path: z.string().startsWith('/'),
  /** Largest accepted message; bigger ones are answered with message_too_large. */
  maxMessageBytes: z.number().int().min(1024).max(1024 * 1024),
  /** Per-connection message rate: a token bucket refilled at ratePerSecond up to burst. */
  ratePerSecond: z.number().min(1),
  burst: z.number().int().min(1),
  /** A connection that has not said hello within this time is closed. */
  helloTimeoutMs: z.number().int().min(100),
  /** Ping interval; a connection that misses a pong is treated as dropped. */
  pingIntervalMs: z.number().int().min(100),
  /** Open WebSockets per source address (IPv6: per /64); more are refused with HTTP 429. */
  maxConnectionsPerAddress: z.number().int().min(1),
  /** Origins allowed besides the node's own (the Host the request came to, and http.publicUrl); "*" = any. */
  allowedOrigins: z.array(z.union([z.literal('*'), z.url().refine((u) => /^https?:\/\/[^/]+\/?$/.test(u), 'must be an origin: scheme://host[:port]')])),
  /** Accept upgrades without an Origin header (non-browser clients; browsers always send one). */
  allowMissingOrigin: z.boolean(),
});
export type SignalingConfig = z.output<typeof signalingConfigSchema>;
