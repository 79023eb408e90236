import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { Consumer } from 'mediasoup/node/lib/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadMediasoup } from '../mediasoup-loader.js';
import { testPoolConfig } from '../testing.js';
import { WorkerPool, type WorkerPoolConfig } from '../worker-pool.js';
import { MediaError } from './errors.js';
import { mediaConfigSchema, type MediaConfig } from './media-config.js';
import type { MediaRoom } from './media-room.js';
import { MediaService } from './media-service.js';
import type { ParticipantMedia } from './participant-media.js';
import { capabilitiesWithout, clientCapabilities, h264Parameters, opusParameters, vp8Parameters } from './testing/rtp-fixtures.js';
import type { ConsumerInfo, JoinMode, MediaCloseReason } from './types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const poolConfig: WorkerPoolConfig = testPoolConfig();

/** Every consumer mediasoup creates, watched through mediasoup's own observer (no hooks in our code). */
const mediasoupConsumers = new Map<string, Consumer>();
let pool: WorkerPool;
const services: MediaService[] = [];

beforeAll(async () => {
  const bin = WorkerPool.resolveWorkerBin(null, root);
  const mediasoup = await loadMediasoup(bin);
  mediasoup.observer.on('newworker', (w) =>
    w.observer.on('newrouter', (r) =>
      r.observer.on('newtransport', (t) => t.observer.on('newconsumer', (c) => mediasoupConsumers.set(c.id, c))),
    ),
  );
  pool = new WorkerPool(poolConfig, bin, logger);
  await pool.start();
});
afterEach(() => {
  for (const s of services.splice(0)) s.close();
});
afterAll(() => pool.close());

function service(overrides: Partial<MediaConfig> = {}): MediaService {
  const s = new MediaService(pool, mediaConfigSchema.parse(overrides), logger);
  services.push(s);
  return s;
}

/** A participant as a client would drive it: both transports, and a log of what the SFU told it. */
interface Client {
  media: ParticipantMedia;
  sendId: string;
  recvId: string;
  added: ConsumerInfo[];
  closedConsumers: string[];
  closedWith: MediaCloseReason[];
  live(): ConsumerInfo[];
}

async function join(room: MediaRoom, id: string, mode: JoinMode = 'video', bw = { in: 2_000_000, out: 5_000_000 }, caps = clientCapabilities(room.rtpCapabilities)): Promise<Client> {
  const media = await room.addParticipant(id, { mode, maxIncomingBitrateBps: bw.in, maxOutgoingBitrateBps: bw.out, rtpCapabilities: caps });
  const client: Client = {
    media,
    sendId: '',
    recvId: '',
    added: [],
    closedConsumers: [],
    closedWith: [],
    live: () => client.added.filter((c) => !client.closedConsumers.includes(c.id)),
  };
  media.events.on('consumerAdded', (c) => client.added.push(c));
  media.events.on('consumerClosed', (id) => client.closedConsumers.push(id));
  media.events.on('closed', (reason) => client.closedWith.push(reason));
  client.sendId = (await media.createTransport('send')).id;
  client.recvId = (await media.createTransport('recv')).id;
  return client;
}

async function settle(room: MediaRoom): Promise<void> {
  // Two passes: one participant's sync can trigger another's (a consumer closing frees bandwidth).
  for (let i = 0; i < 2; i++) await Promise.all(room.participants().map((p) => p.settled()));
}

const sources = (c: Client) => c.live().map((x) => `${x.participantId}:${x.source}`).sort();

