import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../../test/support/browser.js';
import { spawnConvene, stopConvene, type ConveneProcess } from '../../test/support/convene-process.js';
import { RequestFailed, SignalingClient } from '../../test/support/signaling-client.js';
import { chromiumHomeTrusting, createIntermediateCa, createTestCa, issueServerCert, type TestCa } from '../../test/support/test-ca.js';
import { buildWebApp } from '../build.mjs';

// A Convene node (bin/convene.ts as its own process) serving HTTPS with a certificate from a test
// CA made at test time (leaf + intermediate, as a real CA issues them); Chromium trusts only that
// root (an NSS database in its HOME) and joins a meeting over wss with real media, under the
// node's Content-Security-Policy. 127.0.0.2 plays a reverse proxy the node
// trusts, so X-Forwarded-For counts from it and from nobody else.
const BOOTSTRAP = 'https-e2e-bootstrap-token-0123456789abcdef';
const HOST_PIN = '4321';
const PROXY = '127.0.0.2';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-https-e2e-'));
let ca: TestCa;
let node: ConveneProcess;
let url: string; // https://127.0.0.1:<port>/
let companyId = '';
let browser: Browser;
const contexts: BrowserContext[] = [];

/** JSON over HTTPS trusting the test CA (Node's fetch has no per-request CA option). */
function request(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, url), { method, ca: ca.pem, agent: false, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body !== undefined ? JSON.stringify(body) : undefined);
  });
}

async function api(method: string, urlPath: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await request(method, `/api/v1${urlPath}`, body, { authorization: `Bearer ${BOOTSTRAP}` });
  if (res.status >= 300) throw new Error(`${method} ${urlPath}: ${res.status} ${res.text}`);
  return JSON.parse(res.text) as Record<string, unknown>;
}

async function createRoom(localPart: string, hostPin: string): Promise<string> {
  const created = await api('POST', `/companies/${companyId}/team-vmrs`, { name: localPart, localPart });
  const team = created.team as { id: string };
  await api('PATCH', `/companies/${companyId}/team-vmrs/${team.id}`, { hostPin });
  return `${localPart}@convene.example`;
}

beforeAll(async () => {
  ca = await createTestCa(path.join(work, 'ca'));
  const intermediate = await createIntermediateCa(ca, path.join(work, 'intermediate'));
  const leaf = await issueServerCert(intermediate, path.join(work, 'server'));
  const home = await chromiumHomeTrusting(ca, path.join(work, 'home'));
  await buildWebApp();
  node = spawnConvene(`
log: { level: info, pretty: false }
http:
  host: 127.0.0.1
  port: 0
  tls: { certFile: ${leaf.certFile}, keyFile: ${leaf.keyFile}, caFile: ${intermediate.certFile}, redirectPort: 0 }
  trustedProxies: [${PROXY}]
store:
  embedded: { dataDir: $DIR/redis }
sfu:
  workers: 1
  webRtcServer: { listenIp: 127.0.0.1, basePort: 0 }
sip:
  transports: [{ protocol: udp, host: 127.0.0.1, port: 0 }, { protocol: tcp, host: 127.0.0.1, port: 0 }]
admin: { bootstrapToken: ${BOOTSTRAP} }
demo: { seed: false }
shutdown: { graceMs: 2000 }
`);
  const ready = await node.ready;
  expect(ready).toMatch(/^https:\/\/localhost:\d+\/$/);
  url = ready.replace('localhost', '127.0.0.1');
  const company = await api('POST', '/companies', { name: 'HTTPS E2E' });
  companyId = String(company.id);
  await api('POST', `/companies/${companyId}/plans`, { planType: 'enterprise_user', quantity: 10, pricePerLicenceCents: 1000, paymentPlan: 'monthly', autoRenew: true });
  browser = await launchChromium({ env: { ...process.env, HOME: home } });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopConvene(node);
  fs.rmSync(work, { recursive: true, force: true });
});

interface WatchedPage {
  page: Page;
  /** CSP violations the page reported (securitypolicyviolation events and console lines). */
  violations: string[];
}

async function openApp(): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  const violations: string[] = [];
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __cspViolation: (v: string) => void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto(url);
  expect(res?.status()).toBe(200);
  await page.getByTestId('join-form').waitFor();
  return { page, violations };
}

