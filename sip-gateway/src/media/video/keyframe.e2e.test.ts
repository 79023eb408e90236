/**
 * Keyframe detection against a real encoder: Debian's ffmpeg encodes a test pattern with libx264
 * (constrained baseline, packetization-mode 1: STAP-A parameter sets + FU-A IDR) and libvpx (VP8,
 * RFC 7741 descriptor with 15-bit PictureID) with a fixed 30-frame GOP, as RTP to our socket.
 * Every keyframe it made (frames 0, 30, 60, …, found by RTP timestamp) is detected; no other frame is.
 */
import type { ChildProcess } from 'node:child_process';
import type dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRtp } from '../rtp/index.js';
import { isKeyframeStart, type VideoCodec } from './keyframe.js';
import { bindUdp, encoderArgs, startFfmpeg } from './testing/ffmpeg-rtp.js';

const children: ChildProcess[] = [];
const sockets: dgram.Socket[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of sockets.splice(0)) s.close();
});

const FRAMES = 120; // 4 s at 30 fps: keyframes at 0, 30, 60, 90

describe.each<VideoCodec>(['h264', 'vp8'])('keyframes in ffmpeg %s RTP', (codec) => {
  it('every keyframe the encoder made is detected at the start of its frame, no delta frame is', async () => {
    const socket = await bindUdp(sockets);
    const packets: Buffer[] = [];
    socket.on('message', (m) => packets.push(m));
    const run = startFfmpeg(
      encoderArgs({ codec, source: 'testsrc', port: socket.address().port, seconds: FRAMES / 30, payloadType: 96, ssrc: 0x1234, readRate: 2 }),
      30_000,
      children,
    );
    const { stderr } = await run.done;
    expect(stderr).toBe('');
    await new Promise((r) => setTimeout(r, 200));

    const views = packets.map((p) => ({ p, v: parseRtp(p)! }));
    expect(views.every(({ v }) => v !== null && v.payloadType === 96)).toBe(true);
    // The encoder's frame n has RTP timestamp first + 3000·n (90 kHz at 30 fps).
    const firstTs = views[0]!.v.timestamp;
    const frameOf = (ts: number): number => Math.round(((ts - firstTs) >>> 0) / 3000);
    const framesSeen = new Set(views.map(({ v }) => frameOf(v.timestamp)));
    expect(framesSeen.size).toBeGreaterThanOrEqual(FRAMES - 2); // loopback: nothing much lost
    const detected = new Set<number>();
    const firstPacketOfFrame = new Set<number>();
    let lastTs = -1;
    for (const { p, v } of views) {
      const frame = frameOf(v.timestamp);
      const startsFrame = v.timestamp !== lastTs;
      lastTs = v.timestamp;
      if (isKeyframeStart(codec, p, v.payloadOffset, v.payloadLength)) {
        detected.add(frame);
        if (startsFrame) firstPacketOfFrame.add(frame);
      }
    }
    const expected = [...framesSeen].filter((f) => f % 30 === 0).sort((a, b) => a - b);
    expect(expected).toEqual([0, 30, 60, 90]);
    expect([...detected].sort((a, b) => a - b)).toEqual(expected);
    // Detected on the frame's first packet (for H.264 the STAP-A with the SPS), where a switch cuts in.
    expect([...firstPacketOfFrame].sort((a, b) => a - b)).toEqual(expected);
  });
});
