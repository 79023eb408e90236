import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeToneWav } from './support/audio-analysis.js';
import { useBaresipCalls } from './support/baresip-calls.js';
import { eventually } from './support/convene-process.js';
import { createCompany, createRoom } from './support/service-fixture.js';

/**
 * A fresh node's first call stops in the PIN IVR before any meeting exists: the routers' video
 * payload types come from the configured codecs (`meetingRtpCapabilities`), so the answer already
 * takes video; once the PIN is in, baresip's (avcodec H.264) camera reaches the meeting, no re-INVITE.
 */
const calls = useBaresipCalls({ name: 'sip-video-pin-' });

describe('the first call of a node, answered in the PIN IVR', () => {
  it('is answered with video, which reaches the meeting once the PIN is in', async () => {
    const { f, dir } = calls;
    const room = await createRoom(f, await createCompany(f), { hostPin: '1357' });
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const tone = path.join(dir, 'tone.wav');
    writeToneWav(tone, 500, 60, 8000, 0.3);
    const vtc = await calls.startCaller({ user: 'first-room', sourceWav: tone, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15 } });
    await vtc.dial(`sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`);
    await eventually(() => f.service.calls.list().some((c) => c.state === 'ivr'), 20_000);
    const call = f.service.calls.list().find((c) => c.state === 'ivr')!;
    expect(call.localSdp).toMatch(/^m=video [1-9]\d* /m);
    const answered = call.localSdp;
    await new Promise((r) => setTimeout(r, 1_500));
    await vtc.sendDigits('1357#');
    try {
      await eventually(() => f.service.calls.list().some((c) => c.callId === call.callId && c.state === 'in_meeting' && c.video !== null), 20_000);
      await eventually(async () => ((await f.service.calls.videoStats(call.callId))?.packetsRelayed ?? 0) > 0, 20_000);
    } catch (err) {
      throw new Error(`no video after the PIN: ${JSON.stringify(f.service.calls.list().map((c) => ({ ...c, localSdp: undefined })))}\n${vtc.output().slice(-3000)}`, { cause: err });
    }
    const joined = f.service.calls.list().find((c) => c.callId === call.callId)!;
    expect(joined.video).toMatchObject({ codec: 'H264', roles: ['main'] });
    // Video from the first answer: no re-INVITE changed our SDP.
    expect(joined.localSdp).toBe(answered);
    await vtc.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
