import dgram from 'node:dgram';
import { MediaError, MediaErrorCode } from './errors.js';

export interface Address {
  ip: string;
  port: number;
}

interface Waiter {
  payloadTypes: ReadonlySet<number>;
  taken: ReadonlySet<number>;
  resolve: (ssrc: number) => void;
}

/** RFC 5761: RTCP packet types 192–223 in the second byte. */
function isRtcp(msg: Buffer): boolean {
  return msg.length >= 2 && msg[1]! >= 192 && msg[1]! <= 223;
}

/** Inclusive port range for relay sockets; [0, 0] = any port the OS gives. */
export type PortRange = readonly [min: number, max: number];

async function bindOnce(ip: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket(ip.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.bind(port, ip, () => {
      socket.off('error', fail);
      resolve();
    });
  });
  return socket;
}

/** Binds on a random free port of the range (bounded attempts), or any port for [0, 0]. */
async function bind(ip: string, [min, max]: PortRange): Promise<dgram.Socket> {
  if (min === 0 && max === 0) return bindOnce(ip, 0);
  const attempts = Math.min(64, max - min + 1);
  for (let i = 0; i < attempts; i++) {
    const port = min + Math.floor(Math.random() * (max - min + 1));
    try {
      return await bindOnce(ip, port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new MediaError(MediaErrorCode.NoPort, `no free UDP port in ${min}-${max} for an RTP relay`);
}

/**
 * Learns the SSRC of a SIP endpoint that does not announce one (no a=ssrc), which mediasoup needs
 * to route its RTP: a small UDP relay in front of the leg's PlainTransport. The remote talks to the
 * relay; the relay forwards both ways and reads the (always clear, even with SRTP) RTP header of
 * what comes in. Like mediasoup, it accepts packets only from the remote — connected, or with
 * comedia the first sender, kept for good. Costs one Node hop per packet: meant for audio calls.
 */
export class SsrcLatch {
  private remoteRtp: Address | undefined;
  private remoteRtcp: Address | undefined;
  private readonly waiters = new Set<Waiter>();
  private closed = false;

  private constructor(
    private readonly rtp: dgram.Socket,
    private readonly rtcp: dgram.Socket | undefined,
    private readonly comedia: boolean,
    private inner: { rtp: Address; rtcp?: Address } | undefined,
  ) {
    rtp.on('message', (msg, from) => this.onMessage(msg, from, 'rtp'));
    rtcp?.on('message', (msg, from) => this.onMessage(msg, from, 'rtcp'));
    const ignore = () => undefined; // ICMP unreachable and the like: UDP goes on
    rtp.on('error', ignore);
    rtcp?.on('error', ignore);
  }

  static async open(listenIp: string, ports: PortRange, rtcpMux: boolean, comedia: boolean): Promise<SsrcLatch> {
    const rtp = await bind(listenIp, ports);
    const rtcp = rtcpMux ? undefined : await bind(listenIp, ports).catch((err: unknown) => {
      rtp.close();
      throw err;
    });
    return new SsrcLatch(rtp, rtcp, comedia, undefined);
  }

  /** Where the relay listens: what the remote is told (and what the PlainTransport connects to). */
  get rtpAddress(): Address {
    const a = this.rtp.address();
    return { ip: a.address, port: a.port };
  }

  get rtcpAddress(): Address | undefined {
    if (!this.rtcp) return undefined;
    const a = this.rtcp.address();
    return { ip: a.address, port: a.port };
  }

  /** The remote's RTP address, once connected or learnt. */
  get remote(): Address | undefined {
    return this.remoteRtp;
  }

  /** The PlainTransport behind the relay. */
  attach(inner: { rtp: Address; rtcp?: Address }): void {
    this.inner = inner;
  }

  /** The remote address from its SDP (without comedia). */
  connect(rtp: Address, rtcp: Address | undefined): void {
    this.remoteRtp = rtp;
    this.remoteRtcp = rtcp ?? (this.rtcp ? { ip: rtp.ip, port: rtp.port + 1 } : undefined);
  }

  /**
   * Resolves with the SSRC of the first RTP packet from the remote with one of these payload types
   * whose SSRC is not taken; rejects with `media_no_rtp` after timeoutMs.
   */
  learnSsrc(payloadTypes: ReadonlySet<number>, taken: ReadonlySet<number>, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new MediaError(MediaErrorCode.NoRtp, `no RTP with payload type ${[...payloadTypes].join('/')} arrived within ${timeoutMs} ms to learn its SSRC`));
      }, timeoutMs);
      const waiter: Waiter = {
        payloadTypes,
        taken,
        resolve: (ssrc) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(ssrc);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private onMessage(msg: Buffer, from: dgram.RemoteInfo, port: 'rtp' | 'rtcp'): void {
    if (this.closed || !this.inner) return;
    const socket = port === 'rtp' ? this.rtp : this.rtcp!;
    const inner = port === 'rtp' ? this.inner.rtp : (this.inner.rtcp ?? this.inner.rtp);
    if (from.address === inner.ip && from.port === inner.port) {
      const remote = port === 'rtp' ? this.remoteRtp : this.remoteRtcp;
      if (remote) socket.send(msg, remote.port, remote.ip);
      return;
    }
    let remote = port === 'rtp' ? this.remoteRtp : this.remoteRtcp;
    if (!remote && this.comedia) {
      remote = { ip: from.address, port: from.port };
      if (port === 'rtp') this.remoteRtp = remote;
      else this.remoteRtcp = remote;
    }
    if (!remote || remote.ip !== from.address || remote.port !== from.port) return;
    if (port === 'rtp' && !isRtcp(msg) && msg.length >= 12 && this.waiters.size > 0) {
      const payloadType = msg[1]! & 0x7f;
      const ssrc = msg.readUInt32BE(8);
      for (const w of this.waiters) if (w.payloadTypes.has(payloadType) && !w.taken.has(ssrc)) w.resolve(ssrc);
    }
    socket.send(msg, inner.port, inner.ip);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiters.clear();
    this.rtp.close();
    this.rtcp?.close();
  }
}
