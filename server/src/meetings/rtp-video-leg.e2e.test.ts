import { randomInt, randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { MediaService, mediaConfigSchema, type MediaRoomApi, type RtpCapabilities, type RtpParameters, type WorkerPool } from '../../../sfu/src/index.js';
import { startTestPool } from '../../../sfu/src/testing.js';
import type { MeetingsConfig } from './config.js';
import type { MeetingDirectory, MeetingLimits, MeetingRoomRecord } from './directory.js';
import type { ParticipantHandle } from './api.js';
import { MeetingService } from './service.js';
import { RtpLegPort } from './sfu-leg.js';

/**
 * The SIP gateway's video leg through the meeting core, on a real Redis and a real mediasoup
 * worker: a room system's RTP leg (video mode, Opus-only capabilities, as the gateway's engine
 * builds it) sends a camera freely and a screen only while it holds the presentation floor; a
 * browser taking the floor closes the leg's screen exactly as it would a browser's.
 */
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const config: MeetingsConfig = {
  seatLeaseMs: 30_000,
  reconnectGraceMs: 30_000,
  lookups: { maxFailuresPerSource: 30, windowSeconds: 600 },
  pin: { maxFailuresPerRoom: 20, maxFailuresPerSource: 10, windowSeconds: 600, backoff: { freeFailures: 3, baseMs: 1000, maxMs: 300_000 }, attemptsPerSession: 3 },
  hostLink: { secret: null, ttlSeconds: 600 },
};

const room: MeetingRoomRecord = {
  id: `vmr-video-${randomUUID().slice(0, 8)}`,
  numericId: '880001',
  companyId: 'co-video',
  addresses: ['video-room@convene.example'],
  displayName: 'Video room',
  hostPinHash: null,
  guestPinHash: null,
  allowGuests: true,
  participantLimit: null,
  state: 'active',
};
const directory: MeetingDirectory = {
  getVmrByAddress: async (a) => (room.addresses.includes(a) ? room : null),
  getVmrByNumericId: async (n) => (n === room.numericId ? room : null),
  companyLimits: async (): Promise<MeetingLimits> => ({ perMeeting: 100, companyConcurrent: null }),
  verifyPin: async () => false,
};

let redis: TestRedis;
let pool: WorkerPool;
let media: MediaService;
let svc: MeetingService<MediaRoomApi>;

beforeAll(async () => {
  redis = await startTestRedis();
  pool = await startTestPool(logger, 1);
  media = new MediaService(pool, mediaConfigSchema.parse({}), logger);
  svc = new MeetingService<MediaRoomApi>({ directory, redis: redis.client, openMediaRoom: (id) => media.openRoom(id), config, logger });
});
afterAll(async () => {
  svc?.close();
  media?.close();
  pool?.close();
  await redis?.stop();
});

function h264(payloadType: number): RtpParameters {
  return {
    codecs: [{ mimeType: 'video/H264', payloadType, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 }, rtcpFeedback: [] }],
    headerExtensions: [],
    encodings: [{ ssrc: randomInt(1, 2 ** 31) }],
    rtcp: { cname: 'room-system', reducedSize: false },
  };
}

/** The gateway's leg for a room system: video mode, but it decodes only Opus (video leaves through the tap). */
async function engineLeg(handle: ParticipantHandle<MediaRoomApi>): Promise<{ leg: RtpLegPort; videoId: string; presentationId: string; pt: number }> {
  const pt = await handle.readMediaRoom((r) => r.rtpCapabilities.codecs!.find((c) => c.mimeType === 'video/H264')!.preferredPayloadType!);
  const opusOnly: RtpCapabilities = { codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2, preferredPayloadType: 111, parameters: {}, rtcpFeedback: [] }], headerExtensions: [] };
  const leg = await handle.attachMedia(
    async (r) => new RtpLegPort(await r.addRtpLeg(handle.participantId, { mode: 'video', maxIncomingBitrateBps: 0, maxOutgoingBitrateBps: 0, rtpCapabilities: opusOnly }), logger, handle),
  );
  const videoId = (await leg.sfu.createRtpTransport({ role: 'video', comedia: true, rtcpMux: true })).id;
  const presentationId = (await leg.sfu.createRtpTransport({ role: 'presentation', comedia: true, rtcpMux: true })).id;
  return { leg, videoId, presentationId, pt };
}

