/**
 * Real-media test harness: Debian's Chromium through playwright-core, with a page that runs a
 * mediasoup-client participant (test/support/media-page/page.mts, bundled with esbuild). The page
 * knows no signalling: each request it makes goes to a `SignalHandler` the test supplies — call the
 * SFU directly (test/sfu-media.test.ts) or forward to a real signalling socket.
 *
 *   const browser = await launchChromium();
 *   const server = await startPageServer();
 *   const page = await MediaPageHandle.open(browser, server.url, async (req) => ...);
 *   await page.load(routerRtpCapabilities); page.createSendTransport(info); await page.produce({ source: 'camera', simulcast: true });
 *   ...; await page.close(); await server.close(); await browser.close();
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { RtpCapabilities } from 'mediasoup/node/lib/types.js';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ConsumeOptions, InboundStats, OutboundVideoLayer, PageGlobal, ProduceOptions, SignalRequest, Source, TransportOptions } from './media-page/api.js';

export type { ConsumeOptions, InboundStats, OutboundVideoLayer, ProduceOptions, SignalRequest, Source, TransportOptions };

const here = path.dirname(fileURLToPath(import.meta.url));

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium with fake camera/microphone and auto-accepted permission prompts. Without
 * --allow-loopback-in-peer-connection Chromium gathers no ICE candidates on loopback (and
 * produce() still resolves): watch transport connection states in tests. `args` are added (e.g.
 * `fakeMicArgs`); `env` is its environment (e.g. a HOME whose NSS database trusts a test CA).
 */
export function launchChromium(opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    ...(opts.env ? { env: opts.env } : {}),
    args: [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Background tabs must keep encoding and decoding at full rate.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
      ...(opts.args ?? []),
    ],
  });
}

/** Chromium flags: its fake microphone plays `wav` (one file per browser process), and pages may play audio unprompted. */
export function fakeMicArgs(wav: string): string[] {
  return [`--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required'];
}

/**
 * Opens the web app at `appUrl` in a new 1200x800 context and joins through its join form, as a
 * person would; resolves once the meeting page shows. Page errors are collected in `errors`; the
 * caller closes the context.
 */
export async function joinWithForm(
  browser: Browser,
  appUrl: string,
  join: { address: string; name: string; mode: 'video' | 'audio-only'; pin?: string },
  errors: string[] = [],
): Promise<{ page: Page; context: BrowserContext; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(appUrl);
  await page.getByTestId('join-form').waitFor();
  await page.getByTestId('join-address').fill(join.address);
  await page.getByTestId('join-name').fill(join.name);
  if (join.pin !== undefined) await page.getByTestId('join-pin').fill(join.pin);
  await page.getByTestId(`join-mode-${join.mode}`).check();
  await page.getByTestId('join-submit').click();
  await page.getByTestId('meeting-page').waitFor({ timeout: 20_000 });
  return { page, context, errors };
}

let bundle: Promise<string> | undefined;

/** The page script (mediasoup-client + MediaPage) as one IIFE; built once per process. */
export function mediaPageBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [path.join(here, 'media-page', 'page.mts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome110',
    write: false,
    logLevel: 'silent',
  }).then((r) => {
    const out = r.outputFiles[0];
    if (!out) throw new Error('esbuild produced no output for the media page');
    return out.text;
  });
  return bundle;
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the test page on 127.0.0.1 (port 0): a secure context, so getUserMedia works, with no
 * outside requests.
 */
export async function startPageServer(): Promise<PageServer> {
  const script = await mediaPageBundle();
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>convene media test</title></head><body><script src="/page.js"></script></body></html>';
  const server = http.createServer((req, res) => {
    if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type SignalHandler = (req: SignalRequest) => Promise<unknown>;

/** One participant's page. Each runs in its own browser context (its own peer connections). */
export class MediaPageHandle {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, url: string, handler: SignalHandler): Promise<MediaPageHandle> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.exposeFunction('__convene_signal', (method: SignalRequest['method'], data: unknown) => handler({ method, data } as SignalRequest));
    await page.goto(url);
    await page.waitForFunction(() => typeof (globalThis as unknown as Partial<PageGlobal>).mediaPage === 'object');
    return new MediaPageHandle(context, page);
  }

  /** Loads the mediasoup-client Device; returns the device's RTP capabilities for the server. */
  load(routerRtpCapabilities: RtpCapabilities): Promise<RtpCapabilities> {
    return this.page.evaluate((caps) => (globalThis as unknown as PageGlobal).mediaPage.load(caps), strip(routerRtpCapabilities));
  }

  createSendTransport(options: TransportOptions): Promise<void> {
    return this.page.evaluate((o) => (globalThis as unknown as PageGlobal).mediaPage.createSendTransport(o), strip(options));
  }

  createRecvTransport(options: TransportOptions): Promise<void> {
    return this.page.evaluate((o) => (globalThis as unknown as PageGlobal).mediaPage.createRecvTransport(o), strip(options));
  }

  produce(options: ProduceOptions): Promise<string> {
    return this.page.evaluate((o) => (globalThis as unknown as PageGlobal).mediaPage.produce(o), options);
  }

  consume(info: ConsumeOptions): Promise<void> {
    return this.page.evaluate((i) => (globalThis as unknown as PageGlobal).mediaPage.consume(i), strip(info));
  }

  closeConsumer(consumerId: string): Promise<void> {
    return this.page.evaluate((id) => (globalThis as unknown as PageGlobal).mediaPage.closeConsumer(id), consumerId);
  }

  inboundStats(): Promise<InboundStats[]> {
    return this.page.evaluate(() => (globalThis as unknown as PageGlobal).mediaPage.inboundStats());
  }

  outboundLayers(source: Source): Promise<{ rid: string; bytesSent: number }[]> {
    return this.page.evaluate((s) => (globalThis as unknown as PageGlobal).mediaPage.outboundLayers(s), source);
  }

  outboundVideo(source: Source): Promise<OutboundVideoLayer[]> {
    return this.page.evaluate((s) => (globalThis as unknown as PageGlobal).mediaPage.outboundVideo(s), source);
  }

  /** mediasoup-client transport connection states by direction ('new' … 'connected' | 'failed'). */
  transportStates(): Promise<Record<string, string>> {
    return this.page.evaluate(() => ({ ...(globalThis as unknown as PageGlobal).mediaPage.transportStates }));
  }

  errors(): Promise<string[]> {
    return this.page.evaluate(() => [...(globalThis as unknown as PageGlobal).mediaPage.errors]);
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** Plain JSON copy: what crosses to the page must be serialisable (no class instances). */
function strip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Polls `probe` until `accept` holds, at most `timeoutMs` (bounded: `intervalMs` apart). Returns
 * the last value seen; the caller asserts on it, so a timeout fails with the actual numbers.
 */
export async function pollUntil<T>(probe: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = 15_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!accept(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    value = await probe();
  }
  return value;
}
