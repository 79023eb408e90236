import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../test/support/browser.js';
import { adminApi, spawnConvene, stopConvene, testNodeConfig, type ConveneProcess } from '../../test/support/convene-process.js';
import { buildWebApp } from '../build.mjs';

// The web app against a real Convene node (bin/convene.ts as its own process: Redis, mediasoup
// worker, signalling) in real Chromium with fake camera/microphone. web/dist is what the node serves.
const BOOTSTRAP = 'web-e2e-bootstrap-token-0123456789abcdef';
const ROOM = 'web.e2e.room@convene.example';
const HOST_PIN = '4321';
const GUEST_PIN = '8765';
// Screenshots for a person to look at.
const SHOTS = process.env.WEB_SCREENSHOT_DIR ?? path.join(os.tmpdir(), 'convene-web-screenshots');

let node: ConveneProcess;
let url: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Content-Security-Policy violations any page reported (the node sends its CSP on every page). */
const cspViolations: string[] = [];

const api = (method: string, urlPath: string, body?: unknown) => adminApi(url, BOOTSTRAP, method, urlPath, body);

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // The node serves web/dist, so the app is built there.
  await buildWebApp();
  node = spawnConvene(testNodeConfig(`admin: { bootstrapToken: ${BOOTSTRAP} }`, 2000));
  url = await node.ready;
  const company = await api('POST', '/companies', { name: 'Web E2E' });
  await api('POST', `/companies/${String(company.id)}/plans`, { planType: 'enterprise_user', quantity: 5, pricePerLicenceCents: 1000, paymentPlan: 'monthly', autoRenew: true });
  const created = await api('POST', `/companies/${String(company.id)}/team-vmrs`, { name: 'Web E2E room', localPart: 'web.e2e.room' });
  const team = created.team as { id: string };
  await api('PATCH', `/companies/${String(company.id)}/team-vmrs/${team.id}`, { hostPin: HOST_PIN, guestPin: GUEST_PIN, allowGuests: true });
  browser = await launchChromium({ args: ['--auto-select-desktop-capture-source=Entire screen'] });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopConvene(node);
});

async function participantPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(url);
  await page.getByTestId('join-form').waitFor();
  return page;
}

async function fillJoin(page: Page, name: string, pin: string, mode: 'video' | 'audio-only' | 'audio+presentation' = 'video'): Promise<void> {
  await page.getByTestId('join-address').fill(ROOM);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-pin').fill(pin);
  await page.getByTestId(`join-mode-${mode}`).check();
  await page.getByTestId('join-submit').click();
}

const phase = (page: Page) => page.evaluate(() => window.convene.state.phase);
const me = (page: Page) => page.evaluate(() => window.convene.state.participantId);
const stats = (page: Page) => page.evaluate(() => window.convene.stats());

/** Polls the test hook until the remote participant's decoded frames and audio bytes rise. */
async function expectMediaFrom(page: Page, remoteId: string, opts: { video: boolean }): Promise<void> {
  await expect
    .poll(async () => (await stats(page))[remoteId]?.audioBytesReceived ?? 0, { timeout: 30_000, interval: 500 })
    .toBeGreaterThan(0);
  const first = (await stats(page))[remoteId];
  await expect
    .poll(async () => (await stats(page))[remoteId]?.audioBytesReceived ?? 0, { timeout: 20_000, interval: 500 })
    .toBeGreaterThan(first?.audioBytesReceived ?? 0);
  if (opts.video) {
    await expect
      .poll(async () => (await stats(page))[remoteId]?.framesDecoded ?? 0, { timeout: 30_000, interval: 500 })
      .toBeGreaterThan((first?.framesDecoded ?? 0) + 5);
  }
}