describe('a room system’s video leg in a meeting (real Redis, real mediasoup worker)', () => {
  it('sends its camera; its screen needs the floor; a browser taking the floor closes it as for a browser', async () => {
    const host = await svc.join({ address: room.addresses[0]!, displayName: 'Host', mode: 'video', bandwidthKbps: 1200, source: '127.0.0.1' });
    const notes: { name: string; data: unknown }[] = [];
    host.events.on('notification', (name, data) => notes.push({ name, data }));
    const sip = await svc.join({ address: room.addresses[0]!, displayName: 'Boardroom', mode: 'video', bandwidthKbps: 1200, kind: 'sip', callerAddress: 'sip:boardroom@example.com', source: '127.0.0.1' });
    const { leg, videoId, presentationId, pt } = await engineLeg(sip);
    const tap = await sip.readMediaRoom((r) => r.openVideoTap({ comedia: false, rtcpMux: true }));
    const removed: string[] = [];
    tap.events.on('sourceRemoved', (id) => removed.push(id));

    const camera = await leg.produce({ transportId: videoId, kind: 'video', source: 'camera', rtpParameters: h264(pt) });
    const rosterOf = (id: string) =>
      notes
        .filter((n) => n.name === 'roster.updated' || n.name === 'roster.joined')
        .map((n) => (n.data as { participant: { id: string; videoMuted?: boolean; presenting?: boolean } }).participant)
        .filter((p) => p.id === id)
        .at(-1);
    expect(rosterOf(sip.participantId)).toMatchObject({ videoMuted: false });

    // No floor, no screen — the same refusal a browser gets.
    await expect(leg.produce({ transportId: presentationId, kind: 'video', source: 'screen', rtpParameters: h264(pt) })).rejects.toMatchObject({ code: 'not_presenter' });
    expect(leg.producers().map((p) => p.source)).toEqual(['camera']);

    await sip.startPresentation();
    const screen = await leg.produce({ transportId: presentationId, kind: 'video', source: 'screen', rtpParameters: h264(pt) });
    expect(tap.sources().map((s) => `${s.participantId}:${s.source}`).sort()).toEqual([`${sip.participantId}:camera`, `${sip.participantId}:screen`]);

    // A browser takes the floor: the leg's screen is closed by the server, the camera stays.
    const closedByServer: [string, boolean][] = [];
    leg.events.on('producerClosed', (id, byServer) => closedByServer.push([id, byServer]));
    const browser = await svc.join({ address: room.addresses[0]!, displayName: 'Browser', mode: 'video', bandwidthKbps: 1200, source: '127.0.0.1' });
    await browser.startPresentation();
    expect(closedByServer).toEqual([[screen, true]]);
    expect(leg.producers().map((p) => p.id)).toEqual([camera]);
    expect(leg.sfu.producers().map((p) => p.source)).toEqual(['camera']);
    expect(removed).toEqual([screen]);
    expect(notes.filter((n) => n.name === 'presentation.changed').map((n) => n.data)).toEqual([
      { presenterId: sip.participantId, previousPresenterId: null },
      { presenterId: browser.participantId, previousPresenterId: sip.participantId },
    ]);
    await expect(leg.produce({ transportId: presentationId, kind: 'video', source: 'screen', rtpParameters: h264(pt) })).rejects.toMatchObject({ code: 'not_presenter' });

    // Taking the floor back works; stopping the presentation closes the screen again.
    await sip.startPresentation();
    const again = await leg.produce({ transportId: presentationId, kind: 'video', source: 'screen', rtpParameters: h264(pt) });
    await sip.stopPresentation();
    expect(closedByServer.at(-1)).toEqual([again, true]);
    // The leg never received video: egress is the tap's job.
    expect(leg.sfu.rtpConsumerInfos()).toEqual([]);
    await Promise.all([host, sip, browser].map((h) => h.leave()));
  }, 30_000);
});
