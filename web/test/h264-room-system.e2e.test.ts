import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { RtpLegPort } from '../../server/src/meetings/index.js';
import type { MediaRoomApi } from '../../sfu/src/index.js';
import { RtpPeer } from '../../sfu/src/media/testing/rtp-peer.js';
import { joinWithForm, launchChromium } from '../../test/support/browser.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from '../../test/support/service-fixture.js';
import { buildWebApp } from '../build.mjs';

/**
 * H.264 both ways between a room system and a browser, end to end on one node:
 * - a room system's camera as the SIP gateway will feed it — an RTP leg in video mode that decodes
 *   only Opus, and H.264 constrained baseline RTP generated now by Debian's ffmpeg (libx264,
 *   640x360, 30 fps) — is decoded by a Chromium participant of the web app: its tile's <video>
 *   presents new frames at 640x360;
 * - that Chromium participant's own camera is published as H.264 simulcast with three layers
 *   (web/src/media/encodings.ts chooses it), so the room's video tap — the gateway's egress —
 *   offers it as video/H264 and delivers H.264 RTP from it without any transcoding; its screen
 *   share is H.264 as well.
 */
let f: ServiceFixture;
let browser: Browser;
let ffmpeg: ChildProcess | undefined;
const peers: RtpPeer[] = [];

beforeAll(async () => {
  await buildWebApp();
  f = await startServiceFixture();
  browser = await launchChromium();
});

afterAll(async () => {
  ffmpeg?.kill('SIGKILL');
  for (const p of peers) p.close();
  await browser?.close();
  await f?.stop();
});

