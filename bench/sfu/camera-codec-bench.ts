/**
 * Camera codec bench: VP8 vs H.264 simulcast from headless Chromium (fake camera) through a real
 * MediaRoom. One publisher browser sends a 3-layer simulcast camera with the web app's own
 * encodings (web/src/media/encodings.ts) for a call bandwidth; three receiver pages (another
 * browser) each ask for one spatial layer. Measured over a window after a warm-up:
 *   - publisher: per layer codec, encoder, resolution, fps, bitrate, encode ms per frame, and the
 *     CPU the publisher's whole browser process tree used (from /proc, % of one core);
 *   - receivers: resolution, decoded fps and bitrate per layer they asked for, and the codec.
 *
 *   npx tsx bench/sfu/camera-codec-bench.ts [bandwidthKbps=1200] [seconds=15] [fps=30]
 *
 * Prints a JSON result and a Markdown table. Timing is reported, never asserted.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { MediaService, mediaConfigSchema, type MediaRoom, type ParticipantMedia } from '../../sfu/src/index.js';
import { startTestPool } from '../../sfu/src/testing.js';
import { cameraConstraints, cameraEncodings } from '../../web/src/media/encodings.js';
import { launchChromium, MediaPageHandle, startPageServer, type PageServer } from '../../test/support/browser.js';
import { CLK_TCK, processTree, treeTicks } from '../media/proc-stats.mjs';

const [bandwidthKbps = 1200, seconds = 15, fps = 30] = process.argv.slice(2).map(Number);
const WARMUP_MS = 8000;
const logger = pino({ level: 'silent' });
const here = path.dirname(fileURLToPath(import.meta.url));

/** CPU seconds (user + system) used so far by these processes. */
const cpuSeconds = (pids: number[]): number => treeTicks(pids) / CLK_TCK;

/** Every process below `root` (not `root` itself). */
const descendants = (root: number): number[] => processTree(root).slice(1);

/** Launches a Chromium and returns it with the pids it added below this process. */
async function launchTracked(): Promise<{ browser: Browser; pids: () => number[] }> {
  const before = new Set(descendants(process.pid));
  const browser = await launchChromium();
  const mine = descendants(process.pid).filter((p) => !before.has(p));
  // Renderers start later: everything below the browser's own processes counts.
  return { browser, pids: () => [...new Set([...mine, ...mine.flatMap((p) => descendants(p))])] };
}

