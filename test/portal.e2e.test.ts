/**
 * The administration portal in a real browser (Debian's chromium via playwright-core) against the
 * real admin API on a real Redis: a partner admin signs in with the bootstrap token, creates a
 * company, orders licences, searches the order history and downloads it as CSV, invites a user,
 * adds a team VMR, an endpoint (opening its QR code) and a calling domain, runs a batch action,
 * downloads the handout PDF; then the invitee accepts the emailed link and sets PINs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import pino from 'pino';
import { Registry } from 'prom-client';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../common/src/index.js';
import { createAdmin } from '../server/src/admin/index.js';
import { installErrorHandler } from '../server/src/http/error-handler.js';
import { installSecurityHeaders } from '../server/src/http/index.js';
import { freeDnsPort, startDnsmasq } from '../server/src/admin/tests/dnsmasq.js';
import { startTestRedis, type TestRedis } from './support/redis.js';

const run = promisify(execFile);
const portalSrc = path.resolve(import.meta.dirname, '..', 'web', 'portal');

let redis: TestRedis;
let app: FastifyInstance;
let browser: Browser;
let page: Page;
let base = '';
let partnerToken = '';
let dnsPort = 0;
let dns: { stop(): Promise<void> } | undefined;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-portal-e2e-'));
/** Content-Security-Policy violations any portal page reported (the service's headers are on). */
const cspViolations: string[] = [];

async function watchCsp(context: BrowserContext): Promise<void> {
  await context.exposeFunction('__cspViolation', (v: string) => cspViolations.push(v));
  // As text: this file is type-checked without the DOM library.
  await context.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI));",
  });
  context.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
}

/** Builds the portal the way the service ships it: web root with portal/{index.html,portal.css,portal.js}. */
async function buildPortal(webRoot: string): Promise<void> {
  const out = path.join(webRoot, 'portal');
  fs.mkdirSync(out, { recursive: true });
  await build({ entryPoints: [path.join(portalSrc, 'src', 'main.ts')], bundle: true, format: 'esm', target: 'es2022', outfile: path.join(out, 'portal.js'), logLevel: 'silent' });
  fs.copyFileSync(path.join(portalSrc, 'index.html'), path.join(out, 'index.html'));
  fs.copyFileSync(path.join(portalSrc, 'portal.css'), path.join(out, 'portal.css'));
}

async function dialogOk(p: Page): Promise<void> {
  await p.locator('dialog[open]').getByRole('button', { name: 'OK' }).click();
  await p.locator('dialog[open]').waitFor({ state: 'detached' });
}

