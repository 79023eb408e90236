/**
 * The SFU end to end with real media: Chromium pages (mediasoup-client, fake camera and mic) send
 * VP8 simulcast + Opus through a MediaRoom on real mediasoup workers and decode each other.
 * Signalling is replaced by direct calls into ParticipantMedia (the page's requests land in a
 * handler here), so this proves the media layer alone.
 */
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPool } from '../sfu/src/testing.js';
import { MediaService, WorkerPool, mediaConfigSchema, type JoinMode, type MediaRoom, type ParticipantMedia } from '../sfu/src/index.js';
import { launchChromium, MediaPageHandle, pollUntil, startPageServer, type InboundStats, type PageServer } from './support/browser.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

let pool: WorkerPool;
let media: MediaService;
let browser: Browser;
let server: PageServer;

beforeAll(async () => {
  pool = await startTestPool(logger);
  // One participant per router: the two browsers talk across a pipe between two workers.
  media = new MediaService(pool, mediaConfigSchema.parse({ maxParticipantsPerRouter: 1 }), logger);
  [browser, server] = await Promise.all([launchChromium(), startPageServer()]);
});

afterAll(async () => {
  media?.close();
  await browser?.close();
  await server?.close();
  pool?.close();
});

interface Peer {
  id: string;
  page: MediaPageHandle;
  media: ParticipantMedia;
  consumeErrors: string[];
}

/** A browser participant wired straight to the SFU: page requests → ParticipantMedia; consumerAdded → page.consume. */
async function joinBrowser(room: MediaRoom, id: string, mode: JoinMode = 'video', downlinkBps = 6_000_000): Promise<Peer> {
  let participant: ParticipantMedia | undefined;
  const need = () => {
    if (!participant) throw new Error('not joined yet');
    return participant;
  };
  const page = await MediaPageHandle.open(browser, server.url, async (req) => {
    switch (req.method) {
      case 'connectTransport':
        return need().connectTransport(req.data.transportId, req.data.dtlsParameters);
      case 'produce':
        return need().produce(req.data);
      case 'resumeConsumer':
        return need().resumeConsumer(req.data.consumerId);
    }
  });
  const rtpCapabilities = await page.load(room.rtpCapabilities);
  participant = await room.addParticipant(id, { mode, maxIncomingBitrateBps: 3_000_000, maxOutgoingBitrateBps: downlinkBps, rtpCapabilities });
  const peer: Peer = { id, page, media: participant, consumeErrors: [] };
  participant.events.on('consumerAdded', (c) => void page.consume(c).catch((err: unknown) => peer.consumeErrors.push(String(err))));
  participant.events.on('consumerClosed', (consumerId) => void page.closeConsumer(consumerId).catch(() => undefined));
  await page.createSendTransport(await participant.createTransport('send'));
  await page.createRecvTransport(await participant.createTransport('recv'));
  return peer;
}

const from = (stats: InboundStats[], participantId: string, source: string) => stats.find((s) => s.participantId === participantId && s.source === source);

