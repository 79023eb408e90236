/**
 * A hand-made RTP endpoint for tests: a UDP socket on 127.0.0.1 that builds and parses RTP
 * packets, streams at a packet interval (bounded), and records what arrives. Stands in for a SIP
 * phone, room system or the audio mixer.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export interface RtpHeader {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
}

export interface ReceivedRtp extends RtpHeader {
  payload: Buffer;
}

/** RFC 3550 header (+ optional RFC 6464 audio level as a one-byte RFC 8285 extension). */
export function buildRtp(h: RtpHeader, payload: Buffer, audioLevel?: { extensionId: number; dBov: number }): Buffer {
  const ext = audioLevel ? Buffer.from([0xbe, 0xde, 0x00, 0x01, (audioLevel.extensionId << 4) | 0, Math.min(127, -audioLevel.dBov) & 0x7f, 0, 0]) : Buffer.alloc(0);
  const header = Buffer.alloc(12);
  header[0] = 0x80 | (audioLevel ? 0x10 : 0);
  header[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  header.writeUInt16BE(h.sequenceNumber & 0xffff, 2);
  header.writeUInt32BE(h.timestamp >>> 0, 4);
  header.writeUInt32BE(h.ssrc >>> 0, 8);
  return Buffer.concat([header, ext, payload]);
}

/** RTCP (RFC 5761 demux: second byte 192–223) → undefined. */
export function parseRtp(buf: Buffer): ReceivedRtp | undefined {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return undefined;
  if (buf[1]! >= 192 && buf[1]! <= 223) return undefined;
  const cc = buf[0]! & 0x0f;
  let offset = 12 + cc * 4;
  if (buf[0]! & 0x10) offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  return {
    payloadType: buf[1]! & 0x7f,
    marker: (buf[1]! & 0x80) !== 0,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset),
  };
}

export interface StreamOptions {
  payloadType: number;
  ssrc: number;
  /** RTP timestamp step per packet (960 = 20 ms of Opus, 160 = 20 ms of G.711). */
  timestampStep: number;
  intervalMs?: number;
  /** Stop on its own after this many packets (bounds every test). */
  maxPackets?: number;
  payload?: (i: number) => Buffer;
  audioLevel?: { extensionId: number; dBov: number };
}

export class RtpPeer {
  readonly received: ReceivedRtp[] = [];
  rtcpPackets = 0;
  private readonly streams = new Set<NodeJS.Timeout>();

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg) => {
      const p = parseRtp(msg);
      if (p) this.received.push(p);
      else this.rtcpPackets++;
    });
  }

  static async open(): Promise<RtpPeer> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve());
    });
    return new RtpPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(buf: Buffer, port: number, ip = '127.0.0.1'): void {
    this.socket.send(buf, port, ip);
  }

  /** Sends packets every intervalMs until stopped (or maxPackets). Returns the stop function. */
  stream(port: number, o: StreamOptions, ip = '127.0.0.1'): () => void {
    let i = 0;
    const seq0 = Math.floor(Math.random() * 30000);
    const ts0 = Math.floor(Math.random() * 2 ** 30);
    const max = o.maxPackets ?? 1500;
    const timer = setInterval(() => {
      if (i >= max) return stop();
      const payload = o.payload?.(i) ?? randomBytes(60);
      this.send(buildRtp({ payloadType: o.payloadType, ssrc: o.ssrc, sequenceNumber: seq0 + i, timestamp: ts0 + i * o.timestampStep, marker: i === 0 }, payload, o.audioLevel), port, ip);
      i++;
    }, o.intervalMs ?? 20);
    const stop = () => {
      clearInterval(timer);
      this.streams.delete(timer);
    };
    this.streams.add(timer);
    return stop;
  }

  /** Resolves once a received packet matches (or rejects after timeoutMs). */
  async waitFor(match: (p: ReceivedRtp) => boolean, timeoutMs = 10_000): Promise<ReceivedRtp> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(match);
      if (hit) return hit;
      if (Date.now() > until) throw new Error(`no matching RTP packet within ${timeoutMs} ms (${this.received.length} received)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    for (const t of this.streams) clearInterval(t);
    this.streams.clear();
    this.socket.close();
  }
}
