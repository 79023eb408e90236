/**
 * The far ends of video-legs-bench.ts in a process of their own, so that pacing the source and
 * receiving N legs never competes with the measured side for the bench's event loop: one H.264
 * source (answers PLI with a keyframe on its next frame) and N counting sinks. Driven over IPC.
 */
import dgram from 'node:dgram';
import { H264Source, VideoPeer } from '../../sip-gateway/src/media/engine/testing/video-peer.js';
import { keyframeRequestFor } from '../../sip-gateway/src/media/video/index.js';

type Command =
  | { cmd: 'source'; port: number; ssrc: number; payloadType: number; fps: number; packetsPerFrame: number; packetBytes: number; gop: number }
  | { cmd: 'sinks'; n: number }
  | { cmd: 'bytes' }
  | { cmd: 'reset' };

let source: H264Source | null = null;
let cam: VideoPeer | null = null;
let sinks: dgram.Socket[] = [];
let bytes = 0;

function reply(value: unknown): void {
  process.send!(value);
}

process.on('message', async (c: Command) => {
  switch (c.cmd) {
    case 'source': {
      cam = await VideoPeer.open();
      const src = new H264Source({ ssrc: c.ssrc, payloadType: c.payloadType, tag: 1, fps: c.fps, packetsPerFrame: c.packetsPerFrame, packetBytes: c.packetBytes, gop: c.gop });
      source = src;
      const peer = cam;
      peer.onRtcp = (d) => keyframeRequestFor(d, c.ssrc) && src.keyframeNext();
      // Paced against the clock, not the timer: a late tick sends the frames it owes.
      const t0 = performance.now();
      let sent = 0;
      const timer = setInterval(() => {
        const due = Math.floor(((performance.now() - t0) * c.fps) / 1000);
        for (; sent < due; sent++) for (const p of src.nextFrame()) peer.send(p, c.port);
      }, 5);
      src.stop = () => clearInterval(timer);
      return reply({ port: peer.port });
    }
    case 'sinks': {
      for (let i = 0; i < c.n; i++) {
        const s = dgram.createSocket('udp4');
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
        s.setRecvBufferSize(2 * 1024 * 1024);
        s.on('message', (m) => (bytes += m.length));
        sinks.push(s);
      }
      return reply({ ports: sinks.map((s) => s.address().port) });
    }
    case 'bytes':
      return reply({ bytes });
    case 'reset':
      source?.stop();
      source = null;
      cam?.close();
      cam = null;
      for (const s of sinks) s.close();
      sinks = [];
      bytes = 0;
      return reply({ ok: true });
  }
});