beforeAll(async () => {
  redis = await startTestRedis();
  // The DNS server for "Verify" starts later, once the test knows the TXT value to publish.
  dnsPort = await freeDnsPort();
  const webRoot = path.join(work, 'web');
  await buildPortal(webRoot);
  const admin = createAdmin({
    redis: redis.client,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    config: {
      defaultDomain: 'convene.example',
      publicBaseUrl: 'http://127.0.0.1:1',
      domainVerification: { secret: 'portal-e2e-secret-0123456789', resolverServers: [`127.0.0.1:${dnsPort}`] },
    },
  });
  app = Fastify({ logger: false });
  installErrorHandler(app);
  installSecurityHeaders(app);
  admin.registerRoutes(app);
  await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'] });
  // The invitation link is /portal/accept?token=…: the portal page handles it.
  app.get('/portal/accept', (_req, reply) => reply.sendFile('portal/index.html'));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const boot = await admin.bootstrap();
  partnerToken = boot.token ?? '';
  // A dial-in number for the handout.
  const put = await app.inject({ method: 'PUT', url: '/api/v1/dial-in-numbers/+4721000000', headers: { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json' }, payload: JSON.stringify({ label: 'Norway (IVR)', target: { kind: 'ivr' } }) });
  expect(put.statusCode).toBe(200);
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const context = await browser.newContext({ acceptDownloads: true });
  await watchCsp(context);
  page = await context.newPage();
});

afterAll(async () => {
  await dns?.stop();
  await browser?.close();
  await app?.close();
  await redis?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('portal walk-through in chromium', () => {
  let companyUrl = '';

  it('refuses a wrong token and signs in with the partner token', async () => {
    await page.goto(`${base}/portal/`);
    await page.getByLabel('Token').fill('not-a-real-token-0000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.form-error').textContent()).toContain('unauthorized');
    await page.getByLabel('Token').fill(partnerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Companies' }).waitFor();
    expect(await page.locator('#who').textContent()).toContain('partner admin');
  });

  it('creates a company', async () => {
    await page.getByRole('button', { name: '+ New company' }).click();
    await page.getByLabel('Company name').fill('Acme Corp');
    await page.getByLabel(/Contact email/).fill('it@acme.example');
    await dialogOk(page);
    await page.getByRole('heading', { name: 'Acme Corp' }).waitFor();
    companyUrl = page.url().replace(/\/users$/, '');
    expect(companyUrl).toMatch(/#\/company\/[^/]+$/);
  });

  it('orders licences; the plans, order history search and CSV download show them', async () => {
    await page.getByRole('tab', { name: 'Licences & orders' }).click();
    for (const [plan, qty] of [['Enterprise User License (CNV-EUL)', '5'], ['Endpoint License Basic (CNV-EP-BAS)', '2']] as const) {
      await page.getByRole('button', { name: '+ Order licences' }).click();
      await page.getByLabel('Plan type').selectOption({ label: plan });
      await page.getByLabel('Licenses').fill(qty);
      await page.getByLabel(/Price per license/).fill('12.50');
      await page.getByLabel('Order reference').fill(`PO-${qty}`);
      await dialogOk(page);
    }
    const plans = page.getByTestId('plans');
    await expect.poll(() => plans.locator('tbody tr').count()).toBe(2);
    expect(await plans.textContent()).toContain('12.50 EUR');
    const orders = page.getByTestId('orders');
    await expect.poll(() => orders.locator('tbody tr').count()).toBe(2);

    await page.getByLabel('SKU').fill('CNV-EP-BAS');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => orders.locator('tbody tr').count()).toBe(1);
    expect(await orders.textContent()).toContain('Endpoint License Basic');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const csv = fs.readFileSync((await download.path()) ?? '', 'utf8');
    expect(csv.split(/\r?\n/)[0]).toContain('Date/Time (UTC)');
    expect(csv).toContain('CNV-EP-BAS');
    expect(csv).not.toContain('CNV-EUL'); // the download honours the search

    // Change quantity from the plan's actions: a new order event appears.
    await page.getByLabel('SKU').fill('');
    await plans.locator('tbody tr', { hasText: 'Enterprise User License' }).getByRole('button', { name: 'Quantity' }).click();
    await page.getByLabel('New quantity').fill('6');
    await dialogOk(page);
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => orders.locator('tbody tr').count()).toBe(3);
    expect(await orders.textContent()).toContain('quantity change');
  });

  it('invites a user, adds a team VMR and an endpoint with its QR code', async () => {
    await page.getByRole('tab', { name: 'Users' }).click();
    await page.getByRole('button', { name: '+ Invite user' }).click();
    await page.getByLabel('Name').fill('Alice Smith');
    await page.getByLabel(/^Email/).fill('alice@acme.example');
    await page.getByLabel(/Address/).fill('Alice.Smith');
    await dialogOk(page);
    const users = page.getByTestId('list-users');
    await expect.poll(() => users.textContent()).toContain('alice.smith.vmr@convene.example');
    expect(await users.textContent()).toContain('invited');

    await page.getByRole('tab', { name: 'Team VMRs' }).click();
    await page.getByRole('button', { name: '+ Add team VMR' }).click();
    await page.getByLabel('Name').fill('Sales weekly');
    await page.getByLabel(/Address/).fill('sales.weekly');
    await dialogOk(page);
    await expect.poll(() => page.getByTestId('list-team-vmrs').textContent()).toContain('sales.weekly@convene.example');

    await page.getByRole('tab', { name: 'Endpoints' }).click();
    await page.getByRole('button', { name: '+ Add endpoint' }).click();
    await page.getByLabel('Name').fill('Boardroom');
    await page.getByLabel(/Address/).fill('boardroom.oslo');
    await page.getByLabel('Endpoint licence').selectOption('basic');
    await dialogOk(page);
    const endpoints = page.getByTestId('list-endpoints');
    await expect.poll(() => endpoints.textContent()).toContain('768 kbps');
    // An address under 6 characters on the default domain is refused with the server's code.
    await page.getByRole('button', { name: '+ Add endpoint' }).click();
    await page.getByLabel('Name').fill('Tiny');
    await page.getByLabel(/Address/).fill('tiny');
    await page.locator('dialog[open]').getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => page.locator('dialog[open] .form-error').textContent()).toContain('invalid_address');
    await page.locator('dialog[open]').getByRole('button', { name: 'Cancel' }).click();

    await endpoints.locator('tbody tr', { hasText: 'Boardroom' }).getByRole('button', { name: 'Provisioning & QR' }).click();
    const qr = page.getByTestId('qr');
    await expect.poll(() => qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    expect(await page.locator('dialog[open]').textContent()).toContain('sips:sip.convene.example:5061');
    await page.locator('dialog[open]').getByRole('button', { name: 'Close' }).click();
  });

  it('adds calling domains: the default domain verifies itself, a custom one after its TXT record is in DNS', async () => {
    await page.getByRole('tab', { name: 'Calling domains' }).click();
    await page.getByRole('button', { name: '+ Add calling domain' }).click();
    await page.getByLabel('Domain').fill('acme.convene.example');
    await dialogOk(page);
    const domains = page.getByTestId('list-domains');
    await expect.poll(() => domains.textContent()).toContain('acme.convene.example');
    expect(await domains.locator('tbody tr', { hasText: 'acme.convene.example' }).textContent()).toContain('Verified');

    // A custom domain needs a Domain Hosting licence.
    await page.getByRole('button', { name: '+ Add calling domain' }).click();
    await page.getByLabel('Domain').fill('video.acme.test');
    await page.locator('dialog[open]').getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => page.locator('dialog[open] .form-error').textContent()).toContain('no_licence_available');
    await page.locator('dialog[open]').getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('tab', { name: 'Licences & orders' }).click();
    await page.getByRole('button', { name: '+ Order licences' }).click();
    await page.getByLabel('Plan type').selectOption({ label: 'Domain Hosting License (CNV-DOM)' });
    await dialogOk(page);
    await page.getByRole('tab', { name: 'Calling domains' }).click();
    await page.getByRole('button', { name: '+ Add calling domain' }).click();
    await page.getByLabel('Domain').fill('Video.Acme.test');
    await dialogOk(page);
    const row = domains.locator('tbody tr', { hasText: 'video.acme.test' });
    await expect.poll(() => row.textContent()).toContain('Not verified');

    // The TXT record the customer must publish.
    await row.getByRole('button', { name: 'TXT record' }).click();
    const shown = (await page.locator('dialog[open]').textContent()) ?? '';
    const value = /convene-verify-[0-9a-f]+/.exec(shown)?.[0] ?? '';
    expect(shown).toContain('_convene-verification.video.acme.test');
    await page.locator('dialog[open]').getByRole('button', { name: 'Close' }).click();

    // Verify before the record exists: refused by a real DNS lookup (NXDOMAIN from dnsmasq).
    dns = await startDnsmasq(dnsPort, []);
    await row.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => page.locator('#flash').textContent()).toContain('is not verified: record missing');
    await dns.stop();

    dns = await startDnsmasq(dnsPort, [`_convene-verification.video.acme.test,"${value}"`]);
    await row.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => row.textContent()).toContain('Verified');
    expect(await row.textContent()).toContain('dns');

    // A user can now be invited on the verified custom domain.
    await page.getByRole('tab', { name: 'Users' }).click();
    await page.getByRole('button', { name: '+ Invite user' }).click();
    await page.getByLabel('Name').fill('Bob Jones');
    await page.getByLabel(/^Email/).fill('bob@acme.example');
    await page.getByLabel(/Address/).fill('bob');
    await page.getByLabel('Domain').selectOption('video.acme.test');
    await dialogOk(page);
    await expect.poll(() => page.getByTestId('list-users').textContent()).toContain('bob.vmr@video.acme.test');
  });

  it('runs a batch delete with a per-item result', async () => {
    await page.getByRole('tab', { name: 'Team VMRs' }).click();
    await page.getByRole('button', { name: '+ Add team VMR' }).click();
    await page.getByLabel('Name').fill('Temp room');
    await page.getByLabel(/Address/).fill('temp.room');
    await dialogOk(page);
    const teams = page.getByTestId('list-team-vmrs');
    await expect.poll(() => teams.locator('tbody tr').count()).toBe(2);
    await teams.locator('tbody tr', { hasText: 'Temp room' }).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Delete selected' }).click();
    await dialogOk(page);
    await expect.poll(() => page.locator('.batch-results h4').textContent()).toBe('Batch delete: 1 done, 0 failed');
    expect(await page.getByTestId('batch-results').textContent()).toContain('Temp room');
    await expect.poll(() => teams.locator('tbody tr').count()).toBe(1);
    // Reactivating an active room is refused per item, with the server's code.
    await teams.locator('tbody tr', { hasText: 'Sales weekly' }).getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Reactivate selected' }).click();
    await dialogOk(page);
    await expect.poll(() => page.locator('.batch-results h4').textContent()).toBe('Batch reactivate: 0 done, 1 failed');
    expect(await page.getByTestId('batch-results').textContent()).toContain('consumer_not_inactive');
    await expect.poll(() => teams.locator('tbody tr').count()).toBe(1);
  });

  it('downloads the handout PDF listing the consumers and dial-in numbers', async () => {
    await page.getByRole('tab', { name: 'Handout' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download PDF' }).click()]);
    const file = path.join(work, 'handout.pdf');
    await download.saveAs(file);
    const { stdout } = await run('pdftotext', ['-layout', file, '-']);
    expect(stdout).toContain('Acme Corp');
    expect(stdout).toContain('boardroom.oslo@convene.example');
    expect(stdout).toContain('sales.weekly@convene.example');
    expect(stdout).toContain('+4721000000');
    expect(stdout).not.toContain('temp.room');
  });

  it('a company admin sees only their own company, with read-only licences', async () => {
    const companyId = decodeURIComponent(/#\/company\/([^/]+)/.exec(companyUrl)?.[1] ?? '');
    const auth = { authorization: `Bearer ${partnerToken}`, 'content-type': 'application/json' };
    const issued = await app.inject({ method: 'POST', url: `/api/v1/companies/${companyId}/admins`, headers: auth, payload: JSON.stringify({ name: 'Carol Admin' }) });
    expect(issued.statusCode).toBe(201);
    const other = await app.inject({ method: 'POST', url: '/api/v1/companies', headers: auth, payload: JSON.stringify({ name: 'Globex' }) });
    const otherId = (JSON.parse(other.body) as { id: string }).id;

    // A separate browser context: its own session storage, so the partner stays signed in elsewhere.
    const context = await browser.newContext();
    await watchCsp(context);
    const admin = await context.newPage();
    try {
      await admin.goto(`${base}/portal/`);
      await admin.getByLabel('Token').fill((JSON.parse(issued.body) as { token: string }).token);
      await admin.getByRole('button', { name: 'Sign in' }).click();
      await admin.getByRole('heading', { name: 'Acme Corp' }).waitFor();
      expect(await admin.locator('#who').textContent()).toContain('Carol Admin (company admin)');
      expect(await admin.getByText('‹ All companies').count()).toBe(0);
      await admin.getByRole('tab', { name: 'Licences & orders' }).click();
      await admin.getByTestId('plans').waitFor();
      expect(await admin.getByRole('button', { name: '+ Order licences' }).count()).toBe(0);
      expect(await admin.getByTestId('plans').getByRole('button', { name: 'Quantity' }).count()).toBe(0);

      // Another customer's page is not found for this token.
      await admin.goto(`${base}/portal/#/company/${encodeURIComponent(otherId)}`);
      await expect.poll(() => admin.locator('#flash').textContent()).toContain('not_found');
      expect(await admin.getByRole('heading', { name: 'Globex' }).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('the invitee accepts the emailed link and sets PINs in the member view', async () => {
    const outbox = await app.inject({ method: 'GET', url: '/api/v1/outbox?to=alice@acme.example', headers: { authorization: `Bearer ${partnerToken}` } });
    const mails = JSON.parse(outbox.body) as { text: string }[];
    const link = /https?:\/\/\S+\/portal\/accept\?token=\S+/.exec(mails[0]?.text ?? '')?.[0];
    expect(link).toBeDefined();
    const accept = new URL(link ?? '');
    await page.locator('#logout').click();
    await page.goto(`${base}${accept.pathname}${accept.search}`);
    await page.getByRole('button', { name: 'Accept invitation' }).click();
    await page.getByTestId('member-token').waitFor();
    await page.getByRole('button', { name: 'Continue to my meeting room' }).click();
    const vmr = page.getByTestId('my-vmr');
    await expect.poll(() => vmr.textContent()).toContain('alice.smith.vmr@convene.example');
    expect(await vmr.textContent()).toMatch(/Host PIN\s*not set/);
    await page.getByRole('button', { name: 'Set PINs' }).click();
    await page.getByLabel(/Host PIN/).fill('246810');
    await page.getByLabel(/Guest PIN/).fill('1357');
    await dialogOk(page);
    await expect.poll(() => vmr.textContent()).toMatch(/Host PIN\s*set/);
    expect(await vmr.textContent()).toMatch(/Guest PIN\s*set/);
  });

  it('ran under the Content-Security-Policy without a violation (QR image, downloads, dialogs included)', () => {
    expect(cspViolations).toEqual([]);
  });
});
