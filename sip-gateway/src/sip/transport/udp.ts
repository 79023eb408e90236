/** One UDP socket bound to one address; hands datagrams up and sends bytes out. */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { BoundTransport, HostPort } from './types.js';

export class UdpTransport implements BoundTransport {
  readonly protocol = 'udp' as const;
  readonly family: 4 | 6;
  private socket: dgram.Socket | undefined;
  private bound: HostPort | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onDatagram: (data: Buffer, remote: HostPort, local: HostPort) => void,
    private readonly onError: (err: Error) => void,
  ) {
    this.family = isIP(host) === 6 ? 6 : 4;
  }

  get local(): HostPort {
    if (!this.bound) throw new Error('UDP transport not started');
    return this.bound;
  }

  async start(): Promise<void> {
    const socket = dgram.createSocket({ type: this.family === 6 ? 'udp6' : 'udp4', ipv6Only: this.family === 6 });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const addr = socket.address();
    this.bound = { address: addr.address, port: addr.port };
    socket.on('error', this.onError);
    socket.on('message', (data, rinfo) => this.onDatagram(data, { address: rinfo.address, port: rinfo.port }, this.local));
  }

  send(bytes: Buffer, to: HostPort): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new Error('UDP transport not started'));
    return new Promise((resolve, reject) => socket.send(bytes, to.port, to.address, (err) => (err ? reject(err) : resolve())));
  }

  async stop(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
