import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { writeToneWav } from '../../test/support/audio-analysis.js';
import { startBaresipCaller, type BaresipCaller } from '../../test/support/baresip-caller.js';
import { CHROMIUM_PATH } from '../../test/support/browser.js';
import { eventually } from '../../test/support/convene-process.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from '../../test/support/service-fixture.js';
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
let f: ServiceFixture;
let browser: Browser;
let dir: string;
const callers: BaresipCaller[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sip-video-'));
  await buildWebApp();
  f = await startServiceFixture();
  const tone = path.join(dir, 'browser-800.wav');
  writeToneWav(tone, 800, 120, 48000, 0.4);
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
      `--use-file-for-fake-audio-capture=${tone}`, '--autoplay-policy=no-user-gesture-required',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
}, 120_000);

afterAll(async () => {
  for (const c of callers) await c.stop();
  await browser?.close();
  await f?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function joinBrowser(address: string, name: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${f.httpUrl}/`);
  await page.getByTestId('join-form').waitFor();
  await page.getByTestId('join-address').fill(address);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-mode-video').check();
  await page.getByTestId('join-submit').click();
  await page.getByTestId('meeting-page').waitFor({ timeout: 20_000 });
  return { page, errors };
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
    const companyId = await createCompany(f);
    const room = await createRoom(f, companyId);
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const bea = await joinBrowser(room.address, 'Browser Bea');

    const tone = path.join(dir, 'vtc-500.wav');
    writeToneWav(tone, 500, 120, 8000, 0.4);
    const vtc = await startBaresipCaller({ dir, user: 'boardroom', displayName: 'Boardroom', sourceWav: tone, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15, ...(process.env.SIP_VIDEO_CODEC === 'VP8' ? { codec: 'VP8' as const } : {}) } });
    callers.push(vtc);
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

    await vtc.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
    expect(bea.errors).toEqual([]);
  });
});