describe('SFU with real browsers', () => {
  it('two Chromium pages send VP8 simulcast + Opus (and a screen share) across two workers and each decodes the other', async () => {
    const room = await media.openRoom('browsers');
    const speakers: (string | null)[] = [];
    room.events.on('activeSpeaker', (id) => speakers.push(id));
    const peers = [await joinBrowser(room, 'alice'), await joinBrowser(room, 'bob')];
    expect(new Set(peers.map((p) => p.media.workerIndex)).size).toBe(2);
    const dtls: string[] = [];
    for (const p of peers) p.media.events.on('transportStateChanged', (_id, direction, state) => dtls.push(`${p.id}:${direction}:${state}`));

    for (const p of peers) {
      await p.page.produce({ source: 'mic' });
      await p.page.produce({ source: 'camera', simulcast: true });
    }

    for (const [me, other] of [peers, [...peers].reverse()] as [Peer, Peer][]) {
      const decoding = (s: InboundStats[]) => (from(s, other.id, 'camera')?.framesDecoded ?? 0) > 0 && (from(s, other.id, 'mic')?.bytesReceived ?? 0) > 0;
      const first = await pollUntil(() => me.page.inboundStats(), decoding, 20_000);
      expect(await me.page.transportStates()).toEqual({ send: 'connected', recv: 'connected' });
      expect(me.consumeErrors).toEqual([]);
      expect(from(first, other.id, 'camera')?.framesDecoded).toBeGreaterThan(0);
      // Still flowing: frames and audio keep arriving.
      const later = await pollUntil(
        () => me.page.inboundStats(),
        (s) =>
          (from(s, other.id, 'camera')?.framesDecoded ?? 0) > from(first, other.id, 'camera')!.framesDecoded &&
          (from(s, other.id, 'mic')?.bytesReceived ?? 0) > from(first, other.id, 'mic')!.bytesReceived,
      );
      expect(from(later, other.id, 'camera')!.framesDecoded).toBeGreaterThan(from(first, other.id, 'camera')!.framesDecoded);
      expect(from(later, other.id, 'mic')!.bytesReceived).toBeGreaterThan(from(first, other.id, 'mic')!.bytesReceived);
    }

    expect(dtls.filter((d) => d.endsWith(':connected')).sort()).toEqual(['alice:recv:connected', 'alice:send:connected', 'bob:recv:connected', 'bob:send:connected']);

    // A screen share (getDisplayMedia) reaches the other side as a 'screen' consumer and decodes.
    await peers[0]!.page.produce({ source: 'screen' });
    const screen = await pollUntil(() => peers[1]!.page.inboundStats(), (s) => (from(s, 'alice', 'screen')?.framesDecoded ?? 0) > 0);
    expect(from(screen, 'alice', 'screen')?.framesDecoded).toBeGreaterThan(0);

    // The browser's three simulcast encodings arrive as one 3-spatial-layer stream the SFU can pick
    // from (which layer each receiver gets is the bandwidth test's business).
    const cam = peers[1]!.media.consumerInfos().find((c) => c.participantId === 'alice' && c.source === 'camera')!;
    expect(cam.type).toBe('simulcast');
    expect(cam.rtpParameters.encodings?.[0]?.scalabilityMode).toMatch(/^L3T/);

    // Chromium's fake microphone beeps: the active-speaker observer names a participant.
    await pollUntil(async () => speakers.length, (n) => n > 0, 20_000);
    expect(speakers.some((s) => s === 'alice' || s === 'bob')).toBe(true);

    const stats = await room.stats();
    expect(stats.bitrateInBps).toBeGreaterThan(0);
    expect(stats.bitrateOutBps).toBeGreaterThan(0);

    // A host mutes bob: alice stops receiving his audio.
    const bobMic = peers[1]!.media.producers().find((p) => p.source === 'mic')!.id;
    const bobAudioAtAlice = async () => from(await peers[0]!.page.inboundStats(), 'bob', 'mic')!.bytesReceived;
    const beforeMute = await bobAudioAtAlice();
    await peers[1]!.media.pauseProducer(bobMic, true);
    // Packets already in flight may still land; then the count must stand still.
    let last = -1;
    const settled = await pollUntil(
      async () => {
        const prev = last;
        last = await bobAudioAtAlice();
        return { prev, now: last };
      },
      ({ prev, now }) => prev === now,
      10_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(settled.now).toBeGreaterThanOrEqual(beforeMute);
    expect(await bobAudioAtAlice()).toBe(settled.now);

    // The active speaker leaving clears it.
    const current = room.activeSpeaker!;
    room.participant(current)!.close();
    expect(room.activeSpeaker).toBeNull();
    expect(speakers.at(-1)).toBeNull();

    for (const p of peers) await p.page.close();
    room.close();
  });

  it('last-N follows speech: a viewer limited to one camera switches to whoever speaks', async () => {
    const lastOne = new MediaService(pool, mediaConfigSchema.parse({ lastN: 1 }), logger);
    const room = await lastOne.openRoom('last-n');
    try {
      // The silent one joins first, so with nobody speaking it fills the single slot.
      const silent = await joinBrowser(room, 'silent');
      const talker = await joinBrowser(room, 'talker');
      const viewer = await joinBrowser(room, 'viewer');
      await silent.page.produce({ source: 'camera' });
      await talker.page.produce({ source: 'camera' });
      const cameras = async () => (await viewer.page.inboundStats()).filter((s) => s.source === 'camera').map((s) => s.participantId);
      expect(await pollUntil(cameras, (c) => c.length === 1 && c[0] === 'silent')).toEqual(['silent']);

      // The talker's (fake, beeping) microphone makes it the dominant speaker: it takes the slot.
      await talker.page.produce({ source: 'mic' });
      const switched = await pollUntil(cameras, (c) => c.length === 1 && c[0] === 'talker', 20_000);
      expect(room.activeSpeaker).toBe('talker');
      expect(switched).toEqual(['talker']);
      const decoded = await pollUntil(() => viewer.page.inboundStats(), (s) => (from(s, 'talker', 'camera')?.framesDecoded ?? 0) > 0);
      expect(from(decoded, 'talker', 'camera')?.framesDecoded).toBeGreaterThan(0);
      for (const p of [silent, talker, viewer]) await p.page.close();
    } finally {
      lastOne.close();
    }
  });

  it("a receiver's call bandwidth picks the simulcast layer it decodes; audio-only gets no video", async () => {
    const room = await media.openRoom('bandwidth');
    const sender = await joinBrowser(room, 'sender');
    const thin = await joinBrowser(room, 'thin', 'video', 300_000);
    const fat = await joinBrowser(room, 'fat', 'video', 6_000_000);
    const phone = await joinBrowser(room, 'phone', 'audio-only');
    const layersSeen = new Map<string, number | null>();
    for (const p of [thin, fat]) p.media.events.on('consumerLayersChanged', (_id, layers) => layersSeen.set(p.id, layers?.spatialLayer ?? null));
    await sender.page.produce({ source: 'mic' });
    await sender.page.produce({ source: 'camera', simulcast: true });

    // The thin pipe is held on the lowest layer (1280/4 = 320 wide, less if Chromium scales its input
    // down under CPU load); the fat one climbs above it as bandwidth estimation ramps (to 1280 on an
    // idle machine).
    const width = (s: InboundStats[]) => from(s, 'sender', 'camera')?.frameWidth ?? 0;
    const thinStats = await pollUntil(() => thin.page.inboundStats(), (s) => (from(s, 'sender', 'camera')?.framesDecoded ?? 0) > 30);
    expect(from(thinStats, 'sender', 'camera')?.framesDecoded).toBeGreaterThan(30);
    const thinWidth = width(thinStats);
    expect(thinWidth).toBeGreaterThan(0);
    expect(thinWidth).toBeLessThanOrEqual(320);
    const fatStats = await pollUntil(() => fat.page.inboundStats(), (s) => width(s) > thinWidth, 30_000);
    expect(width(fatStats)).toBeGreaterThan(thinWidth);
    expect(width(await thin.page.inboundStats())).toBeLessThanOrEqual(320);
    // The SFU reported the layers it forwards: the lowest to thin, a higher one to fat.
    expect(layersSeen.get('thin')).toBe(0);
    expect(layersSeen.get('fat')).toBeGreaterThan(0);

    const phoneStats = await pollUntil(() => phone.page.inboundStats(), (s) => (from(s, 'sender', 'mic')?.bytesReceived ?? 0) > 0);
    expect(phoneStats.map((s) => `${s.participantId}:${s.kind}`)).toEqual(['sender:audio']);
    expect(phoneStats[0]!.bytesReceived).toBeGreaterThan(0);

    for (const p of [sender, thin, fat, phone]) await p.page.close();
    room.close();
  });
});