async function join(browser: Browser, server: PageServer, room: MediaRoom, id: string): Promise<{ page: MediaPageHandle; media: ParticipantMedia }> {
  let media: ParticipantMedia | undefined;
  const page = await MediaPageHandle.open(browser, server.url, async (req) => {
    if (!media) throw new Error('not joined');
    switch (req.method) {
      case 'connectTransport':
        return media.connectTransport(req.data.transportId, req.data.dtlsParameters);
      case 'produce':
        return media.produce(req.data);
      case 'resumeConsumer':
        return media.resumeConsumer(req.data.consumerId);
    }
  });
  const rtpCapabilities = await page.load(room.rtpCapabilities);
  media = await room.addParticipant(id, { mode: 'video', maxIncomingBitrateBps: 10_000_000, maxOutgoingBitrateBps: 10_000_000, rtpCapabilities });
  const m = media;
  m.events.on('consumerAdded', (c) => void page.consume(c).catch(() => undefined));
  await page.createSendTransport(await m.createTransport('send'));
  await page.createRecvTransport(await m.createTransport('recv'));
  return { page, media: m };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function run(codec: 'video/VP8' | 'video/H264', server: PageServer, service: MediaService) {
  const room = await service.openRoom(`codec-bench-${codec}-${Date.now()}`);
  const pub = await launchTracked();
  const recvBrowser = await launchChromium();
  try {
    const publisher = await join(pub.browser, server, room, 'publisher');
    const receivers = await Promise.all([0, 1, 2].map((layer) => join(recvBrowser, server, room, `layer-${layer}`)));
    const c = cameraConstraints(bandwidthKbps);
    const capture = { width: c.width.ideal, height: c.height.ideal, frameRate: fps };
    await publisher.page.produce({ source: 'camera', codecMimeType: codec, encodings: cameraEncodings(bandwidthKbps), capture });
    // Each receiver asks for one spatial layer.
    for (let i = 0; i < 50 && receivers.some((r) => r.media.consumerInfos().length === 0); i++) await sleep(100);
    await Promise.all(receivers.map((r, layer) => r.media.setPreferredLayers(r.media.consumerInfos()[0]!.id, { spatialLayer: layer })));
    await sleep(WARMUP_MS);

    const out0 = await publisher.page.outboundVideo('camera');
    const in0 = await Promise.all(receivers.map((r) => r.page.inboundStats()));
    const cpu0 = cpuSeconds(pub.pids());
    const t0 = Date.now();
    await sleep(seconds * 1000);
    const out1 = await publisher.page.outboundVideo('camera');
    const in1 = await Promise.all(receivers.map((r) => r.page.inboundStats()));
    const cpu1 = cpuSeconds(pub.pids());
    const dt = (Date.now() - t0) / 1000;

    const layers = out1.map((l) => {
      const before = out0.find((x) => x.rid === l.rid);
      const frames = l.framesEncoded - (before?.framesEncoded ?? 0);
      return {
        rid: l.rid,
        mimeType: l.mimeType,
        encoder: l.encoderImplementation,
        scalabilityMode: l.scalabilityMode,
        resolution: `${l.frameWidth}x${l.frameHeight}`,
        fps: +(frames / dt).toFixed(1),
        kbps: Math.round(((l.bytesSent - (before?.bytesSent ?? 0)) * 8) / dt / 1000),
        encodeMsPerFrame: frames > 0 ? +(((l.totalEncodeTime - (before?.totalEncodeTime ?? 0)) * 1000) / frames).toFixed(2) : 0,
        limitation: l.qualityLimitationReason,
      };
    });
    const received = in1.map((rows, layer) => {
      const now = rows.find((r) => r.kind === 'video');
      const before = in0[layer]!.find((r) => r.kind === 'video');
      return {
        askedLayer: layer,
        mimeType: now?.mimeType ?? '',
        resolution: `${now?.frameWidth ?? 0}x${now?.frameHeight ?? 0}`,
        fps: +(((now?.framesDecoded ?? 0) - (before?.framesDecoded ?? 0)) / dt).toFixed(1),
        kbps: Math.round((((now?.bytesReceived ?? 0) - (before?.bytesReceived ?? 0)) * 8) / dt / 1000),
      };
    });
    return { codec, capture, publisherCpuPercentOfOneCore: +(((cpu1 - cpu0) / dt) * 100).toFixed(1), sentLayers: layers, received };
  } finally {
    await pub.browser.close();
    await recvBrowser.close();
    room.close();
  }
}

const pool = await startTestPool(logger, 1);
const service = new MediaService(pool, mediaConfigSchema.parse({}), logger);
const server = await startPageServer();
const results = [];
try {
  for (const codec of ['video/VP8', 'video/H264'] as const) results.push(await run(codec, server, service));
} finally {
  await server.close();
  service.close();
  pool.close();
}
const result = { at: new Date().toISOString(), bandwidthKbps, seconds, fps, loadavg: (await import('node:os')).loadavg().map((n) => +n.toFixed(2)), results };
console.log(JSON.stringify(result, null, 1));
for (const r of results) {
  console.log(`\n${r.codec}: publisher browser CPU ${r.publisherCpuPercentOfOneCore}% of one core`);
  console.log('| layer | encoder | sent | fps | kbps | encode ms/frame | received (asked layer) | fps | kbps |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  r.sentLayers.forEach((l, i) => {
    const got = r.received[i];
    console.log(`| ${l.rid} | ${l.encoder} ${l.scalabilityMode} | ${l.resolution} | ${l.fps} | ${l.kbps} | ${l.encodeMsPerFrame} | ${got?.resolution ?? ''} ${got?.mimeType ?? ''} | ${got?.fps ?? ''} | ${got?.kbps ?? ''} |`);
  });
}
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', `camera-codec-${bandwidthKbps}.json`), JSON.stringify(result, null, 1) + '\n');
