import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { RtpPeer } from '../../sfu/src/media/testing/rtp-peer.js';
import { joinWithForm, launchChromium } from '../../test/support/browser.js';
import { attachOpusRtpLeg } from '../../test/support/rtp-participant.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from '../../test/support/service-fixture.js';
import { buildWebApp } from '../build.mjs';

/**
 * A room system in a browser meeting, end to end: a whole node runs in this process (so the test
 * can both serve the web app to Chromium and call the MeetingsApi), a Chromium host joins through
 * the join form, and a SIP participant joins through `service.meetings` with an RTP leg on the real
 * mediasoup worker, fed Opus from a UDP socket. The host's browser shows it with its kind, receives
 * its audio, mutes it from the roster (the audio stops reaching the browser while the UDP socket
 * keeps sending) and removes it (its handle hears it was removed; its leg closes).
 */
const HOST_PIN = '2468';
const GUEST_PIN = '1357';

let f: ServiceFixture;
let browser: Browser;
let peer: RtpPeer | undefined;
let stopStream: (() => void) | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  // The node serves web/dist when it exists at start: build it first.
  await buildWebApp();
  f = await startServiceFixture();
  browser = await launchChromium();
});

afterAll(async () => {
  stopStream?.();
  peer?.close();
  await browser?.close();
  await f?.stop();
});

const stats = (page: Page) => page.evaluate(() => window.convene.stats());
const audioBytesFrom = async (page: Page, id: string) => (await stats(page))[id]?.audioBytesReceived ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a SIP room system with an RTP leg, seen and heard in Chromium', () => {
  it('shows its kind in the roster, its audio reaches the browser, the host mutes it from the web app and removes it', async () => {
    const companyId = await createCompany(f);
    const room = await createRoom(f, companyId, { hostPin: HOST_PIN, guestPin: GUEST_PIN, allowGuests: true });

    // The host joins through the join form, as a person would.
    const { page: host, context } = await joinWithForm(browser, `${f.httpUrl}/`, { address: room.address, name: 'Hedy Host', pin: HOST_PIN, mode: 'video' }, pageErrors);
    await host.getByTestId('tab-people').click();

    // The room system joins through the MeetingsApi: kind 'sip', with its caller address.
    const sip = await f.service.meetings.join({
      address: room.address,
      displayName: 'Boardroom',
      pin: GUEST_PIN,
      mode: 'audio-only',
      bandwidthKbps: 1200,
      kind: 'sip',
      callerAddress: 'sip:boardroom@example.com',
      source: '127.0.0.1',
    });
    expect(await sip.state()).toBe('joined');
    const sipId = sip.participantId;
    const left: string[] = [];
    const removed: string[] = [];
    sip.events.on('left', (r) => left.push(r));
    sip.events.on('removed', (r) => removed.push(r));

    // Its RTP leg on the real worker (a comedia PlainTransport, an Opus producer) and 20 ms Opus
    // packets for the whole test; bounded (3 minutes) and stopped in afterAll.
    const rtp = await attachOpusRtpLeg(sip, { maxPackets: 9000 });
    const leg = rtp.leg;
    peer = rtp.peer;
    stopStream = rtp.stopStream;

    // The host's roster shows the room system with its kind: the room-system icon and its label.
    const entry = host.locator(`[data-testid="roster-item"][data-participant-id="${sipId}"]`);
    await entry.waitFor({ timeout: 15_000 });
    const kindFlag = entry.locator('[data-testid="participant-kind"]');
    expect(await kindFlag.getAttribute('data-kind')).toBe('sip');
    expect(await kindFlag.getAttribute('title')).toBe('Room system');
    expect(await kindFlag.locator('.sr-only').textContent()).toBe('Room system');
    expect(await entry.textContent()).toContain('Boardroom');
    await expect
      .poll(() => host.locator(`[data-testid="tile"][data-participant-id="${sipId}"] [data-testid="participant-kind"]`).getAttribute('data-kind'), { timeout: 10_000 })
      .toBe('sip');

    // Its audio reaches the browser: inbound-rtp bytes for its consumer appear and keep growing.
    await expect.poll(() => host.evaluate((id) => window.convene.state.roster.find((p) => p.id === id)?.audioMuted, sipId), { timeout: 15_000 }).toBe(false);
    await expect.poll(() => audioBytesFrom(host, sipId), { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    const first = await audioBytesFrom(host, sipId);
    await expect.poll(() => audioBytesFrom(host, sipId), { timeout: 20_000, interval: 500 }).toBeGreaterThan(first);

    // The host mutes it from the roster in the web app.
    await entry.locator('[data-testid="host-mute"]').click();
    await expect.poll(() => entry.getAttribute('data-muted'), { timeout: 10_000 }).toBe('true');
    expect(await host.evaluate((id) => window.convene.state.roster.find((p) => p.id === id)?.audioMuted, sipId)).toBe(true);
    expect(leg.producers()).toMatchObject([{ source: 'mic', paused: true }]);

    // Its audio stops reaching the browser while the room system keeps sending: once packets in
    // flight have drained, two samples a few seconds apart are equal, and the SFU still receives.
    const sentToSfu = async () => (await leg.sfu.transportStats())[0]?.rtpBytesReceived ?? 0;
    await expect
      .poll(
        async () => {
          const before = await audioBytesFrom(host, sipId);
          await sleep(3000);
          return (await audioBytesFrom(host, sipId)) - before;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(0);
    const sfuBefore = await sentToSfu();
    const browserBefore = await audioBytesFrom(host, sipId);
    await expect.poll(sentToSfu, { timeout: 10_000, interval: 500 }).toBeGreaterThan(sfuBefore);
    await sleep(3000);
    expect(await audioBytesFrom(host, sipId)).toBe(browserBefore);

    // The host removes it from the roster: its handle is told, its RTP leg closes, the roster drops it.
    await entry.locator('[data-testid="host-disconnect"]').click();
    await host.getByTestId('host-disconnect-confirm').click();
    await expect.poll(() => left, { timeout: 10_000 }).toEqual(['removed_by_host']);
    expect(removed).toEqual(['removed_by_host']);
    expect(leg.closed).toBe(true);
    expect(await sip.state()).toBe('left');
    await expect.poll(() => host.evaluate((id) => window.convene.state.roster.some((p) => p.id === id), sipId), { timeout: 10_000 }).toBe(false);
    expect(await entry.count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
