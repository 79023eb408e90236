import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { writeToneWav } from '../../test/support/audio-analysis.js';
import { useBaresipCalls } from '../../test/support/baresip-calls.js';
import { fakeMicArgs, joinWithForm, launchChromium } from '../../test/support/browser.js';
import { eventually } from '../../test/support/convene-process.js';
import { createCompany, createRoom, type ServiceFixture } from '../../test/support/service-fixture.js';
import { buildWebApp } from '../build.mjs';

/**
 * Issue #10 with real peers end to end: a baresip room system (avcodec: libx264 / ffmpeg's H.264
 * decoder, fakevideo's picture as its camera) calls a meeting with audio and H.264 video through the
 * SIP gateway, and a Chromium participant (joined with its fake camera through the web app) is in it.
 * - Room system → meeting: the browser decodes the room system's video (frames advance, the tile
 *   reports its resolution).
 * - Meeting → room system: baresip decodes the meeting's video (the browser's camera, forwarded by
 *   the engine's switched stream) and reports its resolution.
 */
// The node serves web/dist, so the web app is built before it starts.
const calls = useBaresipCalls({ name: 'sip-video-', before: buildWebApp, timeoutMs: 120_000 });
let browser: Browser;

beforeAll(async () => {
  const tone = path.join(calls.dir, 'browser-800.wav');
  writeToneWav(tone, 800, 120, 48000, 0.4);
  browser = await launchChromium({ args: ['--auto-select-desktop-capture-source=Entire screen', ...fakeMicArgs(tone)] });
});

afterAll(async () => {
  await browser?.close();
});

/** A Chromium of its own whose fake microphone plays `wav` (the fake capture file is per browser process). */
async function launchWithMic(wav: string): Promise<Browser> {
  return launchChromium({ args: fakeMicArgs(wav) });
}

/** `seconds` of a warbling tone (speech-like enough for the active-speaker observer) then as long of silence, or the reverse. */
function turnWav(file: string, seconds: number, speakFirst: boolean): void {
  const talk = `${file}.talk.wav`;
  const quiet = `${file}.quiet.wav`;
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', talk, 'synth', String(seconds), 'sine', '300-900', 'tremolo', '5', '70', 'vol', '0.6']);
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', quiet, 'trim', '0', String(seconds)]);
  execFileSync('sox', speakFirst ? [talk, quiet, file] : [quiet, talk, file]);
}

function joinBrowser(address: string, name: string, using: Browser = browser): Promise<{ page: Page; errors: string[] }> {
  return joinWithForm(using, `${calls.f.httpUrl}/`, { address, name, mode: 'video' });
}

const framesFrom = async (page: Page, participantId: string) => (await page.evaluate(() => window.convene.stats()))[participantId]?.framesDecoded ?? 0;

/** The size of the picture the page's tile of `participantId` shows (0 × 0 before a frame). */
const tileSize = (page: Page, participantId: string) =>
  page.evaluate((id) => {
    const v = document.querySelector<HTMLVideoElement>(`[data-testid="tile"][data-participant-id="${id}"] video`);
    return { width: v?.videoWidth ?? 0, height: v?.videoHeight ?? 0 };
  }, participantId);

