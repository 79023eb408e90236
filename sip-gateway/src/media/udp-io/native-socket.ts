import type { RemoteInfo } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { UdpIoAddon } from './addon.js';
import type { DatagramListener, UdpSocketLike } from './types.js';

/** Per-socket send outcomes the owner sums into the worker's counters. */
export interface SendCounters {
  /** Datagrams the kernel refused (EAGAIN: buffer full; ECONNREFUSED after an ICMP; …). */
  sendErrors: number;
}

/**
 * One non-blocking UDP socket of the udp_io addon, shaped like the dgram.Socket slice the engine
 * uses (UdpSocketLike). Sends are synchronous syscalls; datagrams arrive only when the owning
 * UdpIo drains (the worker's tick), each with the kernel's receive time.
 */
export class NativeUdpSocket implements UdpSocketLike {
  private onMessage: DatagramListener | null = null;
  private peer: { address: string; port: number } | null = null;
  private closed = false;
  /** The last source seen, reused while it does not change (no object per packet; its `size` is the first datagram's). */
  private lastSource: RemoteInfo | null = null;

  constructor(
    private readonly addon: UdpIoAddon,
    readonly fd: number,
    readonly id: number,
    private readonly localIp: string,
    private readonly localPort: number,
    private readonly counters: SendCounters,
    private readonly onClose: (socket: NativeUdpSocket) => void,
  ) {}

  address(): { address: string; port: number; family: string } {
    return { address: this.localIp, port: this.localPort, family: isIPv6(this.localIp) ? 'IPv6' : 'IPv4' };
  }

  send(msg: Uint8Array, port?: number, address?: string): void {
    if (this.closed) return;
    const rc = port === undefined || address === undefined ? this.addon.send(this.fd, msg) : this.addon.sendTo(this.fd, msg, address, port);
    if (rc < 0) this.counters.sendErrors++;
  }

  /** Synchronous (the kernel only records the peer); the callback runs before this returns. */
  connect(port: number, address: string, callback: (err?: Error) => void): void {
    if (this.closed) return callback(new Error('socket is closed'));
    const rc = this.addon.connect(this.fd, address, port);
    if (rc < 0) return callback(new Error(`connect to ${address}:${port} failed (errno ${-rc})`));
    this.peer = { address, port };
    callback();
  }

  disconnect(): void {
    if (this.closed || !this.peer) return;
    this.addon.disconnect(this.fd);
    this.peer = null;
  }

  remoteAddress(): { address: string; port: number } {
    if (!this.peer) throw Object.assign(new Error('Not connected'), { code: 'ERR_SOCKET_DGRAM_NOT_CONNECTED' });
    return { ...this.peer };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onMessage = null;
    this.addon.close(this.fd);
    this.onClose(this);
  }

  on(event: 'message', listener: DatagramListener): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'message' | 'error', listener: DatagramListener | ((err: Error) => void)): this {
    // Send errors are counted, never emitted: 'error' listeners have nothing to hear.
    if (event === 'message') this.onMessage = listener as DatagramListener;
    return this;
  }

  /** Called by the drain: one datagram for this socket. */
  deliver(msg: Buffer, meta: Int32Array, index: number, metaWords: number, arrivalMs: number): void {
    const listener = this.onMessage;
    if (!listener) return;
    const base = index * metaWords;
    const port = meta[base + 3]!;
    const v6 = meta[base + 4] === 6;
    let source = this.lastSource;
    if (!source || source.port !== port || (source.family === 'IPv6') !== v6 || !sameSourceBytes(this.lastBytes, meta, base, v6)) {
      source = { address: this.addon.ntop(meta, index), family: v6 ? 'IPv6' : 'IPv4', port, size: msg.length };
      this.lastSource = source;
      this.lastBytes[0] = meta[base + 5]!;
      this.lastBytes[1] = v6 ? meta[base + 6]! : 0;
      this.lastBytes[2] = v6 ? meta[base + 7]! : 0;
      this.lastBytes[3] = v6 ? meta[base + 8]! : 0;
    }
    listener(msg, source, arrivalMs);
  }

  private readonly lastBytes = new Int32Array(4);
}

function sameSourceBytes(last: Int32Array, meta: Int32Array, base: number, v6: boolean): boolean {
  if (last[0] !== meta[base + 5]) return false;
  if (!v6) return last[1] === 0 && last[2] === 0 && last[3] === 0;
  return last[1] === meta[base + 6] && last[2] === meta[base + 7] && last[3] === meta[base + 8];
}
