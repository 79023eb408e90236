import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { CodedError } from '../../../../common/src/index.js';
import type { UdpSocketLike } from '../udp-io/index.js';

export type EngineErrorCode =
  | 'ports_exhausted'
  | 'unknown_call'
  | 'unknown_room'
  | 'unknown_prompt'
  | 'not_configured'
  | 'bad_command'
  | 'worker_failed'
  | 'engine_closed'
  | 'codec_unsupported'
  | 'srtp_keys_invalid';

/** Errors of the media engine (in the worker and in the proxies); `code` is stable. */
export class MediaEngineError extends CodedError<EngineErrorCode> {
  override readonly name = 'MediaEngineError';
}

/** Binds one UDP socket; resolves once bound, rejects on EADDRINUSE and the like. */
export function bindUdp(ip: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: isIPv6(ip) ? 'udp6' : 'udp4' });
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', onError);
    socket.bind(port, ip, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** Asks the kernel for a larger receive buffer (capped by net.core.rmem_max; best effort). */
export function setReceiveBuffer(socket: dgram.Socket, bytes: number): void {
  try {
    socket.setRecvBufferSize(bytes);
  } catch {
    // not bound yet or refused: the default stays
  }
}

/** Opens a socket bound to ip:port; rejects (EADDRINUSE and the like) when it cannot. */
export type UdpBinder<S extends UdpSocketLike> = (ip: string, port: number) => Promise<S>;

export function closeQuietly(socket: UdpSocketLike | null | undefined): void {
  if (!socket) return;
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/**
 * Hands out sockets from one worker's slice of the configured port range: RTP on an even port and
 * RTCP on the next, as RFC 3550 recommends, or single ports for the tap and SFU-facing sockets.
 * Each worker owns a disjoint slice, so workers never race for a port; ports some other process
 * holds are skipped (bind fails → next). With range 0/0 every socket gets an OS-assigned port.
 */
export class PortAllocator {
  private readonly inUse = new Set<number>();
  private cursor: number;

  constructor(
    private readonly ip: string,
    private readonly lo: number,
    private readonly hi: number,
  ) {
    this.cursor = lo;
  }

  /** The slice of [min, max] that worker `index` of `count` owns (even-aligned). */
  static slice(min: number, max: number, index: number, count: number): { lo: number; hi: number } {
    if (min === 0 && max === 0) return { lo: 0, hi: 0 };
    const size = Math.floor((max - min + 1) / count);
    const lo = min + index * size;
    const hi = index === count - 1 ? max : lo + size - 1;
    return { lo: lo + (lo % 2), hi };
  }

  /** An RTP/RTCP pair, opened by `bind` (dgram unless told otherwise). */
  async allocatePair(): Promise<{ rtp: dgram.Socket; rtcp: dgram.Socket }>;
  async allocatePair<S extends UdpSocketLike>(bind: UdpBinder<S>): Promise<{ rtp: S; rtcp: S }>;
  async allocatePair(bind: UdpBinder<UdpSocketLike> = bindUdp): Promise<{ rtp: UdpSocketLike; rtcp: UdpSocketLike }> {
    if (this.lo === 0) {
      const rtp = await bind(this.ip, 0);
      try {
        return { rtp, rtcp: await bind(this.ip, 0) };
      } catch (err) {
        closeQuietly(rtp);
        throw err;
      }
    }
    const span = this.hi - this.lo + 1;
    for (let tries = 0; tries < span / 2; tries++) {
      let p = this.cursor + (this.cursor % 2);
      if (p + 1 > this.hi) p = this.lo + (this.lo % 2);
      this.cursor = p + 2;
      if (this.inUse.has(p) || this.inUse.has(p + 1)) continue;
      const rtp = await bind(this.ip, p).catch(() => null);
      if (!rtp) continue;
      const rtcp = await bind(this.ip, p + 1).catch(() => null);
      if (!rtcp) {
        closeQuietly(rtp);
        continue;
      }
      this.inUse.add(p).add(p + 1);
      return { rtp, rtcp };
    }
    throw new MediaEngineError('ports_exhausted', `no free RTP/RTCP port pair in ${this.lo}-${this.hi}`);
  }

  async allocateSingle(): Promise<dgram.Socket>;
  async allocateSingle<S extends UdpSocketLike>(bind: UdpBinder<S>): Promise<S>;
  async allocateSingle(bind: UdpBinder<UdpSocketLike> = bindUdp): Promise<UdpSocketLike> {
    if (this.lo === 0) return bind(this.ip, 0);
    const span = this.hi - this.lo + 1;
    for (let tries = 0; tries < span; tries++) {
      let p = this.cursor;
      if (p > this.hi) p = this.lo;
      this.cursor = p + 1;
      if (this.inUse.has(p)) continue;
      const socket = await bind(this.ip, p).catch(() => null);
      if (!socket) continue;
      this.inUse.add(p);
      return socket;
    }
    throw new MediaEngineError('ports_exhausted', `no free port in ${this.lo}-${this.hi}`);
  }

  /** Closes the socket and gives its port back. */
  release(socket: UdpSocketLike | null | undefined): void {
    if (!socket) return;
    try {
      this.inUse.delete(socket.address().port);
    } catch {
      // never bound or already closed
    }
    closeQuietly(socket);
  }
}
