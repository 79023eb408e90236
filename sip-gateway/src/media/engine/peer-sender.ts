/**
 * Sends a call's RTP through its socket, connect()ed to the latched peer when there is one.
 * A connected UDP socket sends without Node's per-datagram address lookup (measured in
 * bench/gateway/udp-io-bench.ts), and the kernel then delivers only that peer's datagrams —
 * exactly symmetric RTP's rule after latching. Connecting is asynchronous in Node (one turn of the
 * event loop for an IP literal) and dgram refuses address-less sends meanwhile, so a packet in
 * that window is dropped — in practice none: latching happens on receive, the next send is a tick
 * (20 ms) later. A native (udp-io) socket connects synchronously: its callback runs at once.
 */
import type { UdpSocketLike } from '../udp-io/index.js';

export interface PeerAddress {
  readonly ip: string;
  readonly port: number;
}

type State = 'unconnected' | 'connecting' | 'connected';

export class PeerSender {
  private state: State = 'unconnected';
  /** The peer we are connected (or connecting) to. */
  private peer: PeerAddress | null = null;
  /** What the owner asked for last (null = unconnected); reconciled when a connect completes. */
  private wanted: PeerAddress | null = null;
  private closed = false;

  constructor(private readonly socket: UdpSocketLike) {}

  /** The peer the socket is connected to, once connected. */
  get connectedPeer(): PeerAddress | null {
    return this.state === 'connected' ? this.peer : null;
  }

  /** Restrict the socket to `peer` (the latched remote) and send to it without address handling. */
  connect(peer: PeerAddress): void {
    this.wanted = { ip: peer.ip, port: peer.port };
    this.reconcile();
  }

  /** Back to sending anywhere and receiving from anyone (a new remote is to be latched). */
  disconnect(): void {
    this.wanted = null;
    this.reconcile();
  }

  /** Sends `packet` to `dest`; false when dropped (connecting, or connected to another peer). */
  send(packet: Uint8Array, dest: PeerAddress): boolean {
    if (this.closed) return false;
    if (this.state === 'unconnected') {
      this.socket.send(packet, dest.port, dest.ip);
      return true;
    }
    if (this.state === 'connecting' || !samePeer(this.peer, dest)) return false;
    this.socket.send(packet); // connected: no address, no lookup
    return true;
  }

  close(): void {
    this.closed = true;
  }

  private reconcile(): void {
    if (this.closed || this.state === 'connecting') return; // the connect's callback reconciles
    const wanted = this.wanted;
    if (this.state === 'connected') {
      if (samePeer(this.peer, wanted)) return;
      this.socket.disconnect();
      this.state = 'unconnected';
      this.peer = null;
    }
    if (!wanted) return;
    this.state = 'connecting';
    this.peer = wanted;
    try {
      this.socket.connect(wanted.port, wanted.ip, (err?: Error) => {
        if (this.closed) return;
        if (err) {
          // Leave it unconnected: sends carry the address again (correct, just not the fast path).
          this.state = 'unconnected';
          this.peer = null;
          this.wanted = null;
          return;
        }
        this.state = 'connected';
        this.reconcile();
      });
    } catch {
      this.state = 'unconnected';
      this.peer = null;
      this.wanted = null;
    }
  }
}

function samePeer(a: PeerAddress | null, b: PeerAddress | null): boolean {
  return a !== null && b !== null && a.ip === b.ip && a.port === b.port;
}
