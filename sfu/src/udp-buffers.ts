import fs from 'node:fs';

/**
 * The receive buffer of every media worker's UDP socket. mediasoup 3.12's worker sets none of its
 * own, so each socket gets the host's `net.core.rmem_default` (208 KiB on a stock kernel). A worker
 * that is not scheduled for a few milliseconds while a meeting's publishers keep sending overflows
 * that buffer, and the kernel drops the packets before mediasoup sees them — every subscriber of
 * the publisher then loses them. On this project's bench (100 participants, 25 simulcast cameras,
 * 2 cores shared with the load client) that was 4–18 % loss at 208 KiB and 0 % at 4 MiB.
 */
export const RECOMMENDED_UDP_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** The host's default UDP receive buffer, or null where it cannot be read (not Linux). */
export function hostUdpReceiveBufferBytes(procFile = '/proc/sys/net/core/rmem_default'): number | null {
  try {
    const bytes = Number(fs.readFileSync(procFile, 'utf8').trim());
    return Number.isFinite(bytes) && bytes > 0 ? bytes : null;
  } catch {
    return null;
  }
}

/** What to tell the operator about it: nothing when it is big enough or unknown. */
export function udpReceiveBufferAdvice(bytes: number | null): string | undefined {
  if (bytes === null || bytes >= RECOMMENDED_UDP_RECEIVE_BUFFER_BYTES) return undefined;
  const want = RECOMMENDED_UDP_RECEIVE_BUFFER_BYTES;
  return (
    `media workers' UDP sockets get net.core.rmem_default = ${Math.round(bytes / 1024)} KiB: a worker delayed by a few ms ` +
    `drops incoming media in bursts; set net.core.rmem_default=${want} and net.core.rmem_max=${want} ` +
    `(sysctl, see config/sysctl-convene.conf)`
  );
}
