/**
 * A SIP caller's media side for engine tests: a real UDP socket on loopback that streams a codec's
 * frames (encoded with the product codecs, as a phone would), sends hand-built packets, and decodes
 * what the engine sends back.
 */
import type dgram from 'node:dgram';
import { decodeAlaw, decodeUlaw, encodeUlaw, G722Decoder, G722Encoder } from '../../codecs/index.js';
import { writeRtpPacket } from '../../rtp/index.js';
import { bindLoopbackUdp, copyRtp, isRtcpDatagram, type RtpFields } from './loopback-rtp.js';
import { newOpus } from '../frame-codec.js';
import type { AudioCodecName } from '../types.js';
import { concat } from './audio-probe.js';

export interface ReceivedPacket extends RtpFields {
  raw: Uint8Array;
  from: { address: string; port: number };
}

export class CallerPeer {
  readonly received: ReceivedPacket[] = [];
  rtcpReceived = 0;
  /** Applied to every datagram before parsing (SRTP unprotect); return null to drop. */
  inbound: ((raw: Uint8Array) => Uint8Array | null) | null = null;
  private timers = new Set<NodeJS.Timeout>();

  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (msg, rinfo) => {
      if (isRtcpDatagram(msg)) {
        this.rtcpReceived++;
        return;
      }
      const plain = this.inbound ? this.inbound(msg) : msg;
      if (!plain) return;
      const rtp = copyRtp(plain);
      if (!rtp) return;
      this.received.push({
        ...rtp,
        raw: Uint8Array.prototype.slice.call(plain),
        from: { address: rinfo.address, port: rinfo.port },
      });
    });
  }

  static async open(port = 0): Promise<CallerPeer> {
    return new CallerPeer(await bindLoopbackUdp(port));
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(buf: Uint8Array, port: number): void {
    this.socket.send(buf, port, '127.0.0.1');
  }

  /**
   * Streams `pcm` (at the codec's PCM rate) as 20 ms RTP frames every 20 ms, looping, at most
   * `maxPackets` packets. `outbound` can transform each packet (SRTP protect). Returns stop().
   */
  streamPcm(
    port: number,
    o: { codec: AudioCodecName; payloadType: number; ssrc: number; pcm: () => Int16Array; maxPackets: number; outbound?: (p: Uint8Array) => Uint8Array },
  ): () => void {
    const enc = frameEncoder(o.codec);
    const buf = new Uint8Array(1500);
    let seq = 1000;
    let ts = 5000;
    let pos = 0;
    let sent = 0;
    const timer = setInterval(() => {
      if (sent >= o.maxPackets) return stop();
      const src = o.pcm();
      const frame = new Int16Array(enc.samples);
      for (let i = 0; i < enc.samples; i++) frame[i] = src.length ? src[(pos + i) % src.length]! : 0;
      pos = src.length ? (pos + enc.samples) % src.length : 0;
      const payload = enc.encode(frame);
      const len = writeRtpPacket(buf, { marker: sent === 0, payloadType: o.payloadType, sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, ssrc: o.ssrc }, payload);
      const packet = buf.subarray(0, len);
      this.send(o.outbound ? o.outbound(packet) : packet, port);
      seq++;
      ts += enc.timestampStep;
      sent++;
    }, 20);
    const stop = (): void => {
      clearInterval(timer);
      this.timers.delete(timer);
    };
    this.timers.add(timer);
    return stop;
  }

  /** The PCM of received packets of `payloadType` from index `from` on (decoded in order of arrival). */
  decoded(codec: AudioCodecName, payloadType: number, from = 0): Int16Array {
    const dec = frameDecoder(codec);
    return concat(this.received.slice(from).filter((p) => p.payloadType === payloadType).map((p) => dec(p.payload)));
  }

  async waitFor(match: (p: ReceivedPacket) => boolean, timeoutMs = 5000): Promise<ReceivedPacket> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.find(match);
      if (hit) return hit;
      if (Date.now() > until) throw new Error(`no matching packet within ${timeoutMs} ms (${this.received.length} received)`);
      await sleep(20);
    }
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    this.socket.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function frameEncoder(codec: AudioCodecName): { samples: number; timestampStep: number; encode(pcm: Int16Array): Uint8Array } {
  switch (codec) {
    case 'PCMU':
      return { samples: 160, timestampStep: 160, encode: (pcm) => { const o = new Uint8Array(160); encodeUlaw(pcm, o); return o; } };
    case 'G722': {
      const g = new G722Encoder();
      return { samples: 320, timestampStep: 160, encode: (pcm) => { const o = new Uint8Array(160); g.encode(pcm, o); return o; } };
    }
    case 'opus': {
      const opus = newOpus();
      return { samples: 960, timestampStep: 960, encode: (pcm) => new Uint8Array(opus.encode(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength))) };
    }
    default:
      throw new Error(`test encoder for ${codec} not needed`);
  }
}

export function frameDecoder(codec: AudioCodecName): (payload: Uint8Array) => Int16Array {
  switch (codec) {
    case 'PCMU':
      return (p) => { const o = new Int16Array(p.length); decodeUlaw(p, o); return o; };
    case 'PCMA':
      return (p) => { const o = new Int16Array(p.length); decodeAlaw(p, o); return o; };
    case 'G722': {
      const g = new G722Decoder();
      return (p) => { const o = new Int16Array(p.length * 2); g.decode(p, o); return o; };
    }
    case 'opus': {
      const opus = newOpus();
      return (p) => {
        const b = opus.decode(Buffer.from(p));
        return new Int16Array(Uint8Array.prototype.slice.call(b).buffer);
      };
    }
  }
}