describe('H.264 between a room system and a browser', () => {
  it('Chromium decodes a room system’s H.264 RTP camera at 640x360, and publishes its own camera (3-layer simulcast) and screen as H.264 to the video tap', async () => {
    const companyId = await createCompany(f);
    const room = await createRoom(f, companyId, { allowGuests: true });

    const { page, context, errors: pageErrors } = await joinWithForm(browser, `${f.httpUrl}/`, { address: room.address, name: 'Wendy Web', mode: 'video' });

    // The room system joins through the MeetingsApi with the leg the gateway builds for video.
    const sip = await f.service.meetings.join({
      address: room.address,
      displayName: 'Boardroom',
      mode: 'video',
      bandwidthKbps: 1200,
      kind: 'sip',
      callerAddress: 'sip:boardroom@example.com',
      source: '127.0.0.1',
    });
    const sipId = sip.participantId;
    const h264 = await sip.readMediaRoom((r: MediaRoomApi) => r.rtpCapabilities.codecs!.find((c) => c.mimeType === 'video/H264')!);
    const leg = await sip.attachMedia(async (r: MediaRoomApi) =>
      new RtpLegPort(
        await r.addRtpLeg(sipId, {
          mode: 'video',
          maxIncomingBitrateBps: 0,
          maxOutgoingBitrateBps: 0,
          rtpCapabilities: { codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 111, parameters: {}, rtcpFeedback: [] }], headerExtensions: [] },
        }),
        pino({ level: 'silent' }),
        sip,
      ),
    );
    const video = await leg.sfu.createRtpTransport({ role: 'video', comedia: true, rtcpMux: true });
    const ssrc = randomInt(1, 2 ** 31);
    await leg.produce({
      transportId: video.id,
      kind: 'video',
      source: 'camera',
      rtpParameters: {
        codecs: [{ mimeType: 'video/H264', payloadType: h264.preferredPayloadType!, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 }, rtcpFeedback: [] }],
        headerExtensions: [],
        encodings: [{ ssrc }],
        rtcp: { cname: 'boardroom', reducedSize: false },
      },
    });
    // Constrained baseline from libx264, packetization-mode 1 (ffmpeg's RTP muxer fragments with FU-A), bounded to 90 s.
    ffmpeg = spawn('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=30', '-t', '90',
      '-c:v', 'libx264', '-profile:v', 'baseline', '-tune', 'zerolatency', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '30', '-bf', '0',
      '-payload_type', String(h264.preferredPayloadType), '-ssrc', String(ssrc), '-f', 'rtp', `rtp://${video.ip}:${video.port}?pkt_size=1200`,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let ffmpegErr = '';
    ffmpeg.stderr?.on('data', (d: Buffer) => (ffmpegErr += d.toString()));
    ffmpeg.on('exit', (code) => {
      if (code) console.error(`ffmpeg exited ${code}: ${ffmpegErr}`);
    });

    // The browser's tile for the room system shows moving video at the room system's resolution.
    const tileVideo = page.locator(`[data-testid="tile"][data-participant-id="${sipId}"] video`);
    await tileVideo.waitFor({ state: 'attached', timeout: 20_000 });
    const presented = () =>
      tileVideo.evaluate(
        (v: HTMLVideoElement) =>
          new Promise<{ frames: number; width: number; height: number }>((resolve) => {
            let frames = 0;
            const until = performance.now() + 2000;
            const tick = () => {
              if (performance.now() > until) return resolve({ frames, width: v.videoWidth, height: v.videoHeight });
              frames++;
              v.requestVideoFrameCallback(tick);
            };
            v.requestVideoFrameCallback(tick);
            setTimeout(() => resolve({ frames, width: v.videoWidth, height: v.videoHeight }), 3000);
          }),
      );
    await expect.poll(async () => (await presented()).frames, { timeout: 30_000, interval: 200, message: `no frames decoded from the room system (ffmpeg stderr is in the test log)` }).toBeGreaterThan(10);
    expect(await presented()).toMatchObject({ width: 640, height: 360 });
    const decoded = async () => (await page.evaluate(() => window.convene.stats()))[sipId]?.framesDecoded ?? 0;
    const before = await decoded();
    await expect.poll(decoded, { timeout: 10_000, interval: 500 }).toBeGreaterThan(before + 20);

    // The browser's own camera: H.264, three simulcast layers, as the gateway's video tap sees it.
    const webId = await page.evaluate(() => window.convene.state.participantId);
    const tap = await sip.readMediaRoom((r: MediaRoomApi) => r.openVideoTap({ comedia: false, rtcpMux: true }));
    await expect
      .poll(() => tap.sources().filter((s) => s.participantId !== sipId).map((s) => ({ source: s.source, mimeType: s.mimeType, spatialLayers: s.spatialLayers })), { timeout: 20_000 })
      .toEqual([{ source: 'camera', mimeType: 'video/H264', spatialLayers: 3 }]);
    expect(tap.sources().find((s) => s.participantId !== sipId)?.participantId).toBe(webId);
    const engine = await RtpPeer.open();
    peers.push(engine);
    await tap.connect({ ip: '127.0.0.1', port: engine.port });
    const stream = await tap.subscribe(tap.sources().find((s) => s.participantId !== sipId)!.producerId, { maxSpatialLayer: 2 });
    expect(stream).toMatchObject({ mimeType: 'video/H264', clockRate: 90000, parameters: expect.objectContaining({ 'packetization-mode': 1 }) });
    // H.264 arrives as such: an SPS (NAL 7) or an FU-A/STAP-A carrying one, once the tap asked for a key frame.
    const nalType = (b: Buffer) => b[0]! & 0x1f;
    const startsWithSps = (b: Buffer) => nalType(b) === 7 || (nalType(b) === 24 && (b[3]! & 0x1f) === 7) || (nalType(b) === 28 && (b[1]! & 0x1f) === 7);
    await engine.waitFor((p) => p.ssrc === stream.ssrc && p.payloadType === stream.payloadType && startsWithSps(p.payload), 20_000);
    // Its screen share (the room system's slides) is H.264 too.
    await page.getByTestId('toggle-screen').click();
    await expect
      .poll(() => tap.sources().filter((s) => s.participantId === webId && s.source === 'screen').map((s) => s.mimeType), { timeout: 20_000 })
      .toEqual(['video/H264']);
    expect(pageErrors).toEqual([]);
    tap.close();
    await context.close();
  }, 120_000);
});
