import { z } from 'zod';

export const storeConfigSchema = z.strictObject({
  /** redis://, rediss:// or unix:// URL of a Redis shared by all nodes; null = start an embedded redis-server. */
  redisUrl: z
    .string()
    .regex(/^(rediss?|unix):\/\//, 'must start with redis://, rediss:// or unix://')
    .nullable(),
  embedded: z.strictObject({
    redisServerBin: z.string().min(1),
    /** AOF and socket live here; relative paths are relative to the working directory. */
    dataDir: z.string().min(1),
  }),
});
export type StoreConfig = z.output<typeof storeConfigSchema>;
