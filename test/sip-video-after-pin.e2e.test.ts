import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeToneWav } from './support/audio-analysis.js';
import { startBaresipCaller, type BaresipCaller } from './support/baresip-caller.js';
import { eventually } from './support/convene-process.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';

/**
 * A fresh node's first call stops in the PIN IVR: no meeting has been joined yet, so the routers'
 * video payload types are unknown and the answer is audio with video port 0. Once the PIN is in, the
 * gateway offers video by re-INVITE; baresip (avcodec H.264) takes it and its camera reaches the meeting.
 */
let f: ServiceFixture;
let dir: string;
const callers: BaresipCaller[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sip-video-pin-'));
  f = await startServiceFixture();
}, 60_000);

afterAll(async () => {
  for (const c of callers) await c.stop();
  await f?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the first call of a node, answered in the PIN IVR', () => {
  it('gets video by re-INVITE once the PIN is in', async () => {
    const room = await createRoom(f, await createCompany(f), { hostPin: '1357' });
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const tone = path.join(dir, 'tone.wav');
    writeToneWav(tone, 500, 60, 8000, 0.3);
    const vtc = await startBaresipCaller({ dir, user: 'first-room', sourceWav: tone, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15 } });
    callers.push(vtc);
    await vtc.dial(`sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`);
    await eventually(() => f.service.calls.list().some((c) => c.state === 'ivr'), 20_000);
    const call = f.service.calls.list().find((c) => c.state === 'ivr')!;
    expect(call.video).toBeNull();
    expect(call.localSdp).toMatch(/^m=video 0 /m);
    await new Promise((r) => setTimeout(r, 1_500));
    await vtc.sendDigits('1357#');
    try {
      await eventually(() => f.service.calls.list().some((c) => c.callId === call.callId && c.state === 'in_meeting' && c.video !== null), 20_000);
      await eventually(async () => ((await f.service.calls.videoStats(call.callId))?.packetsRelayed ?? 0) > 0, 20_000);
    } catch (err) {
      throw new Error(`no video after the PIN: ${JSON.stringify(f.service.calls.list().map((c) => ({ ...c, localSdp: undefined })))}\n${vtc.output().slice(-3000)}`, { cause: err });
    }
    expect(f.service.calls.list().find((c) => c.callId === call.callId)!.video).toMatchObject({ codec: 'H264', roles: ['main'] });
    await vtc.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
