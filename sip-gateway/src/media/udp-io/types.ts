import type { RemoteInfo } from 'node:dgram';

/** A received datagram's handler; `arrivalMs` (performance.now() scale) is the kernel's receive time when known. */
export type DatagramListener = (msg: Buffer, rinfo: RemoteInfo, arrivalMs?: number) => void;

/**
 * The slice of a UDP socket the media engine uses: what `dgram.Socket` offers, and what the native
 * sockets (udp-io) offer too, so legs code against one shape whichever carries them.
 */
export interface UdpSocketLike {
  address(): { address: string; port: number };
  send(msg: Uint8Array): void;
  send(msg: Uint8Array, port: number, address: string): void;
  connect(port: number, address: string, callback: (err?: Error) => void): void;
  disconnect(): void;
  /** The connected peer; throws when not connected (as dgram does). */
  remoteAddress(): { address: string; port: number };
  close(): void;
  on(event: 'message', listener: DatagramListener): this;
  on(event: 'error', listener: (err: Error) => void): this;
}
