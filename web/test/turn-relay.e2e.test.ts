import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../test/support/browser.js';
import { adminApi, spawnConvene, stopConvene, testNodeConfig, type ConveneProcess } from '../../test/support/convene-process.js';
import { SignalingClient } from '../../test/support/signaling-client.js';
import { freeUdpTcpPort, relayPortWindow } from '../../test/support/turn-client.js';
import { buildWebApp } from '../build.mjs';

// The web app in real Chromium against a Convene node with its embedded coturn. One participant
// is forced to relayed candidates only (?relay=1 → iceTransportPolicy 'relay'), so its media can
// only reach the SFU through TURN; the other connects directly. Both must decode each other.
const BOOTSTRAP = 'turn-e2e-bootstrap-token-0123456789abcdef';
const ROOM = 'turn.e2e.room@convene.example';
const TTL = 900;

let node: ConveneProcess;
let url: string;
let turnPort: number;
let browser: Browser;

const api = (method: string, urlPath: string, body?: unknown) => adminApi(url, BOOTSTRAP, method, urlPath, body);

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`${url}metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

beforeAll(async () => {
  await buildWebApp();
  turnPort = await freeUdpTcpPort();
  const { relayMinPort, relayMaxPort } = relayPortWindow();
  // allowLoopbackPeers: the SFU listens on 127.0.0.1 here; in production it stays off.
  node = spawnConvene(
    testNodeConfig(`admin: { bootstrapToken: ${BOOTSTRAP} }
turn:
  credentialTtlSeconds: ${TTL}
  embedded: { enabled: true, dataDir: $DIR/turn, listenIp: 127.0.0.1, port: ${turnPort}, relayMinPort: ${relayMinPort}, relayMaxPort: ${relayMaxPort}, allowLoopbackPeers: true }
`, 2000),
  );
  url = await node.ready;
  const company = await api('POST', '/companies', { name: 'TURN E2E' });
  await api('POST', `/companies/${String(company.id)}/plans`, { planType: 'enterprise_user', quantity: 5, pricePerLicenceCents: 1000, paymentPlan: 'monthly', autoRenew: true });
  await api('POST', `/companies/${String(company.id)}/team-vmrs`, { name: 'TURN E2E room', localPart: 'turn.e2e.room' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stopConvene(node);
});

async function joinAs(name: string, query: string): Promise<{ page: Page; id: string }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(`${url}${query}`);
  await page.getByTestId('join-form').waitFor();
  await page.getByTestId('join-address').fill(ROOM);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-mode-video').check();
  await page.getByTestId('join-submit').click();
  await page.getByTestId('meeting-page').waitFor({ timeout: 20_000 });
  return { page, id: String(await page.evaluate(() => window.convene.state.participantId)) };
}

const stats = (page: Page) => page.evaluate(() => window.convene.stats());
const candidateTypes = (page: Page) => page.evaluate(() => window.convene.iceCandidateTypes());

/** The remote's audio bytes and decoded video frames keep rising. */
async function expectMediaFrom(page: Page, remoteId: string): Promise<void> {
  await expect.poll(async () => (await stats(page))[remoteId]?.audioBytesReceived ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
  const first = (await stats(page))[remoteId];
  await expect
    .poll(async () => (await stats(page))[remoteId]?.audioBytesReceived ?? 0, { timeout: 20_000, interval: 500 })
    .toBeGreaterThan(first?.audioBytesReceived ?? 0);
  await expect
    .poll(async () => (await stats(page))[remoteId]?.framesDecoded ?? 0, { timeout: 30_000, interval: 500 })
    .toBeGreaterThan((first?.framesDecoded ?? 0) + 5);
}

describe('TURN: the embedded coturn relays a browser that may not connect directly', () => {
  it('hands out the embedded TURN server with a time-limited credential at hello', async () => {
    const { client, hello } = await SignalingClient.open(url.replace(/^http/, 'ws') + 'ws');
    client.close();
    expect(hello.iceTransportPolicy).toBe('all');
    expect(hello.iceServers).toHaveLength(1);
    const [server] = hello.iceServers;
    expect(server?.urls).toEqual([`turn:127.0.0.1:${turnPort}?transport=udp`, `turn:127.0.0.1:${turnPort}?transport=tcp`]);
    const [expiry, subject] = String(server?.username).split(':');
    expect(subject).toBe(hello.sessionId);
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(TTL - 60);
    expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(TTL);
    expect(server?.credential).toMatch(/^[A-Za-z0-9+/]{27}=$/); // base64 of a 20-byte HMAC-SHA1
  });

  let relayed: { page: Page; id: string };
  let direct: { page: Page; id: string };

  it('a relay-only participant and a direct one decode each other; the relay-only one goes through TURN', async () => {
    const allocationsBefore = await metric('convene_turn_allocations_total');
    relayed = await joinAs('Rita Relay', '?relay=1');
    direct = await joinAs('Dirk Direct', '');
    await expectMediaFrom(relayed.page, direct.id);
    await expectMediaFrom(direct.page, relayed.id);
    // The selected ICE pairs: relayed candidates (through coturn) for one, direct for the other.
    await expect.poll(() => candidateTypes(relayed.page), { timeout: 10_000 }).toEqual({ send: 'relay', recv: 'relay' });
    const directTypes = await candidateTypes(direct.page);
    expect(directTypes.send).not.toBe('relay');
    expect(directTypes.recv).not.toBe('relay');
    // coturn granted the allocations (at least one per transport of the relay-only browser).
    expect(await metric('convene_turn_allocations_total')).toBeGreaterThanOrEqual(allocationsBefore + 2);
  });

  it('after a dropped connection the relay-only participant resumes with fresh credentials, media still relayed', async () => {
    await relayed.page.evaluate(() => window.convene.dropConnection());
    await expect.poll(() => relayed.page.evaluate(() => window.convene.state.phase), { timeout: 20_000 }).toBe('joined');
    await expectMediaFrom(direct.page, relayed.id);
    await expectMediaFrom(relayed.page, direct.id);
    expect(await candidateTypes(relayed.page)).toEqual({ send: 'relay', recv: 'relay' });
  });

  it('restarts coturn when it is killed; readiness and metrics show it back', async () => {
    const pidLine = fs.readFileSync(`${node.dir}/turn/turnserver.pid`, 'utf8').trim();
    const oldPid = Number(pidLine);
    expect(await metric('convene_turn_up')).toBe(1);
    process.kill(oldPid, 'SIGKILL');
    await node.waitForLog((r) => r.msg === 'embedded turnserver died; restarting', 10_000);
    await node.waitForLog((r) => r.msg === 'embedded turnserver ready' && r.turnPid !== oldPid, 20_000);
    expect(await metric('convene_turn_up')).toBe(1);
    expect(await metric('convene_turn_restarts_total')).toBe(1);
    const ready = await fetch(`${url}readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: Record<string, boolean> }).checks.turn).toBe(true);
  });
});
