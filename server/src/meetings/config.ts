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
    /** Wrong PINs for one VMR within windowSeconds that lock its PIN entry. */
    maxFailuresPerRoom: z.number().int().min(1),
    /** Wrong PINs from one source address within windowSeconds that lock that source out. */
    maxFailuresPerSource: z.number().int().min(1),
    windowSeconds: z.number().int().min(1),
    lockoutSeconds: z.number().int().min(1),
    /** Wrong PINs that end one connection's attempt. */
    attemptsPerSession: z.number().int().min(1),
  }),
});
export type MeetingsConfig = z.output<typeof meetingsConfigSchema>;
