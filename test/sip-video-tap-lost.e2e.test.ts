import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaRoomApi, VideoTapApi } from '../sfu/src/index.js';
import { encoderArgs, startFfmpeg } from '../sip-gateway/src/media/video/testing/ffmpeg-rtp.js';
import { eventually } from './support/convene-process.js';
import { startScriptedUa, type ScriptedUa } from './support/scripted-sip-ua.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

/**
 * The meeting's video tap closes under its calls (here: closed through the SFU room, as a failure
 * would): the gateway reopens it and the room system keeps receiving the meeting's camera.
 */
let f: ServiceFixture;
const uas: ScriptedUa[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  f = await startServiceFixture();
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const ua of uas) ua.close();
  await f?.stop();
});

describe('the meeting video tap lost under the calls', () => {
  it('is reopened and video keeps reaching the room system', async () => {
    const room = await createRoom(f, await createCompany(f));
    const target = { user: room.address.split('@')[0]!, port: f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port };
    const camera = await startScriptedUa({ ...target, name: 'camera-room', video: { payloadType: 96 } });
    uas.push(camera);
    const viewer = await startScriptedUa({ ...target, name: 'viewer-room', video: { payloadType: 96 } });
    uas.push(viewer);
    const cameraVideo = camera.answer.media.find((m) => m.type === 'video')!;
    startFfmpeg(encoderArgs({ codec: 'h264', source: 'testsrc', port: cameraVideo.port, seconds: 40, payloadType: cameraVideo.rtp[0]!.payload, ssrc: 0x0c0ffee2 }), 50_000, children);
    const received = () => viewer.videoReceived.get(96) ?? 0;
    await eventually(() => received() > 50, 20_000);

    // A participant of our own reaches the SFU room; its tap (the gateway's) is closed from there.
    const observer = await f.service.meetings.join({ address: room.address, displayName: 'Observer', mode: 'audio-only', bandwidthKbps: 100, kind: 'sip', callerAddress: 'sip:observer@example.com', source: '127.0.0.1' });
    const closed = await observer.readMediaRoom((r: MediaRoomApi) => {
      // The room's one tap is private to it; the test reaches it to close it as a failure would.
      const tap = (r as unknown as { videoTap?: VideoTapApi }).videoTap;
      tap?.close();
      return tap !== undefined;
    });
    expect(closed).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    const after = received();
    try {
      await eventually(() => received() > after + 50, 15_000);
    } catch (err) {
      throw new Error(`no video after the tap closed: ${after} → ${received()}`, { cause: err });
    }
    expect(await f.service.registry.metrics()).toMatch(/gateway_video_tap_lost_total\{outcome="reopened"\} 1/);
    await observer.leave();
    for (const ua of uas) await ua.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
