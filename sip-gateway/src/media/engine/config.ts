import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** mediasoup's media port ranges on this node (RTC and plain transports) that our sockets must avoid. */
const MEDIASOUP_RANGES: ReadonlyArray<readonly [number, number]> = [
  [40000, 49999],
  [44000, 55000],
];

/** Schema for the gateway's media engine config (`sip.media`); every key has a laptop-friendly default. */
export const mediaEngineConfigSchema = z
  .strictObject({
    /** Worker threads; 0 = max(1, floor(cores / 2)). */
    workers: z.number().int().min(0).max(64).default(0),
    /** Where caller-facing, tap and SFU-facing sockets bind. */
    rtpListenIp: z.string().min(1).default('127.0.0.1'),
    /** The address our SDP announces (NAT); null = rtpListenIp. */
    announcedIp: z.string().min(1).nullable().default(null),
    /** Caller-facing RTP port range (RTP even, RTCP = RTP + 1); 0/0 = OS-assigned ports. */
    rtpMinPort: z.number().int().min(0).max(65535).default(30000),
    rtpMaxPort: z.number().int().min(0).max(65535).default(34999),
    /** No RTP/RTCP from the caller for this long (while it should send) → `inactive`. */
    inactivityTimeoutMs: z.number().int().min(100).default(30_000),
    /** Loudest sources mixed per tick. */
    maxSpeakers: z.number().int().min(1).max(16).default(4),
    jitterMinMs: z.number().int().min(0).max(1000).default(40),
    jitterMaxMs: z.number().int().min(20).max(1000).default(120),
    rtcpIntervalMs: z.number().int().min(100).default(5000),
    /**
     * Nice value of the media worker threads (−20 … 19; the signalling thread keeps the process's).
     * Below 0 needs CAP_SYS_NICE (root, or systemd's `AmbientCapabilities=CAP_SYS_NICE`); without
     * it the threads run at the process's priority and the log says so.
     */
    threadNice: z.number().int().min(-20).max(19).default(-10),
    /**
     * How calls' audio sockets are read and written. `native`: the udp_io addon (Linux; built by
     * setup) — every socket drained once per 20 ms tick, synchronous sends; `dgram`: Node's dgram,
     * a wake-up and a callback per datagram; `auto`: native when the addon loads, else dgram with a
     * warning. Video legs and the SFU taps always use dgram (their packets are forwarded as they come).
     */
    udpIo: z.enum(['auto', 'native', 'dgram']).default('auto'),
  })
  .refine((c) => (c.rtpMinPort === 0 && c.rtpMaxPort === 0) || (c.rtpMinPort >= 1024 && c.rtpMaxPort >= c.rtpMinPort + 1), {
    message: 'rtpMinPort..rtpMaxPort must be 0/0 (OS-assigned) or a range of at least two ports from 1024 up',
  })
  .refine((c) => c.rtpMinPort === 0 || MEDIASOUP_RANGES.every(([lo, hi]) => c.rtpMaxPort < lo || c.rtpMinPort > hi), {
    message: "rtpMinPort..rtpMaxPort must not overlap mediasoup's media port ranges (40000-55000)",
  })
  .refine((c) => c.jitterMinMs <= c.jitterMaxMs, { message: 'need jitterMinMs <= jitterMaxMs' });

export type MediaEngineConfig = z.infer<typeof mediaEngineConfigSchema>;
export type MediaEngineConfigInput = z.input<typeof mediaEngineConfigSchema>;

/** Worker count the pool uses for `workers: 0`. */
export function autoWorkerCount(cores = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}
