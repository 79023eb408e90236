import { describe, expect, it } from 'vitest';
import { eventually } from './support/convene-process.js';
import { useScriptedVideoCalls } from './support/scripted-video-calls.js';

/**
 * A call that starts audio-only and adds a video m-line by re-INVITE: that re-INVITE is answered
 * at once with video port 0 (no socket yet), then the gateway offers video by its own re-INVITE;
 * the endpoint (a scripted UA) takes it and receives the meeting's camera (ffmpeg H.264 from a second UA).
 */
const calls = useScriptedVideoCalls();

describe('video added by a re-INVITE', () => {
  it('is offered back by our re-INVITE, and the meeting’s video reaches the endpoint', async () => {
    const { f } = calls;
    const { target } = await calls.newRoom();
    const camera = await calls.dial(target, 'camera-room', { payloadType: 96 });
    calls.sendCamera(camera, { ssrc: 0x0c0ffee1, seconds: 40 });

    const phone = await calls.dial(target, 'escalating-phone', null);
    expect(phone.answer.media.filter((m) => m.type === 'video')).toEqual([]);
    await eventually(() => f.service.calls.list().filter((c) => c.state === 'in_meeting').length === 2, 20_000);

    const re = await phone.reinvite({ payloadType: 109 });
    expect(re.status).toBe(200);
    // Answered at once: the new video line with port 0.
    expect(re.answer!.media.find((m) => m.type === 'video')!.port).toBe(0);
    // Then our re-INVITE offers video, which the endpoint takes.
    await eventually(() => phone.offersReceived.some((o) => o.media.some((m) => m.type === 'video' && m.port > 0)), 10_000);
    const offered = phone.offersReceived.find((o) => o.media.some((m) => m.type === 'video' && m.port > 0))!;
    const h264 = offered.media.find((m) => m.type === 'video')!.rtp.find((r) => /^h264$/i.test(r.codec))!.payload;
    try {
      await eventually(() => (phone.videoReceived.get(h264) ?? 0) > 50, 20_000);
    } catch (err) {
      const live = f.service.calls.list();
      const stats = await Promise.all(live.map((c) => f.service.calls.videoStats(c.callId)));
      throw new Error(`the phone got ${JSON.stringify([...phone.videoReceived])}: ${JSON.stringify(live.map((c) => c.video))} ${JSON.stringify(stats)}`, { cause: err });
    }
    expect(f.service.calls.list().filter((c) => c.video !== null).length).toBe(2);
    for (const ua of [camera, phone]) await ua.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
