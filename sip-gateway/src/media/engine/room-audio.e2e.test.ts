/**
 * Two SIP callers in one meeting through the real engine (worker thread, real mixer, real UDP on
 * loopback): caller A sends a 500 Hz tone in G.711 µ-law, caller B 1,300 Hz in G.722, and a peer
 * playing the SFU's audio tap sends a browser's 800 Hz in Opus. Each caller must hear the others
 * and not itself; the SFU-facing sockets get each caller's audio as Opus with its audio level.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRtp, readAudioLevel } from '../rtp/index.js';
import { createMediaEngine, type WorkerMediaEngine } from './engine.js';
import { concat, rms, tone, toneShare } from './testing/audio-probe.js';
import { CallerPeer, frameDecoder, sleep, type ReceivedPacket } from './testing/caller-peer.js';
import type { AudioCodecSpec, CallAudioSession, CallMedia, RoomAudio, RoomSendTarget } from './types.js';

const logger = pino({ level: 'silent' });
const PCMU: AudioCodecSpec = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 };
const G722: AudioCodecSpec = { name: 'G722', payloadType: 9, clockRate: 8000, channels: 1 };
const OPUS_PT = 100;
const LEVEL_EXT = 1;
const MEETING = 'm-room';

let engine: WorkerMediaEngine;
const registry = new Registry();
let room: RoomAudio;
const peers: CallerPeer[] = [];
const calls: CallMedia[] = [];
const stops: Array<() => void> = [];

interface Caller {
  call: CallMedia;
  phone: CallerPeer;
  sfu: CallerPeer;
  target: RoomSendTarget;
  /** What the phone sends: its tone, or silence once muted at the source. */
  pcm: Int16Array;
}
let a: Caller;
let b: Caller;
let tap: CallerPeer;

function session(peer: CallerPeer, codec: AudioCodecSpec): CallAudioSession {
  return {
    codec,
    telephoneEventPayloadType: 101,
    remote: { ip: '127.0.0.1', rtpPort: peer.port, rtcpPort: peer.port },
    rtcpMux: true,
    srtp: null,
    direction: 'sendrecv',
    symmetric: false,
    ptimeMs: 20,
  };
}

async function caller(codec: AudioCodecSpec, freq: number, ssrc: number, participantId: string): Promise<Caller> {
  const call = await engine.openCall({ callId: `call-${participantId}`, meetingId: MEETING });
  const phone = await CallerPeer.open();
  const sfu = await CallerPeer.open();
  peers.push(phone, sfu);
  calls.push(call);
  await call.configure(session(phone, codec));
  const target: RoomSendTarget = { ip: '127.0.0.1', port: sfu.port, payloadType: OPUS_PT, ssrc, audioLevelExtensionId: LEVEL_EXT };
  await call.joinRoom(room, target, participantId);
  const rate = codec.name === 'G722' ? 16000 : 8000;
  const c: Caller = { call, phone, sfu, target, pcm: tone(freq, rate, rate) };
  stops.push(phone.streamPcm(call.local.rtpPort, { codec: codec.name, payloadType: codec.payloadType, ssrc: ssrc + 1, pcm: () => c.pcm, maxPackets: 400 }));
  return c;
}

/** The PCM a phone heard in the last `ms` (decoded in arrival order). */
function heard(peer: CallerPeer, codec: AudioCodecSpec, ms: number): Int16Array {
  const frames = peer.received.filter((p) => p.payloadType === codec.payloadType);
  const recent = frames.slice(-Math.round(ms / 20));
  const decode = frameDecoder(codec.name);
  return concat(recent.map((p) => decode(p.payload)));
}

function levelOf(p: ReceivedPacket): number | null {
  const view = parseRtp(p.raw);
  return view ? (readAudioLevel(p.raw, view, LEVEL_EXT)?.level ?? null) : null;
}

