import { performance } from 'node:perf_hooks';
import type { UdpIoAddon } from './addon.js';
import { NativeUdpSocket, type SendCounters } from './native-socket.js';

/** Bytes the addon reads into before the datagrams are copied out (it needs 2 KiB free per datagram). */
const SCRATCH_BYTES = 64 * 1024;
const MAX_MESSAGES_PER_CALL = 512;
/** A tick never spends more than this many addon calls draining (a flood waits for the next tick). */
const MAX_DRAIN_CALLS = 64;

export interface UdpIoCounters {
  /** Datagrams the kernel refused: at the send (full buffer, …) or afterwards (ICMP port unreachable, seen by a drain). */
  sendErrors: number;
  /** Datagrams read by drains. */
  received: number;
  /** Datagrams larger than 2 KiB (truncated by the kernel), dropped. */
  oversized: number;
  /** Datagrams whose handler threw (the rest of the drain goes on). */
  handlerErrors: number;
}

/**
 * One thread's native UDP sockets (the udp_io addon): opens them and, once per media tick,
 * drains every datagram that arrived since — one epoll_wait plus one recvmmsg per readable socket —
 * delivering each to its socket's 'message' listener with the kernel's arrival time. Between
 * drains the thread is not woken by packets at all.
 */
export class UdpIo {
  private readonly sendFailures: SendCounters = { sendErrors: 0 };
  private readonly receive = { received: 0, oversized: 0, handlerErrors: 0 };
  private readonly sockets: (NativeUdpSocket | undefined)[] = [];
  private readonly freeIds: number[] = [];
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  private readonly meta: Int32Array;
  private readonly words: number;

  constructor(
    private readonly addon: UdpIoAddon,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.words = addon.META_WORDS;
    this.meta = new Int32Array(this.words * MAX_MESSAGES_PER_CALL);
  }

  get counters(): UdpIoCounters {
    return { sendErrors: this.sendFailures.sendErrors + this.addon.refused(), ...this.receive };
  }

  /** Sockets open now. */
  get openSockets(): number {
    return this.sockets.length - this.freeIds.length;
  }

  /** Binds a socket to ip:port (0 = any); throws an Error with `code` (EADDRINUSE, …) as dgram's bind does. */
  open(ip: string, port: number): NativeUdpSocket {
    const id = this.freeIds.pop() ?? this.sockets.length;
    let opened: { fd: number; port: number };
    try {
      opened = this.addon.open(ip, port, id);
    } catch (err) {
      if (id < this.sockets.length) this.freeIds.push(id);
      throw err;
    }
    const socket = new NativeUdpSocket(this.addon, opened.fd, id, ip, opened.port, this.sendFailures, (s) => this.forget(s));
    this.sockets[id] = socket;
    return socket;
  }

  /** Delivers every datagram waiting on this thread's sockets; returns how many. */
  drain(): number {
    const { addon, meta, scratch, words } = this;
    let total = 0;
    for (let call = 0; call < MAX_DRAIN_CALLS; call++) {
      const n = addon.drain(scratch, meta);
      if (n === 0) break;
      const nowMs = this.now();
      const lastEnd = meta[(n - 1) * words + 1]! + Math.max(0, meta[(n - 1) * words + 2]!);
      // The datagrams outlive this call (jitter buffers hold payload views): copy them out of the
      // scratch into one buffer of exactly their size (small ones come from Node's slab).
      const data = Buffer.allocUnsafe(lastEnd);
      scratch.copy(data, 0, 0, lastEnd);
      for (let i = 0; i < n; i++) {
        const base = i * words;
        const socket = this.sockets[meta[base]!];
        if (!socket) continue; // closed while its datagrams were queued
        const offset = meta[base + 1]!;
        const length = meta[base + 2]!;
        if (length < 0) {
          this.receive.oversized++;
          continue;
        }
        try {
          socket.deliver(data.subarray(offset, offset + length), meta, i, words, nowMs - meta[base + 9]! / 1000);
        } catch {
          this.receive.handlerErrors++;
        }
      }
      total += n;
    }
    this.receive.received += total;
    return total;
  }

  private forget(socket: NativeUdpSocket): void {
    if (this.sockets[socket.id] !== socket) return;
    this.sockets[socket.id] = undefined;
    this.freeIds.push(socket.id);
  }
}
