import { z } from 'zod';

export const logConfigSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** true = human-readable lines; false = JSON; "auto" = pretty only when stdout is a terminal. */
  pretty: z.union([z.boolean(), z.literal('auto')]),
});
export type LogConfig = z.output<typeof logConfigSchema>;
