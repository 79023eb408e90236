import path from 'node:path';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { writeToneWav } from './support/audio-analysis.js';
import type { BaresipCaller } from './support/baresip-caller.js';
import { useBaresipCalls } from './support/baresip-calls.js';
import { eventually } from './support/convene-process.js';
import { createCompany, createRoom } from './support/service-fixture.js';

/**
 * Room-system video over TLS with SDES-SRTP on every m-line: two baresip room systems (avcodec
 * H.264, fakevideo) call one meeting over TLS with mandatory SRTP. Each one's camera reaches the
 * meeting through the engine (SRTP in, plain RTP to the SFU) and comes back out to the other
 * (plain RTP from the SFU's video tap, SRTP out): each decodes the other's H.264.
 */
const calls = useBaresipCalls({ name: 'sip-video-srtp-', tls: true });

describe('room-system video over TLS', () => {
  it('is SRTP on the video m-line both ways, and each room system decodes the other', async () => {
    const { f, dir } = calls;
    const room = await createRoom(f, await createCompany(f));
    const target = calls.tlsTarget(room.address);
    const tone = path.join(dir, 'tone.wav');
    writeToneWav(tone, 500, 60, 8000, 0.3);
    const systems: BaresipCaller[] = [];
    for (const user of ['east-room', 'west-room']) {
      const c = await calls.startCaller({ user, sourceWav: tone, audioCodecs: ['PCMU'], mediaenc: 'srtp-mand', transport: 'tls', video: { size: '640x360', fps: 15 } });
      systems.push(c);
      await c.dial(target);
    }
    try {
      await eventually(() => f.service.calls.list().filter((c) => c.state === 'in_meeting' && c.video !== null).length === 2, 30_000);
    } catch (err) {
      throw new Error(`the room systems did not join with video:\n${systems[0]!.output().slice(-3000)}`, { cause: err });
    }
    for (const call of f.service.calls.list()) {
      const video = sdpTransform.parse(call.localSdp!).media.find((m) => m.type === 'video')!;
      expect(video.port).toBeGreaterThan(0);
      expect(video.protocol).toBe('RTP/SAVP');
      expect(video.crypto?.[0]?.suite).toMatch(/^AES_CM_128_HMAC_SHA1_(80|32)$/);
    }
    try {
      await eventually(() => systems.every((s) => s.videoReceived() !== null), 30_000);
    } catch (err) {
      const stats = await Promise.all(f.service.calls.list().map((c) => f.service.calls.videoStats(c.callId)));
      throw new Error(`not every room system decoded video: ${JSON.stringify(stats)}\n${systems[1]!.output().slice(-3000)}`, { cause: err });
    }
    for (const s of systems) expect(s.videoReceived()).toEqual({ width: 640, height: 360 });
    for (const s of systems) await s.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
