/**
 * Video peers for engine tests: a real UDP socket on loopback that records the RTP and RTCP it
 * receives (optionally through SRTP), and an H.264 RTP source built in code — keyframes as a STAP-A
 * with SPS+PPS then FU-A IDR fragments, delta frames as single NAL units, each payload filled with
 * the source's tag byte so a test can tell whose picture a packet carries.
 */
import type dgram from 'node:dgram';
import { writeRtpPacket } from '../../rtp/index.js';
import type { CallVideoSession } from '../types.js';
import { bindLoopbackUdp, copyRtp, isRtcpDatagram, type RtpFields } from './loopback-rtp.js';

export interface VideoRtp extends RtpFields {
  from: { address: string; port: number };
  atMs: number;
}

export class VideoPeer {
  readonly rtp: VideoRtp[] = [];
  readonly rtcp: Array<{ data: Uint8Array; from: { address: string; port: number } }> = [];
  /** Applied to RTP before parsing (SRTP unprotect); null drops. */
  inboundRtp: ((raw: Uint8Array) => Uint8Array | null) | null = null;
  inboundRtcp: ((raw: Uint8Array) => Uint8Array | null) | null = null;
  /** Called for each RTCP datagram after recording it. */
  onRtcp: ((data: Uint8Array, from: { address: string; port: number }) => void) | null = null;

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      const from = { address: rinfo.address, port: rinfo.port };
      if (isRtcpDatagram(msg)) {
        const plain = this.inboundRtcp ? this.inboundRtcp(msg) : msg;
        if (!plain) return;
        const data = Uint8Array.prototype.slice.call(plain);
        this.rtcp.push({ data, from });
        this.onRtcp?.(data, from);
        return;
      }
      const plain = this.inboundRtp ? this.inboundRtp(msg) : msg;
      if (!plain) return;
      const rtp = copyRtp(plain);
      if (!rtp) return;
      this.rtp.push({
        ...rtp,
        from,
        atMs: Date.now(),
      });
    });
  }

  static async open(): Promise<VideoPeer> {
    const socket = await bindLoopbackUdp();
    socket.setRecvBufferSize(4 * 1024 * 1024);
    return new VideoPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(buf: Uint8Array, port: number, ip = '127.0.0.1'): void {
    this.socket.send(buf, port, ip);
  }

  async waitUntil(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms (rtp ${this.rtp.length}, rtcp ${this.rtcp.length})`);
      await sleep(10);
    }
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // closed
    }
  }
}

/** What a plain H.264 room system at `caller` negotiates: sendrecv, RTCP muxed, no SRTP, no latching, PLI and TMMBR, no cap. */
export function h264CallerSession(caller: VideoPeer, payloadType: number, over: Partial<CallVideoSession> = {}): CallVideoSession {
  return {
    codec: { name: 'H264', payloadType, clockRate: 90000, fmtp: 'packetization-mode=1;profile-level-id=42e01f' },
    remote: { ip: '127.0.0.1', rtpPort: caller.port, rtcpPort: caller.port },
    rtcpMux: true,
    srtp: null,
    direction: 'sendrecv',
    symmetric: false,
    feedback: { pli: true, fir: false, nack: false, remb: false, tmmbr: true },
    capBps: 0,
    ...over,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The tag byte a synthetic H.264 packet carries (its payload's last byte), or -1. */
export function tagOf(payload: Uint8Array): number {
  return payload.length > 2 ? payload[payload.length - 1]! : -1;
}

/** Is this payload the first packet of a synthetic keyframe (STAP-A holding an SPS)? */
export function isSyntheticKeyframeStart(payload: Uint8Array): boolean {
  return (payload[0]! & 0x1f) === 24 && (payload[3]! & 0x1f) === 7;
}

/**
 * An H.264 RTP source at `fps` frames per second, `packetsPerFrame` packets of about `packetBytes`
 * each; a keyframe every `gop` frames or on request (`keyframeNext()`, as a browser answers PLI).
 */
export class H264Source {
  sequence: number;
  timestamp: number;
  frames = 0;
  keyframesSent = 0;
  private forceKey = true;
  private timer: NodeJS.Timeout | null = null;
  private readonly buf = new Uint8Array(1500);

  constructor(
    readonly o: { ssrc: number; payloadType: number; tag: number; fps?: number; packetsPerFrame?: number; packetBytes?: number; gop?: number; startSequence?: number },
  ) {
    this.sequence = o.startSequence ?? 1000;
    this.timestamp = 90_000;
  }

  keyframeNext(): void {
    this.forceKey = true;
  }

  /** The packets of the next frame. */
  nextFrame(): Uint8Array[] {
    const n = this.o.packetsPerFrame ?? 4;
    const bytes = this.o.packetBytes ?? 1000;
    const gop = this.o.gop ?? 300;
    const key = this.forceKey || this.frames % gop === 0;
    this.forceKey = false;
    if (key) this.keyframesSent++;
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      let head: number[];
      if (key && i === 0) head = [0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce]; // STAP-A: SPS, PPS
      else if (key) head = [0x7c, i === 1 ? 0x85 : i === n - 1 ? 0x45 : 0x05]; // FU-A of an IDR (S on 1st, E on last)
      else head = [0x41]; // non-IDR slice
      const payload = new Uint8Array(key && i === 0 ? head.length + 1 : bytes);
      payload.set(head);
      payload.fill(this.o.tag, head.length);
      const len = writeRtpPacket(
        this.buf,
        { marker: i === n - 1, payloadType: this.o.payloadType, sequenceNumber: this.sequence & 0xffff, timestamp: this.timestamp >>> 0, ssrc: this.o.ssrc },
        payload,
      );
      out.push(Uint8Array.prototype.slice.call(this.buf, 0, len));
      this.sequence = (this.sequence + 1) & 0xffff;
    }
    this.timestamp = (this.timestamp + Math.round(90_000 / (this.o.fps ?? 30))) >>> 0;
    this.frames++;
    return out;
  }

  /** Sends frames through `send` at the frame rate until stop() or `maxFrames`. */
  start(send: (packet: Uint8Array) => void, maxFrames: number): () => void {
    const interval = Math.round(1000 / (this.o.fps ?? 30));
    let sent = 0;
    this.timer = setInterval(() => {
      if (sent++ >= maxFrames) return this.stop();
      for (const p of this.nextFrame()) send(p);
    }, interval);
    return () => this.stop();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
