import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { buildWebApp } from '../build.mjs';

// The real bundle (web/build.mjs) in real Chromium, served by a small static server on loopback.
// Screenshots for a person to look at; outside web/dist so the server never serves them.
const SCREENSHOTS = process.env.WEB_SCREENSHOT_DIR ?? join(tmpdir(), 'convene-web-screenshots');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

let dist: string;
let server: Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  // Built into a private folder: web/dist may be in use by a running server or another test.
  ({ dist } = await buildWebApp(mkdtempSync(join(tmpdir(), 'convene-web-dist-'))));
  mkdirSync(SCREENSHOTS, { recursive: true });
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = normalize(join(dist, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dist)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dist) rmSync(dist, { recursive: true, force: true });
});

async function openPage(query = '', viewport = { width: 1280, height: 860 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/${query}`);
  await page.getByTestId('join-form').waitFor();
  return { page, errors };
}

/** A port where nothing listens: opened then closed again. */
async function deadPort(): Promise<number> {
  const probe = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => probe.once('listening', () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('join page in Chromium', () => {
  it('renders every field with a label, and the test hook reports the join phase', async () => {
    const { page, errors } = await openPage();
    await expect(page.title()).resolves.toBe('Join a meeting · Convene');
    for (const label of ['Meeting address', 'Your name', 'PIN (optional)', 'Call bandwidth']) {
      await expect(page.getByLabel(label, { exact: true }).count()).resolves.toBe(1);
    }
    for (const mode of ['Video', 'Audio only', 'Audio + presentation']) {
      await expect(page.getByRole('radio', { name: new RegExp(`^${mode.replace('+', '\\+')}`) }).count()).resolves.toBe(1);
    }
    await expect(page.getByTestId('join-mode-video').isChecked()).resolves.toBe(true);
    await expect(page.getByTestId('join-bandwidth').inputValue()).resolves.toBe('1200');
    const options = await page.getByTestId('join-bandwidth').locator('option').allTextContents();
    expect(options).toEqual(['256 kbps', '576 kbps', '1.2 Mbps', '2.4 Mbps', '4 Mbps']);
    const phase = await page.evaluate(() => window.convene.state.phase);
    expect(phase).toBe('join');
    await expect(page.evaluate(() => window.convene.stats())).resolves.toEqual({});
    await page.screenshot({ path: join(SCREENSHOTS, 'join-desktop.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a message for an empty name and a bad PIN, and focuses the first bad field', async () => {
    const { page } = await openPage();
    await page.getByTestId('join-address').fill('team.room@convene.example');
    await page.getByTestId('join-pin').fill('12');
    await page.getByTestId('join-submit').click();
    await expect(page.getByTestId('join-name-error').textContent()).resolves.toBe('Enter your name so others know who you are.');
    await expect(page.getByTestId('join-pin-error').textContent()).resolves.toBe('A PIN is 4 to 20 digits.');
    await expect(page.getByTestId('join-address-error').isHidden()).resolves.toBe(true);
    await expect(page.getByTestId('join-name').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('join-name');
    await page.screenshot({ path: join(SCREENSHOTS, 'join-validation.png'), fullPage: true });
    // Fixing the fields clears the messages (the submit then tries to connect).
    await page.getByTestId('join-name').fill('Ada');
    await page.getByTestId('join-pin').fill('1234');
    await page.getByTestId('join-submit').click();
    await expect(page.getByTestId('join-pin-error').isHidden()).resolves.toBe(true);
    await page.close();
  });

  it('says so in a sentence when the signalling server cannot be reached, and keeps the form filled in', async () => {
    const port = await deadPort();
    const { page, errors } = await openPage(`?ws=${encodeURIComponent(`ws://127.0.0.1:${port}/ws`)}&address=team.room@convene.example&name=Ada`);
    await expect(page.getByTestId('join-name').inputValue()).resolves.toBe('Ada');
    await page.getByTestId('join-mode-audio-only').check();
    await page.getByTestId('join-submit').click();
    const banner = page.getByTestId('join-error');
    await banner.waitFor({ state: 'visible' });
    await expect(banner.textContent()).resolves.toBe('Cannot reach the meeting service. Check your network connection and try again.');
    await expect(page.getByTestId('join-address').inputValue()).resolves.toBe('team.room@convene.example');
    await expect(page.getByTestId('join-mode-audio-only').isChecked()).resolves.toBe(true);
    await expect(page.evaluate(() => window.convene.state.phase)).resolves.toBe('join');
    await page.screenshot({ path: join(SCREENSHOTS, 'join-unreachable.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits a narrow window without horizontal scrolling', async () => {
    const { page } = await openPage('', { width: 360, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'join-narrow.png'), fullPage: true });
    await page.close();
  });
});
