/**
 * What the engine tests' peers (CallerPeer, VideoPeer) do alike: a UDP socket bound on loopback,
 * and each datagram told RTCP from RTP, the RTP copied out of the socket's buffer.
 */
import dgram from 'node:dgram';
import { parseRtp } from '../../rtp/index.js';

export async function bindLoopbackUdp(port = 0): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve());
  });
  return socket;
}

/** RTCP packet types 192–223 in the second byte (RFC 5761 §4). */
export function isRtcpDatagram(msg: Uint8Array): boolean {
  const b1 = msg[1] ?? 0;
  return b1 >= 192 && b1 <= 223;
}

export interface RtpFields {
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker: boolean;
  payload: Uint8Array;
}

/** The packet's header fields and a copy of its payload (the datagram's buffer is not kept); null if it is not RTP. */
export function copyRtp(plain: Uint8Array): RtpFields | null {
  const v = parseRtp(plain);
  if (!v) return null;
  return {
    payloadType: v.payloadType,
    sequenceNumber: v.sequenceNumber,
    timestamp: v.timestamp,
    ssrc: v.ssrc,
    marker: v.marker,
    payload: Uint8Array.prototype.slice.call(plain, v.payloadOffset, v.payloadOffset + v.payloadLength),
  };
}