/** The first sample that passes `ok`, polling every 200 ms for at most 4 s; else the last one (the caller's expect then fails on it). */
async function settled<T>(sample: () => T, ok: (value: T) => boolean): Promise<T> {
  let value = sample();
  for (let i = 0; i < 20 && !ok(value); i++) {
    await sleep(200);
    value = sample();
  }
  return value;
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;

beforeAll(async () => {
  engine = await createMediaEngine({ workers: 2, rtpMinPort: 0, rtpMaxPort: 0 }, { logger, registry, prompts: { get: () => tone(440, 8000, 800) } });
  room = await engine.openRoom(MEETING);
  tap = await CallerPeer.open();
  peers.push(tap);
  await room.setTapRemote({ ip: '127.0.0.1', port: tap.port });
  // The browser's producer, and the SFU leg of caller A as the tap also sees it (must be ignored).
  await room.addTapSource({ producerId: 'p-browser', participantId: 'browser-1', ssrc: 0xb0b0, payloadType: OPUS_PT, paused: false });
  await room.addTapSource({ producerId: 'p-sip-a', participantId: 'sip-a', ssrc: 0xa0a0, payloadType: OPUS_PT, paused: false });
  stops.push(tap.streamPcm(room.tapTarget.port, { codec: 'opus', payloadType: OPUS_PT, ssrc: 0xb0b0, pcm: () => tone(800, 48000, 48000), maxPackets: 400 }));
  // A "tap echo" of caller A's own voice: would put 500 Hz back into A's ear if not ignored.
  stops.push(tap.streamPcm(room.tapTarget.port, { codec: 'opus', payloadType: OPUS_PT, ssrc: 0xa0a0, pcm: () => tone(500, 48000, 48000), maxPackets: 400 }));
  a = await caller(PCMU, 500, 0x1000, 'sip-a');
  b = await caller(G722, 1300, 0x2000, 'sip-b');
  await sleep(1500);
}, 30_000);

afterAll(async () => {
  for (const s of stops) s();
  for (const c of calls) await c.close();
  await room?.release();
  await engine?.close();
  for (const p of peers) p.close();
});

describe('two callers and a browser in one room', () => {
  it('each caller hears the others and not itself (mix-minus, tap echo of its own leg ignored)', () => {
    const atA = heard(a.phone, PCMU, 800);
    expect(atA.length).toBeGreaterThan(8000 * 0.5);
    expect(toneShare(atA, 1300, 8000)).toBeGreaterThan(0.1);
    expect(toneShare(atA, 800, 8000)).toBeGreaterThan(0.1);
    expect(toneShare(atA, 500, 8000)).toBeLessThan(0.02);

    const atB = heard(b.phone, G722, 800);
    expect(atB.length).toBeGreaterThan(16000 * 0.5);
    expect(toneShare(atB, 500, 16000)).toBeGreaterThan(0.1);
    expect(toneShare(atB, 800, 16000)).toBeGreaterThan(0.1);
    expect(toneShare(atB, 1300, 16000)).toBeLessThan(0.02);
  });

  it("sends each caller's audio to its SFU leg as Opus with the leg's payload type, SSRC and audio level", () => {
    const feed = a.sfu.received.filter((p) => p.payloadType === OPUS_PT && p.ssrc === a.target.ssrc);
    expect(feed.length).toBeGreaterThan(30);
    const decode = frameDecoder('opus');
    const pcm = concat(feed.slice(-30).map((p) => decode(p.payload)));
    expect(toneShare(pcm, 500, 48000)).toBeGreaterThan(0.5);
    const levels = feed.slice(-30).map(levelOf);
    expect(levels.every((l) => l !== null)).toBe(true);
    expect(median(levels as number[])).toBeLessThan(40);
    // Timestamps advance by 960 per packet.
    const last = feed.slice(-10);
    for (let i = 1; i < last.length; i++) expect((last[i]!.timestamp - last[i - 1]!.timestamp) >>> 0 >= 960).toBe(true);
  });

  it('the audio level on the SFU leg falls to quiet when the caller goes quiet', async () => {
    const from = a.sfu.received.length;
    a.pcm = new Int16Array(8000); // the phone keeps sending, silence
    await sleep(800);
    const quiet = a.sfu.received.slice(from).slice(-15).map(levelOf).filter((l): l is number => l !== null);
    expect(quiet.length).toBeGreaterThan(5);
    expect(median(quiet)).toBeGreaterThan(90);
    a.pcm = tone(500, 8000, 8000);
    await sleep(600);
  });

  it("mute stops a caller reaching the other (it still hears the room)", async () => {
    await a.call.setMuted(true);
    await sleep(700);
    // The last 400 ms B heard: never A's 500 Hz; the browser's 800 Hz once the jitter buffer has it
    // (a loaded machine can stall the test peers' timers — wait for it, bounded).
    const atB = await settled(() => heard(b.phone, G722, 400), (pcm) => toneShare(pcm, 800, 16000) > 0.2);
    expect(toneShare(atB, 500, 16000)).toBeLessThan(0.02);
    expect(toneShare(atB, 800, 16000)).toBeGreaterThan(0.2);
    const atA = await settled(() => heard(a.phone, PCMU, 400), (pcm) => toneShare(pcm, 1300, 8000) > 0.1);
    expect(toneShare(atA, 1300, 8000)).toBeGreaterThan(0.1);
    await a.call.setMuted(false);
    await sleep(700);
    expect(toneShare(await settled(() => heard(b.phone, G722, 400), (pcm) => toneShare(pcm, 500, 16000) > 0.1), 500, 16000)).toBeGreaterThan(0.1);
  });

  it('a paused tap source stops reaching the callers', async () => {
    await room.setTapSourcePaused('p-browser', true);
    await sleep(600);
    const atA = heard(a.phone, PCMU, 300);
    expect(toneShare(atA, 800, 8000)).toBeLessThan(0.02);
    expect(rms(atA)).toBeGreaterThan(100); // B is still there
    await room.setTapSourcePaused('p-browser', false);
  });

  it('counts the room, its legs and the calls (stats and metrics)', async () => {
    const stats = await engine.stats();
    expect(stats.rooms).toBe(1);
    expect(stats.calls).toBe(2);
    await sleep(1100); // counters reach the main thread every second
    const text = await registry.metrics();
    expect(text).toMatch(/^gateway_mixer_rooms 1$/m);
    expect(text).toMatch(/^gateway_mixer_legs 2$/m);
    expect(text).toMatch(/^gateway_media_calls 2$/m);
    expect(text).toMatch(/^gateway_mixer_deadline_misses_total \d+$/m);
    expect(text).toMatch(/^gateway_jitter_lost_packets_total \d+$/m);
  });
});