describe('web app against a running Convene node', () => {
  let host: Page;
  let guest: Page;
  let hostId: string;
  let guestId: string;

  it('refuses a wrong PIN with a readable reason and keeps the form', async () => {
    const page = await participantPage();
    await fillJoin(page, 'Mallory', '0000');
    const banner = page.getByTestId('join-error');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.textContent()).toMatch(/^That PIN is not correct\./);
    expect(await page.getByTestId('join-address').inputValue()).toBe(ROOM);
    expect(await phase(page)).toBe('join');
    await page.context().close();
  });

  it('keeps a guest in the lobby until a host joins; both then decode each other', async () => {
    guest = await participantPage();
    await fillJoin(guest, 'Grace Guest', GUEST_PIN);
    await guest.getByTestId('lobby-waiting').waitFor();
    await guest.screenshot({ path: `${SHOTS}/e2e-lobby.png` });
    expect(await phase(guest)).toBe('lobby');

    host = await participantPage();
    await fillJoin(host, 'Hedy Host', HOST_PIN);
    await host.getByTestId('meeting-page').waitFor();
    hostId = String(await me(host));
    // A host's arrival lets the waiting guest in (SPEC §3: guests wait until a host is present).
    await guest.getByTestId('meeting-page').waitFor({ timeout: 20_000 });
    guestId = String(await me(guest));
    expect(await phase(guest)).toBe('joined');

    const roster = await host.evaluate(() => window.convene.state.roster.map((p) => [p.displayName, p.role]));
    expect(roster).toEqual([['Hedy Host', 'host'], ['Grace Guest', 'guest']]);
    // Each roster entry and tile shows what the participant joins from (a browser here).
    await host.getByTestId('tab-people').click();
    await expect
      .poll(() => host.locator(`[data-testid="roster-item"][data-participant-id="${guestId}"] [data-testid="participant-kind"]`).getAttribute('data-kind'), { timeout: 10_000 })
      .toBe('browser');
    expect(await host.locator(`[data-testid="tile"][data-participant-id="${guestId}"] [data-testid="participant-kind"]`).getAttribute('title')).toBe('Browser');
    await expectMediaFrom(host, guestId, { video: true });
    await expectMediaFrom(guest, hostId, { video: true });
    await host.screenshot({ path: `${SHOTS}/e2e-host.png` });
  });

  it('delivers chat to everyone', async () => {
    await guest.getByTestId('tab-chat').click();
    await guest.getByTestId('chat-input').fill('Hello from the guest');
    await guest.getByTestId('chat-send').click();
    await host.getByTestId('tab-chat').click();
    await expect.poll(() => host.getByTestId('chat-message').allTextContents(), { timeout: 10_000 }).toEqual([expect.stringContaining('Hello from the guest')]);
    await host.getByTestId('tab-people').click();
  });

  it('with a third participant, all three decode each other\'s audio and video', async () => {
    const third = await participantPage();
    await fillJoin(third, 'Theo Third', GUEST_PIN);
    await third.getByTestId('meeting-page').waitFor({ timeout: 20_000 });
    const thirdId = String(await me(third));
    const ids = { [hostId]: host, [guestId]: guest, [thirdId]: third };
    for (const [viewerId, viewer] of Object.entries(ids)) {
      for (const remoteId of Object.keys(ids)) if (remoteId !== viewerId) await expectMediaFrom(viewer, remoteId, { video: true });
    }
    // The host removes Theo: Theo is told why, the others see him leave.
    await host.locator(`[data-testid="roster-item"][data-participant-id="${thirdId}"] [data-testid="host-disconnect"]`).click();
    await host.getByTestId('host-disconnect-confirm').click();
    await third.getByTestId('ended').waitFor({ timeout: 10_000 });
    await expect.poll(() => guest.evaluate(() => window.convene.state.roster.length), { timeout: 10_000 }).toBe(2);
    await third.context().close();
  });

  it('resumes a dropped connection within the grace period: same participant, media restored', async () => {
    // The page logs every phase change itself: a resume on loopback can pass through
    // 'reconnecting' in a few milliseconds, quicker than polling from here could see.
    const before = await guest.evaluate(() => window.convene.phases().length);
    await guest.evaluate(() => window.convene.dropConnection());
    const since = () => guest.evaluate((n) => window.convene.phases().slice(n), before);
    await expect.poll(since, { timeout: 20_000 }).toEqual(['reconnecting', 'joined']);
    expect(await me(guest)).toBe(guestId);
    // The host never saw the guest leave.
    expect(await host.evaluate(() => window.convene.state.roster.map((p) => p.displayName))).toEqual(['Hedy Host', 'Grace Guest']);
    await expectMediaFrom(host, guestId, { video: true });
    await expectMediaFrom(guest, hostId, { video: true });
  });

  it('lets a host mute the guest; everyone sees the guest muted', async () => {
    await host.locator(`[data-testid="roster-item"][data-participant-id="${guestId}"] [data-testid="host-mute"]`).click();
    await expect.poll(() => guest.getByTestId('toggle-mic').getAttribute('data-on'), { timeout: 10_000 }).toBe('false');
    await expect
      .poll(() => host.evaluate((id) => window.convene.state.roster.find((p) => p.id === id)?.audioMuted, guestId), { timeout: 10_000 })
      .toBe(true);
    // The SFU paused the guest's microphone: once packets in flight have drained, the host's
    // received byte count for the guest stops growing while the guest's video keeps flowing.
    await expect
      .poll(
        async () => {
          const before = (await stats(host))[guestId]?.audioBytesReceived ?? 0;
          await new Promise((r) => setTimeout(r, 1500));
          return ((await stats(host))[guestId]?.audioBytesReceived ?? 0) - before;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe(0);
    const framesBefore = (await stats(host))[guestId]?.framesDecoded ?? 0;
    await expect.poll(async () => (await stats(host))[guestId]?.framesDecoded ?? 0, { timeout: 20_000 }).toBeGreaterThan(framesBefore);
  });

  it('shows a screen share from the guest to the host in the presentation view', async () => {
    await guest.getByTestId('toggle-screen').click();
    await expect.poll(() => host.evaluate(() => window.convene.state.presenterId), { timeout: 15_000 }).toBe(guestId);
    await expect.poll(() => host.getByTestId('presentation-view').getAttribute('data-has-video'), { timeout: 20_000 }).toBe('true');
    await host.screenshot({ path: `${SHOTS}/e2e-presentation.png` });
  });

  it('lets a second presenter take over; the first share stops', async () => {
    await host.getByTestId('toggle-screen').click();
    await expect.poll(() => guest.evaluate(() => window.convene.state.presenterId), { timeout: 15_000 }).toBe(hostId);
    await expect.poll(() => guest.getByTestId('toggle-screen').getAttribute('data-on'), { timeout: 10_000 }).toBe('false');
    await expect.poll(() => guest.getByTestId('presentation-view').getAttribute('data-has-video'), { timeout: 20_000 }).toBe('true');
    await expect.poll(() => guest.getByTestId('presentation-view').getAttribute('data-presenter-id')).toBe(hostId);
  });

  it('gives an audio-only participant audio from everyone and no video', async () => {
    const listener = await participantPage();
    await fillJoin(listener, 'Otto Audio', GUEST_PIN, 'audio-only');
    await listener.getByTestId('meeting-page').waitFor({ timeout: 20_000 });
    await expectMediaFrom(listener, hostId, { video: false });
    const received = await listener.evaluate(() => window.convene.consumers());
    expect(received.filter((c) => c.kind === 'video')).toEqual([]);
    expect(new Set(received.filter((c) => c.kind === 'audio').map((c) => c.participantId))).toEqual(new Set([hostId, guestId]));
    expect(await listener.getByTestId('toggle-camera').count()).toBe(0);
    expect(await listener.getByTestId('toggle-screen').count()).toBe(0);
    await listener.getByTestId('leave').click();
    await listener.getByTestId('ended').waitFor();
    await expect.poll(() => host.evaluate(() => window.convene.state.roster.length), { timeout: 10_000 }).toBe(2);
    await listener.context().close();
  });

  it('refuses a new joiner while locked, with the reason', async () => {
    await host.getByTestId('host-lock').click();
    await expect.poll(() => guest.evaluate(() => window.convene.state.meeting?.locked), { timeout: 10_000 }).toBe(true);
    const late = await participantPage();
    await fillJoin(late, 'Late Larry', GUEST_PIN);
    const banner = late.getByTestId('join-error');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.textContent()).toBe('The host has locked this meeting. Ask the host to unlock it, then try again.');
    await late.context().close();
  });

  it('ends the meeting for everyone when the host says so', async () => {
    await host.getByTestId('host-end').click();
    await host.getByTestId('host-end-confirm').click();
    await guest.getByTestId('ended').waitFor({ timeout: 10_000 });
    expect(await guest.getByTestId('ended-message').textContent()).toBe('The host ended the meeting.');
    await guest.screenshot({ path: `${SHOTS}/e2e-ended.png` });
    expect(await phase(guest)).toBe('ended');
  });

  it('ran every page above under the node\'s Content-Security-Policy without a violation', () => {
    expect(cspViolations).toEqual([]);
  });
});
