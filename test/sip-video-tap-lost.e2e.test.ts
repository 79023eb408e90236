import { describe, expect, it } from 'vitest';
import type { MediaRoomApi, VideoTapApi } from '../sfu/src/index.js';
import { eventually } from './support/convene-process.js';
import { useScriptedVideoCalls } from './support/scripted-video-calls.js';

/**
 * The meeting's video tap closes under its calls (here: closed through the SFU room, as a failure
 * would): the gateway reopens it and the room system keeps receiving the meeting's camera.
 */
const calls = useScriptedVideoCalls();

describe('the meeting video tap lost under the calls', () => {
  it('is reopened and video keeps reaching the room system', async () => {
    const { f } = calls;
    const { room, target } = await calls.newRoom();
    const camera = await calls.dial(target, 'camera-room', { payloadType: 96 });
    const viewer = await calls.dial(target, 'viewer-room', { payloadType: 96 });
    calls.sendCamera(camera, { ssrc: 0x0c0ffee2, seconds: 40 });
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
    for (const ua of [camera, viewer]) await ua.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
