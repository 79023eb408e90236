import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encoderArgs, startFfmpeg } from '../sip-gateway/src/media/video/testing/ffmpeg-rtp.js';
import { eventually } from './support/convene-process.js';
import { startScriptedUa, type ScriptedUa } from './support/scripted-sip-ua.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

/**
 * RFC 3264 §5.1/§6.1: an SDP's payload type numbers are what its author receives. Two scripted
 * room systems offer H.264 at numbers of their own (not the room's): one sends ffmpeg H.264 into the
 * meeting with our answer's number, the other receives that camera in ITS offered number.
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

describe('video payload types', () => {
  it("a room system receives our video in the payload type of its own offer, and sends with our answer's", async () => {
    const room = await createRoom(f, await createCompany(f));
    const target = { user: room.address.split('@')[0]!, port: f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port };
    const sender = await startScriptedUa({ ...target, name: 'camera-room', video: { payloadType: 96 } });
    uas.push(sender);
    const receiver = await startScriptedUa({ ...target, name: 'strict-room', video: { payloadType: 109 } });
    uas.push(receiver);
    const answeredPt = (ua: ScriptedUa) => ua.answer.media.find((m) => m.type === 'video')!.rtp[0]!.payload;
    const senderVideo = sender.answer.media.find((m) => m.type === 'video')!;
    expect(senderVideo.port).toBeGreaterThan(0);
    // Our answer lists the room's number, which is neither of theirs.
    expect([96, 109]).not.toContain(answeredPt(sender));
    expect(answeredPt(receiver)).toBe(answeredPt(sender));
    await eventually(() => f.service.calls.list().filter((c) => c.state === 'in_meeting' && c.video !== null).length === 2, 20_000);

    startFfmpeg(encoderArgs({ codec: 'h264', source: 'testsrc', port: senderVideo.port, seconds: 20, payloadType: answeredPt(sender), ssrc: 0x0c0ffee0 }), 30_000, children);
    try {
      await eventually(() => (receiver.videoReceived.get(109) ?? 0) > 50, 20_000);
    } catch (err) {
      const stats = await Promise.all(f.service.calls.list().map((c) => f.service.calls.videoStats(c.callId)));
      throw new Error(`the receiver got ${JSON.stringify([...receiver.videoReceived])}: ${JSON.stringify(stats)}`, { cause: err });
    }
    // Only its own number: nothing in the room's.
    expect([...receiver.videoReceived.keys()]).toEqual([109]);
    for (const ua of uas) await ua.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
