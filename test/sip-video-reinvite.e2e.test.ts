import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoderArgs, startFfmpeg } from '../sip-gateway/src/media/video/testing/ffmpeg-rtp.js';
import { eventually } from './support/convene-process.js';
import { startScriptedUa, type ScriptedUa } from './support/scripted-sip-ua.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

/**
 * A call that starts audio-only and adds a video m-line by re-INVITE: that re-INVITE is answered
 * at once with video port 0 (no socket yet), then the gateway offers video by its own re-INVITE;
 * the endpoint (a scripted UA) takes it and receives the meeting's camera (ffmpeg H.264 from a second UA).
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

describe('video added by a re-INVITE', () => {
  it('is offered back by our re-INVITE, and the meeting’s video reaches the endpoint', async () => {
    const room = await createRoom(f, await createCompany(f));
    const target = { user: room.address.split('@')[0]!, port: f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port };
    const camera = await startScriptedUa({ ...target, name: 'camera-room', video: { payloadType: 96 } });
    uas.push(camera);
    const cameraVideo = camera.answer.media.find((m) => m.type === 'video')!;
    startFfmpeg(encoderArgs({ codec: 'h264', source: 'testsrc', port: cameraVideo.port, seconds: 40, payloadType: cameraVideo.rtp[0]!.payload, ssrc: 0x0c0ffee1 }), 50_000, children);

    const phone = await startScriptedUa({ ...target, name: 'escalating-phone', video: null });
    uas.push(phone);
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
      const calls = f.service.calls.list();
      const stats = await Promise.all(calls.map((c) => f.service.calls.videoStats(c.callId)));
      throw new Error(`the phone got ${JSON.stringify([...phone.videoReceived])}: ${JSON.stringify(calls.map((c) => c.video))} ${JSON.stringify(stats)}`, { cause: err });
    }
    expect(f.service.calls.list().filter((c) => c.video !== null).length).toBe(2);
    for (const ua of uas) await ua.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
