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
});
export type SignalingConfig = z.output<typeof signalingConfigSchema>;