describe('a SIP room system with H.264 video in a meeting', () => {
  it('the browser decodes the room system’s video and the room system decodes the browser’s', async () => {
    const { f, dir } = calls;
    const companyId = await createCompany(f);
    const room = await createRoom(f, companyId);
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const bea = await joinBrowser(room.address, 'Browser Bea');

    const tone = path.join(dir, 'vtc-500.wav');
    writeToneWav(tone, 500, 120, 8000, 0.4);
    const vtc = await calls.startCaller({ user: 'boardroom', displayName: 'Boardroom', sourceWav: tone, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15, ...(process.env.SIP_VIDEO_CODEC === 'VP8' ? { codec: 'VP8' as const } : {}) } });
    await vtc.dial(`sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`);

    let call: ReturnType<ServiceFixture['service']['calls']['list']>[number] | undefined;
    try {
      await eventually(() => {
        call = f.service.calls.list().find((c) => c.state === 'in_meeting');
        return call !== undefined;
      }, 30_000);
    } catch (err) {
      throw new Error(`the room system did not get into the meeting:\n${vtc.output().slice(-3000)}`, { cause: err });
    }
    // Negotiated: H.264 on main video, capped at the company default (4 Mbps) less audio.
    expect(call!.video).toMatchObject({ codec: process.env.SIP_VIDEO_CODEC ?? 'H264', roles: ['main'] });
    expect(call!.video!.capBps).toBeGreaterThan(3_000_000);
    const vtcId = call!.participantId!;

    // Room system → meeting: the browser decodes it; frames advance; the tile reports 640 × 360.
    await expect.poll(() => framesFrom(bea.page, vtcId), { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    const first = await framesFrom(bea.page, vtcId);
    await expect.poll(() => framesFrom(bea.page, vtcId), { timeout: 20_000, interval: 500 }).toBeGreaterThan(first + 5);
    await expect.poll(() => tileSize(bea.page, vtcId), { timeout: 10_000 }).toEqual({ width: 640, height: 360 });

    // Meeting → room system: baresip decodes the browser's camera (forwarded, not transcoded).
    try {
      await eventually(() => vtc.videoReceived() !== null, 30_000);
    } catch (err) {
      const stats = await f.service.calls.videoStats(call!.callId);
      throw new Error(`the room system decoded no video (engine: ${JSON.stringify(stats)}):\n${vtc.output().slice(-3000)}`, { cause: err });
    }
    expect(vtc.videoReceived()!.width).toBeGreaterThan(0);
    const stats = await f.service.calls.videoStats(call!.callId);
    expect(stats!.packetsReceived).toBeGreaterThan(0);
    expect(stats!.packetsSent).toBeGreaterThan(0);
    expect(stats!.currentStreamId).not.toBeNull();

    // Presentation without a slides m-line (baresip has one video line): a browser's screen share
    // replaces the main video while it presents, then the camera comes back.
    const current = () => f.service.calls.list().find((c) => c.callId === call!.callId)?.video;
    await bea.page.getByTestId('toggle-screen').click();
    await expect.poll(() => current()?.showingSource, { timeout: 20_000 }).toBe('screen');
    const sentBefore = (await f.service.calls.videoStats(call!.callId))!.packetsSent;
    await expect.poll(async () => (await f.service.calls.videoStats(call!.callId))!.packetsSent, { timeout: 10_000 }).toBeGreaterThan(sentBefore + 10);
    await bea.page.getByTestId('toggle-screen').click();
    await expect.poll(() => current()?.showingSource, { timeout: 20_000 }).toBe('camera');

    // Metrics: the call's video line, a completed switch with its switch-to-keyframe time, forwarded bitrate against the cap.
    const metrics = await f.service.registry.metrics();
    expect(metrics).toMatch(/gateway_call_video_lines\{role="main"\} 1/);
    expect(metrics).toMatch(/gateway_video_switch_to_keyframe_seconds_count [1-9]/);
    expect(metrics).toMatch(/gateway_video_forwarded_bps\{kind="cap"\} [1-9]/);

    await vtc.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
    expect(bea.errors).toEqual([]);
  }, 120_000);

  it('the room system’s one stream follows the active speaker: two browsers taking turns to speak', async () => {
    const { f, dir } = calls;
    const companyId = await createCompany(f);
    const room = await createRoom(f, companyId);
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    // Ann talks for 6 s then is silent for 6 s, Ben the other way round; both loop.
    const annWav = path.join(dir, 'ann.wav');
    const benWav = path.join(dir, 'ben.wav');
    turnWav(annWav, 6, true);
    turnWav(benWav, 6, false);
    const annBrowser = await launchWithMic(annWav);
    const benBrowser = await launchWithMic(benWav);
    try {
      const ann = await joinBrowser(room.address, 'Ann', annBrowser);
      const ben = await joinBrowser(room.address, 'Ben', benBrowser);
      const silence = path.join(dir, 'silence.wav');
      execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', silence, 'trim', '0', '120']);
      const vtc = await calls.startCaller({ user: 'huddle', displayName: 'Huddle room', sourceWav: silence, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15, ...(process.env.SIP_VIDEO_CODEC === 'VP8' ? { codec: 'VP8' as const } : {}) } });
      await vtc.dial(`sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`);
      let callId = '';
      await eventually(() => {
        callId = f.service.calls.list().find((c) => c.state === 'in_meeting' && c.video !== null)?.callId ?? '';
        return callId !== '';
      }, 30_000);
      await eventually(() => vtc.videoReceived() !== null, 30_000);

      // Watch what the call's one stream shows for 30 s: it must change with the speaker, not stay put.
      const shown: string[] = [];
      const deadline = Date.now() + 30_000;
      let stats = await f.service.calls.videoStats(callId);
      const switchesBefore = stats!.switches;
      const names = new Map([[await ann.page.evaluate(() => window.convene.state.participantId), 'Ann'], [await ben.page.evaluate(() => window.convene.state.participantId), 'Ben']]);
      while (Date.now() < deadline) {
        const who = f.service.calls.list().find((c) => c.callId === callId)?.video?.showing;
        const name = who ? names.get(who) ?? who : null;
        if (name && shown[shown.length - 1] !== name) shown.push(name);
        await new Promise((r) => setTimeout(r, 250));
      }
      stats = await f.service.calls.videoStats(callId);
      // The two speakers, alternating with their turns: at least Ann → Ben → Ann (or the reverse).
      expect(new Set(shown), `shown: ${shown.join(' → ')}`).toEqual(new Set(['Ann', 'Ben']));
      expect(shown.length, `shown: ${shown.join(' → ')}`).toBeGreaterThanOrEqual(3);
      expect(stats!.switches - switchesBefore).toBeGreaterThanOrEqual(2);
      // One SSRC: the room system kept decoding one stream (baresip logs a new "receiving with resolution" per new stream/SSRC).
      expect(vtc.output().match(/video: receiving with resolution/g)?.length ?? 0).toBe(1);
      expect(vtc.output()).not.toMatch(/error while decoding|non-existing PPS|decode error|concealing \d+ (DC|AC|MV) errors/i);
      expect(ann.errors).toEqual([]);
      expect(ben.errors).toEqual([]);
      await vtc.hangup();
    } finally {
      await annBrowser.close();
      await benBrowser.close();
    }
  }, 150_000);

  it('a room system that keys a PIN gets its video answered and joined too (routers’ codecs known from earlier calls)', async () => {
    const { f, dir } = calls;
    const companyId = await createCompany(f);
    const room = await createRoom(f, companyId, { hostPin: '2468' });
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const tone = path.join(dir, 'pin-500.wav');
    writeToneWav(tone, 500, 60, 8000, 0.4);
    const vtc = await calls.startCaller({ user: 'pin-room', displayName: 'PIN Room', sourceWav: tone, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15 } });
    await vtc.dial(`sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`);
    await eventually(() => f.service.calls.list().some((c) => c.state === 'ivr'), 20_000);
    const inIvr = f.service.calls.list().find((c) => c.state === 'ivr')!;
    // Answered before the PIN: video accepted at the cap known then (no tier, no SDP ask: the service ceiling).
    expect(inIvr.video).toMatchObject({ codec: 'H264', roles: ['main'] });
    await new Promise((r) => setTimeout(r, 1_500));
    await vtc.sendDigits('2468#');
    await eventually(() => f.service.calls.list().some((c) => c.callId === inIvr.callId && c.state === 'in_meeting'), 20_000);
    // In the meeting its camera is a producer: the meeting core sees a camera from it.
    const meeting = f.service.meetings.liveMeetings().find((m) => m.room.id === room.id)!;
    const pid = f.service.calls.list().find((c) => c.callId === inIvr.callId)!.participantId!;
    await eventually(async () => ((await f.service.calls.videoStats(inIvr.callId))?.packetsRelayed ?? 0) > 0, 15_000);
    expect([...meeting.participants.values()].find((p) => p.id === pid)).toBeDefined();
    await vtc.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
  }, 90_000);
});
