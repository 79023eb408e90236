import net from 'node:net';
import { z } from 'zod';

/** An IPv4/IPv6 address or CIDR block ("10.0.0.0/8", "::1", "fd00::/8"). */
export const networkSchema = z.string().refine(
  (s) => {
    const [addr, bits, ...rest] = s.split('/');
    if (rest.length > 0 || !addr) return false;
    const family = net.isIP(addr);
    if (family === 0) return false;
    if (bits === undefined) return true;
    if (!/^\d{1,3}$/.test(bits)) return false;
    return Number(bits) <= (family === 4 ? 32 : 128);
  },
  { message: 'expected an IP address or CIDR block, e.g. 10.0.0.0/8 or ::1' },
);

/** Who may read an operator endpoint: a client address in `networks`, or the bearer token. */
const operatorAccessSchema = z.strictObject({
  /** Client addresses (after trusted proxies) allowed without a token. [] = none. */
  networks: z.array(networkSchema),
  /** `Authorization: Bearer <token>` also grants access. null = no token. */
  bearerToken: z.string().min(16).nullable(),
});
export type OperatorAccess = z.output<typeof operatorAccessSchema>;

export const httpConfigSchema = z.strictObject({
  /** Interface to listen on; 0.0.0.0 for every IPv4 interface, :: for IPv4+IPv6. */
  host: z.string().min(1),
  /** TCP port; 0 = any free port (the log says which). */
  port: z.number().int().min(0).max(65535),
  /** The URL people open, when behind a proxy; null = http://localhost:<port>/. */
  publicUrl: z.url().nullable(),
  /** Largest accepted request body. */
  bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
  /** HTTPS on `port`: on when certFile and keyFile are set. */
  tls: z
    .strictObject({
      certFile: z.string().min(1).nullable(),
      keyFile: z.string().min(1).nullable(),
      /** Intermediate certificates sent after the leaf, when certFile holds only the leaf. */
      caFile: z.string().min(1).nullable(),
      /** How often the files are checked for changes (a renewed certificate is used without restart). */
      reloadCheckIntervalMs: z.number().int().min(50).max(3_600_000),
      /** A plain-HTTP listener on this port redirecting to HTTPS. null = none. */
      redirectPort: z.number().int().min(0).max(65535).nullable(),
    })
    .refine((t) => (t.certFile === null) === (t.keyFile === null), { message: 'certFile and keyFile must be set together' }),
  /** Strict-Transport-Security max-age on HTTPS responses (direct or via a trusted proxy); 0 = no header. */
  hstsMaxAgeSeconds: z.number().int().min(0).max(63_072_000),
  /** Proxies whose X-Forwarded-For/-Proto/-Host are believed (IPs or CIDRs). [] = none. */
  trustedProxies: z.array(networkSchema),
  /** Who may read /metrics. */
  metricsAccess: operatorAccessSchema,
  /** Who may read /api/docs (the OpenAPI document). */
  apiDocsAccess: operatorAccessSchema,
});
export type HttpConfig = z.output<typeof httpConfigSchema>;
export type HttpTlsConfig = HttpConfig['tls'];
