/**
 * Test support: writes RTP packets into a classic pcap file (Ethernet/IPv4/UDP) that sipp's
 * `play_pcap_audio` replays with the original spacing — for media sipp's own pcaps don't cover
 * (in-band DTMF tones, fresh RFC 4733 events with timestamps of our choosing).
 */
import fs from 'node:fs';

export interface PcapRtpPacket {
  /** Send time from the start of the capture, ms. */
  atMs: number;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload: Uint8Array;
}

export function writeRtpPcap(file: string, packets: PcapRtpPacket[]): void {
  const chunks: Buffer[] = [];
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(65535, 16);
  global.writeUInt32LE(1, 20); // Ethernet
  chunks.push(global);
  for (const p of packets) {
    const rtp = Buffer.alloc(12 + p.payload.length);
    rtp[0] = 0x80;
    rtp[1] = (p.marker ? 0x80 : 0) | p.payloadType;
    rtp.writeUInt16BE(p.sequenceNumber & 0xffff, 2);
    rtp.writeUInt32BE(p.timestamp >>> 0, 4);
    rtp.writeUInt32BE(p.ssrc >>> 0, 8);
    Buffer.from(p.payload).copy(rtp, 12);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(6000, 0);
    udp.writeUInt16BE(6001, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([127, 0, 0, 1], 12);
    ip.set([127, 0, 0, 1], 16);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.atMs / 1000), 0);
    rec.writeUInt32LE(Math.round((p.atMs % 1000) * 1000), 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    chunks.push(rec, frame);
  }
  fs.writeFileSync(file, Buffer.concat(chunks));
}
