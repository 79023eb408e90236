import os from 'node:os';
import { z } from 'zod';
import { mediaConfigSchema } from './media/media-config.js';

const port = z.number().int().min(0).max(65535);

export const sfuConfigSchema = z
  .strictObject({
    /** Number of mediasoup workers; 0 = one per CPU core. */
    workers: z.number().int().min(0).max(256),
    /** Path to the mediasoup-worker binary; null = MEDIASOUP_WORKER_BIN or the one setup built. */
    workerBin: z.string().min(1).nullable(),
    logLevel: z.enum(['debug', 'warn', 'error', 'none']),
    rtcMinPort: port.min(1024),
    rtcMaxPort: port.min(1024),
    webRtcServer: z.strictObject({
      listenIp: z.string().min(1),
      /** Address browsers are told to reach (the public IP behind NAT); null = listenIp. */
      announcedAddress: z.string().min(1).nullable(),
      /** Worker i listens on basePort + i (UDP and TCP); 0 = any free port in the RTC range. */
      basePort: port,
    }),
    restart: z.strictObject({
      initialDelayMs: z.number().int().min(0),
      maxDelayMs: z.number().int().min(0),
    }),
    /** Meetings' media: last-N, router spread, bandwidth policy (see media/media-config.ts). */
    media: mediaConfigSchema.prefault({}),
    /** Refuse new joins and calls while the workers' CPU is at or above maxWorkerCpu (see cpu-admission.ts). */
    admission: z
      .strictObject({
        maxWorkerCpu: z.number().min(0).nullable().default(0.85),
        sampleIntervalMs: z.number().int().min(100).default(2000),
        retryAfterSeconds: z.number().int().min(1).default(10),
      })
      .prefault({}),
  })
  .refine((c) => c.rtcMinPort < c.rtcMaxPort, { message: 'must be below rtcMaxPort', path: ['rtcMinPort'] })
  .refine(
    (c) => {
      // Worker i listens on basePort + i: the whole span must stay clear of the RTC range.
      const { basePort } = c.webRtcServer;
      const last = basePort + (c.workers || os.availableParallelism()) - 1;
      return basePort === 0 || last < c.rtcMinPort || basePort > c.rtcMaxPort;
    },
    { message: 'basePort..basePort+workers-1 must lie outside rtcMinPort..rtcMaxPort', path: ['webRtcServer', 'basePort'] },
  );

export type SfuConfig = z.output<typeof sfuConfigSchema>;