async function join(page: Page, address: string, name: string, pin: string): Promise<string> {
  await page.getByTestId('join-address').fill(address);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-pin').fill(pin);
  await page.getByTestId('join-mode-video').check();
  await page.getByTestId('join-submit').click();
  await page.getByTestId('meeting-page').waitFor({ timeout: 20_000 });
  return String(await page.evaluate(() => window.convene.state.participantId));
}

async function expectMediaFrom(page: Page, remoteId: string): Promise<void> {
  const stats = () => page.evaluate(() => window.convene.stats());
  await expect.poll(async () => (await stats())[remoteId]?.audioBytesReceived ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
  await expect.poll(async () => (await stats())[remoteId]?.framesDecoded ?? 0, { timeout: 30_000, interval: 500 }).toBeGreaterThan(5);
}

describe('the web app over HTTPS', () => {
  it('is a secure context served with the security headers, and plain HTTP is redirected', async () => {
    const res = await request('GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    // The production build ships no source map.
    expect((await request('GET', '/app.js.map')).status).toBe(404);

    const redirect = await node.waitForLog((r) => r.msg === 'redirecting plain HTTP to HTTPS');
    const plain = await fetch(`http://127.0.0.1:${String(redirect.port)}/?address=x`, { redirect: 'manual' });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe(`https://127.0.0.1:${new URL(url).port}/?address=x`);
  });

  it('two participants join over wss and decode each other, with no CSP violation', async () => {
    const address = await createRoom('https.e2e.room', HOST_PIN);
    const a = await openApp();
    expect(await a.page.evaluate(() => window.isSecureContext && location.protocol)).toBe('https:');
    const b = await openApp();
    const aId = await join(a.page, address, 'Ada', HOST_PIN);
    const bId = await join(b.page, address, 'Bob', HOST_PIN);
    await expectMediaFrom(a.page, bId);
    await expectMediaFrom(b.page, aId);
    expect(a.violations).toEqual([]);
    expect(b.violations).toEqual([]);
  });
});

describe('the signalling source address behind a proxy', () => {
  const wsUrl = () => url.replace('https:', 'wss:') + 'ws';

  /** One join attempt with a wrong PIN, from `localAddress`, claiming to be `forwardedFor`; the refusal code. */
  async function wrongPin(address: string, localAddress: string, forwardedFor: string): Promise<string> {
    const { client } = await SignalingClient.open(wsUrl(), undefined, { ca: ca.pem, localAddress, headers: { 'x-forwarded-for': forwardedFor } });
    try {
      await client.request('join', { address, displayName: 'Guesser', pin: '0000', mode: 'video', bandwidthKbps: 1200 });
      throw new Error('a wrong PIN was accepted');
    } catch (err) {
      if (err instanceof RequestFailed) return err.error.code;
      throw err;
    } finally {
      client.close();
    }
  }

  /** Wrong PINs from one claimed client until refused for another reason than the PIN itself (bounded). */
  async function guessUntilThrottled(address: string, localAddress: string, forwardedFor: string): Promise<string> {
    for (let i = 0; i < 30; i++) {
      const code = await wrongPin(address, localAddress, forwardedFor);
      if (code !== 'wrong_pin') return code;
    }
    return 'wrong_pin';
  }

  it('through the trusted proxy, each forwarded client is limited on its own', async () => {
    const address = await createRoom('https.proxied.room', '7777');
    const throttled = await guessUntilThrottled(address, PROXY, '198.51.100.1');
    expect(throttled).toMatch(/locked_out|rate_limited/);
    // Another client behind the same proxy is not throttled by the first one's guesses.
    expect(await wrongPin(address, PROXY, '198.51.100.2')).toBe('wrong_pin');
  });

  it('from anyone else the header is ignored: a new X-Forwarded-For does not buy new guesses', async () => {
    const address = await createRoom('https.direct.room', '7777');
    const throttled = await guessUntilThrottled(address, '127.0.0.1', '198.51.100.3');
    expect(throttled).toMatch(/locked_out|rate_limited/);
    expect(await wrongPin(address, '127.0.0.1', '198.51.100.4')).toBe(throttled);
  });
});
