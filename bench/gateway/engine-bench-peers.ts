/**
 * The phones of engine-bench.ts, in their own process so they never load the signalling thread
 * being measured: N UDP sockets that each stream a 20 ms G.711 µ-law frame of a tone every 20 ms
 * to their call's port, count what comes back, and one sink that counts the SFU feeds.
 * Driven over the fork IPC channel: → { ports, sinkPort }, ← start/stop, → { stats }.
 */
import dgram from 'node:dgram';
import { encodeUlaw } from '../../sip-gateway/src/media/codecs/index.js';
import { writeRtpPacket } from '../../sip-gateway/src/media/rtp/index.js';

const count = Number(process.argv[2] ?? 100);
const send = (m: unknown): void => void process.send?.(m);

function bind(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

const sockets: dgram.Socket[] = [];
const received = new Array<number>(count).fill(0);
for (let i = 0; i < count; i++) {
  const s = await bind();
  s.on('message', () => received[i]!++);
  sockets.push(s);
}
const sink = await bind();
let sinkPackets = 0;
sink.on('message', () => sinkPackets++);

// One second of a 600 Hz tone in µ-law, sliced into frames.
const pcm = new Int16Array(8000);
for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(6000 * Math.sin((2 * Math.PI * 600 * i) / 8000));
const ulaw = new Uint8Array(8000);
encodeUlaw(pcm, ulaw);

let timer: NodeJS.Timeout | null = null;
let sent = 0;
process.on('message', (m: { cmd: 'start'; callPorts: number[] } | { cmd: 'stop' }) => {
  if (m.cmd === 'start') {
    let frame = 0;
    const buf = new Uint8Array(200);
    timer = setInterval(() => {
      const payload = ulaw.subarray((frame % 50) * 160, (frame % 50) * 160 + 160);
      for (let i = 0; i < count; i++) {
        const len = writeRtpPacket(buf, { marker: frame === 0, payloadType: 0, sequenceNumber: frame & 0xffff, timestamp: frame * 160, ssrc: 1000 + i }, payload);
        sockets[i]!.send(buf.slice(0, len), m.callPorts[i]!, '127.0.0.1');
        sent++;
      }
      frame++;
    }, 20);
  } else {
    if (timer) clearInterval(timer);
    send({ stats: { sent, received: received.reduce((a, b) => a + b, 0), sinkPackets } });
    for (const s of sockets) s.close();
    sink.close();
    setTimeout(() => process.exit(0), 50);
  }
});
send({ ports: sockets.map((s) => s.address().port), sinkPort: sink.address().port });
