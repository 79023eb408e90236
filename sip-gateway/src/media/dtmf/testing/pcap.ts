import { readFileSync } from 'node:fs';
import type { RtpPacketFields } from '../rfc4733-receiver.js';

/**
 * Test support: a tiny classic-pcap reader (global header + records; Ethernet → IPv4 → UDP → RTP),
 * enough for the captures sipp ships. Not product code.
 */
export function readRtpFromPcap(path: string): RtpPacketFields[] {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  if (magic === 0xa1b2c3d4) le = true;
  else if (magic === 0xd4c3b2a1) le = false;
  else throw new Error(`${path}: not a classic pcap file`);
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`${path}: link type ${linkType}, expected Ethernet`);
  const packets: RtpPacketFields[] = [];
  let offset = 24;
  while (offset + 16 <= buf.length) {
    const captured = u32(offset + 8);
    const frame = buf.subarray(offset + 16, offset + 16 + captured);
    offset += 16 + captured;
    if (frame.length < 14 || frame.readUInt16BE(12) !== 0x0800) continue; // not IPv4
    const ip = frame.subarray(14);
    if (ip[0]! >> 4 !== 4 || ip[9] !== 17) continue; // not IPv4/UDP
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    const rtp = udp.subarray(8, udp.readUInt16BE(4));
    if (rtp.length < 12 || rtp[0]! >> 6 !== 2) continue; // not RTP v2
    let headerLength = 12 + (rtp[0]! & 0x0f) * 4;
    if (rtp[0]! & 0x10) headerLength += 4 + rtp.readUInt16BE(headerLength + 2) * 4; // header extension
    packets.push({
      payloadType: rtp[1]! & 0x7f,
      marker: (rtp[1]! & 0x80) !== 0,
      sequenceNumber: rtp.readUInt16BE(2),
      timestamp: rtp.readUInt32BE(4),
      ssrc: rtp.readUInt32BE(8),
      payload: rtp.subarray(headerLength),
    });
  }
  return packets;
}
