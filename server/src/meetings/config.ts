import { z } from 'zod';

export const meetingsConfigSchema = z.strictObject({
  /** A seat is a lease in Redis renewed by the node holding it; a dead node's seats free after this. */
  seatLeaseMs: z.number().int().min(3_000).max(600_000),
  /** How long a participant whose connection dropped stays in the roster, resumable. */
  reconnectGraceMs: z.number().int().min(0).max(600_000),
  /** Failed address/numeric-ID lookups (meeting_not_found) per source before lookup_throttled. */
  lookups: z.strictObject({
    maxFailuresPerSource: z.number().int().min(1),
    windowSeconds: z.number().int().min(1),
  }),
  pin: z.strictObject({
    /**
     * Wrong PINs for one VMR within windowSeconds (from any address) before anonymous PIN entry
     * pauses for that VMR (`pin_throttled`); hosts with a start link or a registered endpoint still get in.
     */
    maxFailuresPerRoom: z.number().int().min(1),
    /** Wrong PINs from one source address within windowSeconds (`pin_locked_out` beyond). */
    maxFailuresPerSource: z.number().int().min(1),
    windowSeconds: z.number().int().min(1),
    /** Per-source back-off: after freeFailures, each attempt waits baseMs·2^(n-freeFailures), at most maxMs. */
    backoff: z.strictObject({
      freeFailures: z.number().int().min(0),
      baseMs: z.number().int().min(0),
      maxMs: z.number().int().min(0),
    }),
    /** Wrong PINs that end one connection's attempt. */
    attemptsPerSession: z.number().int().min(1),
  }),
  /** Signed "start my meeting" links from the member portal: admitted as host without a PIN. */
  hostLink: z.strictObject({
    /** HMAC secret shared by every node (16+ characters); null = generated once and kept in the store. */
    secret: z.string().min(16).nullable(),
    ttlSeconds: z.number().int().min(30).max(86_400),
  }),
});
export type MeetingsConfig = z.output<typeof meetingsConfigSchema>;
