import { describe, expect, it } from 'vitest';
import { eventually } from './support/convene-process.js';
import type { ScriptedUa } from './support/scripted-sip-ua.js';
import { useScriptedVideoCalls } from './support/scripted-video-calls.js';

/**
 * RFC 3264 §5.1/§6.1: an SDP's payload type numbers are what its author receives. Two scripted
 * room systems offer H.264 at numbers of their own (not the room's): one sends ffmpeg H.264 into the
 * meeting with our answer's number, the other receives that camera in ITS offered number.
 */
const calls = useScriptedVideoCalls();

describe('video payload types', () => {
  it("a room system receives our video in the payload type of its own offer, and sends with our answer's", async () => {
    const { f } = calls;
    const { target } = await calls.newRoom();
    const sender = await calls.dial(target, 'camera-room', { payloadType: 96 });
    const receiver = await calls.dial(target, 'strict-room', { payloadType: 109 });
    const answeredPt = (ua: ScriptedUa) => ua.answer.media.find((m) => m.type === 'video')!.rtp[0]!.payload;
    const senderVideo = sender.answer.media.find((m) => m.type === 'video')!;
    expect(senderVideo.port).toBeGreaterThan(0);
    // Our answer lists the room's number, which is neither of theirs.
    expect([96, 109]).not.toContain(answeredPt(sender));
    expect(answeredPt(receiver)).toBe(answeredPt(sender));
    await eventually(() => f.service.calls.list().filter((c) => c.state === 'in_meeting' && c.video !== null).length === 2, 20_000);

    calls.sendCamera(sender, { ssrc: 0x0c0ffee0, seconds: 20 });
    try {
      await eventually(() => (receiver.videoReceived.get(109) ?? 0) > 50, 20_000);
    } catch (err) {
      const stats = await Promise.all(f.service.calls.list().map((c) => f.service.calls.videoStats(c.callId)));
      throw new Error(`the receiver got ${JSON.stringify([...receiver.videoReceived])}: ${JSON.stringify(stats)}`, { cause: err });
    }
    // Only its own number: nothing in the room's.
    expect([...receiver.videoReceived.keys()]).toEqual([109]);
    for (const ua of [sender, receiver]) await ua.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