describe('MediaRoom (real mediasoup workers)', () => {
  it('creates WebRTC transports through the worker WebRtcServer with ICE candidates on 127.0.0.1', async () => {
    const room = await service().openRoom('transports');
    const media = await room.addParticipant('p', { mode: 'video', maxIncomingBitrateBps: 1_000_000, maxOutgoingBitrateBps: 1_000_000, rtpCapabilities: room.rtpCapabilities });
    const send = await media.createTransport('send');
    expect(send.iceCandidates.length).toBeGreaterThanOrEqual(2);
    expect(new Set(send.iceCandidates.map((c) => c.ip))).toEqual(new Set(['127.0.0.1']));
    expect(new Set(send.iceCandidates.map((c) => c.protocol))).toEqual(new Set(['udp', 'tcp']));
    // UDP preferred: its candidate carries the higher priority.
    const [udp, tcp] = ['udp', 'tcp'].map((p) => send.iceCandidates.find((c) => c.protocol === p)!);
    expect(udp!.priority).toBeGreaterThan(tcp!.priority);
    expect(send.dtlsParameters.fingerprints.length).toBeGreaterThan(0);
    await expect(media.createTransport('send')).rejects.toMatchObject({ code: 'media_transport_exists' });

    const before = send.iceParameters.usernameFragment;
    const after = await media.restartIce(send.id);
    expect(after.usernameFragment).not.toBe(before);
    await expect(media.restartIce('nope')).rejects.toMatchObject({ code: 'media_unknown_transport' });
  });

  it('offers Opus (FEC, DTX), VP8 and H.264 (packetization-mode 1, 42e01f)', async () => {
    const room = await service().openRoom('codecs');
    const codecs = room.rtpCapabilities.codecs ?? [];
    const opus = codecs.find((c) => c.mimeType === 'audio/opus');
    expect(opus?.parameters).toMatchObject({ useinbandfec: 1, usedtx: 1 });
    expect(codecs.some((c) => c.mimeType === 'video/VP8')).toBe(true);
    const h264 = codecs.find((c) => c.mimeType === 'video/H264');
    expect(h264?.parameters).toMatchObject({ 'packetization-mode': 1, 'profile-level-id': '42e01f' });
  });

  it('creates paused consumers on the others according to their join mode', async () => {
    const room = await service().openRoom('policy');
    const caps = room.rtpCapabilities;
    const presenter = await join(room, 'presenter');
    const viewer = await join(room, 'viewer');
    const phone = await join(room, 'phone', 'audio-only');
    const listener = await join(room, 'listener', 'audio+presentation');

    const p = presenter.media;
    const mic = await p.produce({ transportId: presenter.sendId, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) });
    await p.produce({ transportId: presenter.sendId, kind: 'video', source: 'camera', rtpParameters: vp8Parameters(caps, 3) });
    await p.produce({ transportId: presenter.sendId, kind: 'video', source: 'screen', rtpParameters: vp8Parameters(caps, 1) });
    await phone.media.produce({ transportId: phone.sendId, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) });
    await settle(room);

    expect(sources(viewer)).toEqual(['phone:mic', 'presenter:camera', 'presenter:mic', 'presenter:screen']);
    expect(sources(phone)).toEqual(['presenter:mic']);
    expect(sources(listener)).toEqual(['phone:mic', 'presenter:mic', 'presenter:screen']);
    expect(sources(presenter)).toEqual(['phone:mic']);

    // Server-side consume: created paused, waiting for the client to resume.
    for (const c of [...viewer.added, ...phone.added, ...listener.added]) expect(mediasoupConsumers.get(c.id)?.paused).toBe(true);
    const cam = viewer.added.find((c) => c.source === 'camera')!;
    expect(cam.type).toBe('simulcast');
    expect(cam.kind).toBe('video');
    expect(viewer.added.find((c) => c.producerId === mic)?.rtpParameters.codecs[0]?.mimeType).toBe('audio/opus');
    await viewer.media.resumeConsumer(cam.id);
    expect(mediasoupConsumers.get(cam.id)?.paused).toBe(false);

    // Modes limit what a participant may send.
    await expect(
      phone.media.produce({ transportId: phone.sendId, kind: 'video', source: 'camera', rtpParameters: vp8Parameters(caps) }),
    ).rejects.toMatchObject({ code: 'media_source_not_allowed' });
    await expect(
      listener.media.produce({ transportId: listener.sendId, kind: 'video', source: 'camera', rtpParameters: vp8Parameters(caps) }),
    ).rejects.toMatchObject({ code: 'media_source_not_allowed' });
    await expect(p.produce({ transportId: presenter.sendId, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) })).rejects.toMatchObject({
      code: 'media_source_busy',
    });
    await expect(p.produce({ transportId: presenter.recvId, kind: 'audio', source: 'screen-audio', rtpParameters: opusParameters(caps) })).rejects.toMatchObject({
      code: 'media_wrong_transport_direction',
    });
    await expect(p.produce({ transportId: presenter.sendId, kind: 'video', source: 'screen-audio', rtpParameters: vp8Parameters(caps) })).rejects.toMatchObject({
      code: 'media_kind_mismatch',
    });
  });

  it('rejects bad RTP parameters and capabilities with a clear error, and keeps working', async () => {
    const room = await service().openRoom('bad-input');
    const caps = room.rtpCapabilities;
    const a = await join(room, 'a');
    const broken = { ...opusParameters(caps), codecs: [{ mimeType: 'audio/opus', payloadType: -5, clockRate: 'x' }] } as never;
    const err = await a.media.produce({ transportId: a.sendId, kind: 'audio', source: 'mic', rtpParameters: broken }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaError);
    expect((err as MediaError).code).toBe('media_invalid_parameters');
    await expect(
      room.addParticipant('b', { mode: 'video', maxIncomingBitrateBps: 1, maxOutgoingBitrateBps: 1, rtpCapabilities: { codecs: [{ kind: 'video', mimeType: 42 }] } as never }),
    ).rejects.toMatchObject({ code: 'media_invalid_parameters' });
    await expect(room.addParticipant('b', { mode: 'hologram' as JoinMode, maxIncomingBitrateBps: 1, maxOutgoingBitrateBps: 1, rtpCapabilities: caps })).rejects.toMatchObject({
      code: 'media_invalid_parameters',
    });
    await expect(a.media.connectTransport(a.sendId, { fingerprints: [] } as never)).rejects.toMatchObject({ code: 'media_invalid_parameters' });
    await expect(room.addParticipant('a', { mode: 'video', maxIncomingBitrateBps: 1, maxOutgoingBitrateBps: 1, rtpCapabilities: caps })).rejects.toMatchObject({
      code: 'media_participant_exists',
    });
    // The mic slot was released by the failed produce: a valid one now works.
    expect(await a.media.produce({ transportId: a.sendId, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) })).toMatch(/./);
  });

  it('does not consume what the client cannot decode (an H.264 camera for a VP8-less client is skipped, VP8-less client still gets H.264)', async () => {
    const room = await service().openRoom('codec-mismatch');
    const caps = room.rtpCapabilities;
    const sender = await join(room, 'sender');
    const h264Only = await join(room, 'room-system', 'video', undefined, capabilitiesWithout(caps, 'video/VP8'));
    const vp8Only = await join(room, 'vp8-browser', 'video', undefined, capabilitiesWithout(caps, 'video/H264'));
    await sender.media.produce({ transportId: sender.sendId, kind: 'video', source: 'camera', rtpParameters: vp8Parameters(caps) });
    await h264Only.media.produce({ transportId: h264Only.sendId, kind: 'video', source: 'camera', rtpParameters: h264Parameters(caps) });
    await settle(room);
    expect(sources(h264Only)).toEqual([]);
    expect(sources(vp8Only)).toEqual(['sender:camera']);
    expect(sources(sender)).toEqual(['room-system:camera']);
    expect(sender.live()[0]?.rtpParameters.codecs[0]?.mimeType).toBe('video/H264');
  });

  it('caps camera consumers at last-N and fills a freed slot when a shown participant leaves', async () => {
    const room = await service({ lastN: 2 }).openRoom('last-n');
    const caps = room.rtpCapabilities;
    const senders: Client[] = [];
    for (const id of ['s1', 's2', 's3', 's4']) {
      const c = await join(room, id);
      await c.media.produce({ transportId: c.sendId, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) });
      await c.media.produce({ transportId: c.sendId, kind: 'video', source: 'camera', rtpParameters: vp8Parameters(caps) });
      senders.push(c);
    }
    const viewer = await join(room, 'viewer');
    await settle(room);
    const cameras = () => viewer.live().filter((c) => c.source === 'camera').map((c) => c.participantId);
    // Nobody has spoken: the earliest joiners fill the slots; audio comes from everyone.
    expect(cameras()).toEqual(['s1', 's2']);
    expect(viewer.live().filter((c) => c.kind === 'audio')).toHaveLength(4);
    // A sender sees at most two others too.
    expect(senders[3]!.live().filter((c) => c.source === 'camera').map((c) => c.participantId)).toEqual(['s1', 's2']);

    senders[0]!.media.close();
    await settle(room);
    expect(cameras().sort()).toEqual(['s2', 's3']);
    expect(viewer.live().filter((c) => c.kind === 'audio')).toHaveLength(3);
    expect(senders[0]!.closedWith).toEqual(['closed']);
  });

  it('chooses simulcast layers that fit the receiver’s bandwidth, and re-chooses as consumers come and go', async () => {
    const room = await service().openRoom('bandwidth');
    const caps = room.rtpCapabilities;
    const thin = await join(room, 'thin', 'video', { in: 300_000, out: 1_300_000 });
    const fat = await join(room, 'fat', 'video', { in: 300_000, out: 20_000_000 });
    const cams: Client[] = [];
    for (const id of ['c1', 'c2', 'c3']) {
      const c = await join(room, id);
      await c.media.produce({ transportId: c.sendId, kind: 'video', source: 'camera', rtpParameters: vp8Parameters(caps) });
      cams.push(c);
    }
    await settle(room);
    const layersOf = (c: Client) =>
      Object.fromEntries(c.live().filter((x) => x.source === 'camera').map((x) => [x.participantId, mediasoupConsumers.get(x.id)?.preferredLayers?.spatialLayer]));
    expect(layersOf(fat)).toEqual({ c1: 2, c2: 2, c3: 2 });
    // 1.3 Mbps: 3 × 150k base leaves 850k; two streams go up one layer, the third stays low.
    expect(layersOf(thin)).toEqual({ c1: 1, c2: 1, c3: 0 });

    cams[0]!.media.close();
    await settle(room);
    // Two streams left: 300k base, 1M left → both to layer 1 (700k), 300k left: not enough for 700k more.
    expect(layersOf(thin)).toEqual({ c2: 1, c3: 1 });

    // The client's own wish caps the choice.
    const c2 = fat.live().find((x) => x.participantId === 'c2')!;
    await fat.media.setPreferredLayers(c2.id, { spatialLayer: 0 });
    expect(mediasoupConsumers.get(c2.id)?.preferredLayers?.spatialLayer).toBe(0);
    await expect(fat.media.setPreferredLayers(c2.id, { spatialLayer: -1 })).rejects.toMatchObject({ code: 'media_invalid_parameters' });
  });

  it('lets a host mute a participant: the owner is told byServer, receivers see the consumer paused', async () => {
    const room = await service().openRoom('mute');
    const caps = room.rtpCapabilities;
    const guest = await join(room, 'guest');
    const other = await join(room, 'other');
    const mic = await guest.media.produce({ transportId: guest.sendId, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) });
    await settle(room);
    const consumer = other.live().find((c) => c.producerId === mic)!;
    const muted = guest.media.events.waitFor('producerPaused', 5000);
    const paused = other.media.events.waitFor('consumerPaused', 5000);
    await guest.media.pauseProducer(mic, true);
    expect(await muted).toEqual([mic, true]);
    expect(await paused).toEqual([consumer.id]);
    expect(guest.media.producers()).toEqual([{ id: mic, participantId: 'guest', kind: 'audio', source: 'mic', paused: true, score: 0 }]);

    const resumed = other.media.events.waitFor('consumerResumed', 5000);
    await guest.media.resumeProducer(mic);
    expect(await resumed).toEqual([consumer.id]);

    const closedOnOther = other.media.events.waitFor('consumerClosed', 5000);
    const closedOnOwner = guest.media.events.waitFor('producerClosed', 5000);
    guest.media.closeProducer(mic, true);
    expect(await closedOnOwner).toEqual([mic, true]);
    expect(await closedOnOther).toEqual([consumer.id]);
    expect(() => guest.media.closeProducer(mic)).toThrow(expect.objectContaining({ code: 'media_unknown_producer' }));
  });

  it('pipes to a router on another worker when the room outgrows one, and everyone sees everyone', async () => {
    const media = service({ maxParticipantsPerRouter: 2 });
    const room = await media.openRoom('big');
    const caps = room.rtpCapabilities;
    const clients: Client[] = [];
    // Two workers: a, b on the first router; c, d on a second router on the other worker; e finds
    // every worker already carrying the room and overflows onto the least-loaded router.
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      const c = await join(room, id);
      await c.media.produce({ transportId: c.sendId, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) });
      await c.media.produce({ transportId: c.sendId, kind: 'video', source: 'camera', rtpParameters: vp8Parameters(caps) });
      clients.push(c);
    }
    await settle(room);
    const [a, b, c, d, e] = clients as [Client, Client, Client, Client, Client];
    expect(room.workerIndexes).toHaveLength(2);
    expect(new Set(room.workerIndexes).size).toBe(2);
    expect(a.media.workerIndex).toBe(b.media.workerIndex);
    expect(c.media.workerIndex).toBe(d.media.workerIndex);
    expect(c.media.workerIndex).not.toBe(a.media.workerIndex);
    expect(e.media.workerIndex).toBe(a.media.workerIndex);
    for (const x of clients) {
      const others = clients.filter((o) => o !== x).map((o) => o.media.id);
      expect(sources(x)).toEqual(others.flatMap((o) => [`${o}:camera`, `${o}:mic`]).sort());
    }
    // Across the pipe the simulcast layers survive (the consumer is still a simulcast one).
    expect(c.live().find((x) => x.participantId === 'a' && x.source === 'camera')?.type).toBe('simulcast');

    const stats = await room.stats();
    expect(stats.participants).toBe(5);
    expect(stats.routers.map((r) => r.participants)).toEqual([3, 2]);
    expect(stats.producers).toEqual({ audio: 5, video: 5 });
    expect(stats.consumers).toEqual({ audio: 20, video: 20 });
    expect(stats.byWorker.map((w) => w.workerIndex).sort()).toEqual([...room.workerIndexes].sort());
    const totals = await media.stats();
    expect(totals).toMatchObject({ rooms: 1, participants: 5, producers: { audio: 5, video: 5 } });

    // A producer closing on one worker closes its consumers on the other.
    const gone = c.media.events.waitFor('consumerClosed', 5000);
    const aCamOnC = c.live().find((x) => x.participantId === 'a' && x.source === 'camera')!;
    a.media.closeProducer(a.media.producers().find((p) => p.source === 'camera')!.id);
    expect(await gone).toEqual([aCamOnC.id]);
  });

  it('room close cascades: participants close with room_closed, nothing else is emitted, calls fail cleanly', async () => {
    const media = service();
    const room = await media.openRoom('cascade');
    const caps = room.rtpCapabilities;
    const a = await join(room, 'a');
    const b = await join(room, 'b');
    await a.media.produce({ transportId: a.sendId, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) });
    await settle(room);
    expect(b.live()).toHaveLength(1);
    const roomClosed = room.events.waitFor('closed', 5000);
    room.close();
    room.close();
    expect(await roomClosed).toEqual(['closed']);
    expect(a.closedWith).toEqual(['room_closed']);
    expect(b.closedWith).toEqual(['room_closed']);
    expect(b.closedConsumers).toEqual([]);
    expect(mediasoupConsumers.get(b.added[0]!.id)?.closed).toBe(true);
    await expect(room.addParticipant('c', { mode: 'video', maxIncomingBitrateBps: 1, maxOutgoingBitrateBps: 1, rtpCapabilities: caps })).rejects.toMatchObject({
      code: 'media_room_closed',
    });
    await expect(a.media.createTransport('send')).rejects.toMatchObject({ code: 'media_participant_closed' });
    // The id is free again: the next open gives a fresh room.
    const again = await media.openRoom('cascade');
    expect(again).not.toBe(room);
    expect(again.closed).toBe(false);
  });

  it('a worker dying under a room closes it with worker_died', async () => {
    const media = service();
    const room = await media.openRoom('doomed');
    const a = await join(room, 'a');
    const workerIndex = room.workerIndexes[0]!;
    const pid = (await pool.usage()).find((u) => u.index === workerIndex)!.pid;
    const closed = room.events.waitFor('closed', 10_000);
    const restarted = pool.observer.waitFor('workerStarted', 10_000);
    process.kill(pid, 'SIGKILL');
    expect(await closed).toEqual(['worker_died']);
    expect(a.closedWith).toEqual(['worker_died']);
    expect(room.closed).toBe(true);
    expect(await media.room('doomed')).toBeUndefined();
    await restarted;
  });
});
