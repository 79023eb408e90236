import { z } from 'zod';

export const httpConfigSchema = z.strictObject({
  /** Interface to listen on; 0.0.0.0 for every IPv4 interface, :: for IPv4+IPv6. */
  host: z.string().min(1),
  /** TCP port; 0 = any free port (the log says which). */
  port: z.number().int().min(0).max(65535),
  /** The URL people open, when behind a proxy; null = http://localhost:<port>/. */
  publicUrl: z.url().nullable(),
  /** Largest accepted request body. */
  bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
});
export type HttpConfig = z.output<typeof httpConfigSchema>;
