/**
 * One SIP call's media through the real engine (worker threads, real UDP on loopback) against a
 * caller peer: prompts, RFC 4733 and in-band DTMF, inactivity, symmetric RTP, bad packets, and a
 * worker that dies.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtmfKeyEvent } from '../dtmf/index.js';
import { readRtpFromPcap } from '../dtmf/testing/pcap.js';
import { SrtpContext, writeRtpPacket } from '../rtp/index.js';
import { createMediaEngine, type WorkerMediaEngine } from './engine.js';
import { PROMPT_IDS, PROMPT_RATES } from '../prompts/index.js';
import type { PromptPcmSource } from './prompts.js';
import { concat, tone, toneShare } from './testing/audio-probe.js';
import { CallerPeer, frameDecoder, sleep } from './testing/caller-peer.js';
import type { CallAudioSession, CallMedia } from './types.js';

const logger = pino({ level: 'silent' });
const PCMU = { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 } as const;
const TE_PT = 101;

/** Prompts made in the test: 'welcome' a 440 Hz tone of 0.6 s, 'goodbye' 1 kHz of 0.4 s, at every rate. */
const prompts: PromptPcmSource = {
  get(id, rate) {
    if (id === 'welcome') return tone(440, rate, Math.round(rate * 0.6));
    if (id === 'goodbye') return tone(1000, rate, Math.round(rate * 0.4));
    throw new Error('no such prompt in this test');
  },
};

function session(peer: CallerPeer, over: Partial<CallAudioSession> = {}): CallAudioSession {
  return {
    codec: PCMU,
    telephoneEventPayloadType: TE_PT,
    remote: { ip: '127.0.0.1', rtpPort: peer.port, rtcpPort: peer.port + 1 },
    rtcpMux: true,
    srtp: null,
    direction: 'sendrecv',
    symmetric: false,
    ptimeMs: 20,
    ...over,
  };
}

/** sox DTMF: both sines mixed at equal level (as the detector's own tests make them). */
function soxDigit(row: number, col: number, seconds: number): Int16Array {
  const out = execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', '-e', 'signed', '-t', 'raw', '-', 'synth', String(seconds), 'sine', 'mix', String(row), 'sine', 'mix', String(col)]);
  return new Int16Array(out.buffer, out.byteOffset, out.length / 2);
}

let engine: WorkerMediaEngine;
let registry = new Registry();
const open: Array<{ close(): unknown }> = [];

async function newCall(meetingId = 'm-calls'): Promise<{ call: CallMedia; peer: CallerPeer; dtmf: DtmfKeyEvent[] }> {
  const call = await engine.openCall({ callId: `c-${randomBytes(4).toString('hex')}`, meetingId });
  const peer = await CallerPeer.open();
  open.push(call, peer);
  const dtmf: DtmfKeyEvent[] = [];
  call.events.on('dtmf', (e) => dtmf.push(e));
  return { call, peer, dtmf };
}

// Every call test runs twice: on the native sockets (udp_io addon, drained once per tick: the
// default) and on Node's dgram (the fallback without the addon).
describe.each(['native', 'dgram'] as const)('a call through the media engine (udpIo %s)', (udpIo) => {
  beforeAll(async () => {
    engine = await createMediaEngine({ workers: 2, rtpMinPort: 31000, rtpMaxPort: 31999, inactivityTimeoutMs: 400, udpIo }, { logger, registry: (registry = new Registry()), prompts });
  });

  afterAll(async () => {
    for (const o of open.splice(0)) await o.close();
    await engine?.close();
  });

  it('carries the calls on the sockets it was configured with', async () => {
    await newCall();
    const workers = await engine.workerDiagnostics();
    expect(workers.map((w) => w.counters.udpIo)).toEqual(workers.map(() => udpIo));
  });

  it('allocates RTP on an even port and RTCP on the next, inside the configured range', async () => {
    const { call } = await newCall();
    expect(call.local.ip).toBe('127.0.0.1');
    expect(call.local.rtpPort % 2).toBe(0);
    expect(call.local.rtcpPort).toBe(call.local.rtpPort + 1);
    expect(call.local.rtpPort).toBeGreaterThanOrEqual(31000);
    expect(call.local.rtcpPort).toBeLessThanOrEqual(31999);
  });

  it('plays a prompt in the call codec, resolves done, and keeps sequence numbers and timestamps continuous', async () => {
    const { call, peer } = await newCall();
    await call.configure(session(peer));
    await peer.waitFor(() => true); // silence flows before the prompt
    const from = peer.received.length;
    await expect(call.play('welcome')).resolves.toBe('done');
    const during = peer.received.slice(from);
    const decode = frameDecoder('PCMU');
    const pcm = concat(during.map((p) => decode(p.payload)));
    expect(toneShare(pcm, 440, 8000)).toBeGreaterThan(0.5);
    expect(toneShare(pcm, 1000, 8000)).toBeLessThan(0.05);
    const all = peer.received.filter((p) => p.payloadType === 0);
    for (let i = 1; i < all.length; i++) {
      expect((all[i]!.sequenceNumber - all[i - 1]!.sequenceNumber) & 0xffff).toBe(1);
      expect((all[i]!.timestamp - all[i - 1]!.timestamp) >>> 0).toBe(160);
    }
    expect(all[0]!.marker).toBe(true);
    expect(all.slice(1).some((p) => p.marker)).toBe(false);
  });

  it('plays prompts to Opus and G.722 callers at their codec rates', async () => {
    for (const [codec, rate] of [
      [{ name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 }, 48000],
      [{ name: 'G722', payloadType: 9, clockRate: 8000, channels: 1 }, 16000],
    ] as const) {
      const { call, peer } = await newCall();
      await call.configure(session(peer, { codec }));
      await peer.waitFor(() => true);
      const from = peer.received.length;
      await expect(call.play('welcome')).resolves.toBe('done');
      const decode = frameDecoder(codec.name);
      const pcm = concat(peer.received.slice(from).filter((p) => p.payloadType === codec.payloadType).map((p) => decode(p.payload)));
      expect(pcm.length).toBeGreaterThan(rate * 0.4);
      expect(toneShare(pcm, 440, rate)).toBeGreaterThan(0.5);
      const last = peer.received.slice(-2);
      expect((last[1]!.timestamp - last[0]!.timestamp) >>> 0).toBe(codec.name === 'opus' ? 960 : 160);
    }
  });

  it('stops a looping prompt: play() resolves stopped', async () => {
    const { call, peer } = await newCall();
    await call.configure(session(peer));
    const playing = call.play('goodbye', { loop: true });
    await sleep(700); // longer than the prompt: it looped
    await call.stopPlayback();
    await expect(playing).resolves.toBe('stopped');
  });

  it('gives exactly one dtmf event per RFC 4733 key press (sipp pcaps replayed)', async () => {
    const { call, peer, dtmf } = await newCall();
    await call.configure(session(peer));
    const buf = new Uint8Array(200);
    const ssrc = 0x1234;
    let seq = 100;
    let tsBase = 80_000;
    for (const name of ['5', 'star', '0', 'pound']) {
      const packets = readRtpFromPcap(`/usr/share/sip-tester/dtmf_2833_${name}.pcap`).filter((p) => p.payload.length === 4);
      const firstTs = packets[0]!.timestamp;
      for (const p of packets) {
        const len = writeRtpPacket(buf, { marker: p.marker, payloadType: TE_PT, sequenceNumber: seq++ & 0xffff, timestamp: (tsBase + p.timestamp - firstTs) >>> 0, ssrc }, p.payload);
        peer.send(buf.subarray(0, len), call.local.rtpPort);
        await sleep(2);
      }
      tsBase += 8000;
    }
    await sleep(300);
    expect(dtmf.map((d) => d.key)).toEqual(['5', '*', '0', '#']);
    expect(dtmf.every((d) => d.method === 'rfc4733')).toBe(true);
  });

  it('detects in-band digits (sox tones in µ-law) only when enabled', async () => {
    const { call, peer, dtmf } = await newCall();
    await call.configure(session(peer, { telephoneEventPayloadType: null }));
    const gap = new Int16Array(800);
    const digits = concat([soxDigit(697, 1336, 0.1), gap, soxDigit(852, 1477, 0.1), gap, soxDigit(941, 1209, 0.1), gap, new Int16Array(2400)]);
    const streamOnce = async (): Promise<void> => {
      const stop = peer.streamPcm(call.local.rtpPort, { codec: 'PCMU', payloadType: 0, ssrc: 77, pcm: () => digits, maxPackets: digits.length / 160 });
      await sleep((digits.length / 160) * 20 + 300);
      stop();
    };
    await streamOnce();
    expect(dtmf).toEqual([]);
    await call.setInbandDtmf(true);
    await streamOnce();
    expect(dtmf.map((d) => d.key)).toEqual(['2', '9', '*']);
    expect(dtmf.every((d) => d.method === 'inband')).toBe(true);
  });

  it('reports inactive once after the configured silence, and not while the caller sends', async () => {
    const { call, peer } = await newCall();
    const inactive: number[] = [];
    call.events.on('inactive', (ms) => inactive.push(ms));
    await call.configure(session(peer));
    const stop = peer.streamPcm(call.local.rtpPort, { codec: 'PCMU', payloadType: 0, ssrc: 5, pcm: () => tone(300, 8000, 160), maxPackets: 50 });
    await sleep(900);
    expect(inactive).toEqual([]);
    stop();
    await call.events.waitFor('inactive', 3000);
    await sleep(600);
    expect(inactive).toHaveLength(1);
    expect(inactive[0]).toBeGreaterThanOrEqual(400);
  });

  it('does not report inactive while on hold (recvonly from the caller is sendonly: no media expected)', async () => {
    const { call, peer } = await newCall();
    const inactive: number[] = [];
    call.events.on('inactive', (ms) => inactive.push(ms));
    await call.configure(session(peer, { direction: 'sendonly' }));
    await sleep(800);
    expect(inactive).toEqual([]);
  });

  it('symmetric RTP latches to the real source port and sends there', async () => {
    const { call, peer } = await newCall();
    const decoy = await CallerPeer.open();
    open.push(decoy);
    // The SDP says "decoy"; the caller really sends from `peer` (a NAT rewrote its port).
    await call.configure(session(decoy, { symmetric: true }));
    await decoy.waitFor(() => true);
    // Wrong payload types never latch.
    const buf = new Uint8Array(200);
    const stranger = await CallerPeer.open();
    open.push(stranger);
    let len = writeRtpPacket(buf, { marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 9 }, new Uint8Array(160));
    stranger.send(buf.subarray(0, len), call.local.rtpPort);
    await sleep(100);
    const latched = call.events.waitFor('remoteLatched', 3000);
    len = writeRtpPacket(buf, { marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 9 }, new Uint8Array(160).fill(0xff));
    peer.send(buf.subarray(0, len), call.local.rtpPort);
    const [address] = await latched;
    expect(address).toEqual({ ip: '127.0.0.1', port: peer.port });
    await peer.waitFor(() => true, 2000);
    expect(stranger.received).toHaveLength(0);

    // Latched (the socket is now connected to the caller): valid RTP from anyone else is not the caller's.
    len = writeRtpPacket(buf, { marker: false, payloadType: 0, sequenceNumber: 2, timestamp: 161, ssrc: 10 }, new Uint8Array(160).fill(0xff));
    stranger.send(buf.subarray(0, len), call.local.rtpPort);
    await sleep(150);
    expect((await call.stats()).packetsReceived).toBe(1);
    expect(stranger.received).toHaveLength(0);

    // A re-INVITE moves the caller: the call sends to the new SDP address until the new source latches, then there.
    const newSdp = await CallerPeer.open();
    const moved = await CallerPeer.open();
    open.push(newSdp, moved);
    await call.configure(session(newSdp, { symmetric: true }));
    await newSdp.waitFor(() => true, 2000);
    const relatched = call.events.waitFor('remoteLatched', 3000);
    len = writeRtpPacket(buf, { marker: true, payloadType: 0, sequenceNumber: 3, timestamp: 321, ssrc: 11 }, new Uint8Array(160).fill(0xff));
    moved.send(buf.subarray(0, len), call.local.rtpPort);
    expect((await relatched)[0]).toEqual({ ip: '127.0.0.1', port: moved.port });
    await moved.waitFor(() => true, 2000);
    const oldPeerCount = peer.received.length;
    await sleep(200);
    expect(moved.received.length).toBeGreaterThanOrEqual(5);
    expect(peer.received.length).toBe(oldPeerCount);
    expect((await call.stats()).packetsReceived).toBe(2);
  });

  it('drops a flood of bad packets without throwing or breaking the call', async () => {
    const { call, peer, dtmf } = await newCall();
    await call.configure(session(peer));
    const buf = new Uint8Array(300);
    for (let i = 0; i < 300; i++) {
      const kind = i % 4;
      if (kind === 0) {
        const junk = randomBytes(1 + (i % 200));
        junk[0] = junk[0]! & 0x3f; // never version 2: random bytes that could pass as valid PCMU would be fair audio
        peer.send(junk, call.local.rtpPort);
      }
      else if (kind === 1) {
        const len = writeRtpPacket(buf, { marker: false, payloadType: 8, sequenceNumber: i, timestamp: i * 160, ssrc: 1 }, randomBytes(160));
        peer.send(buf.slice(0, len), call.local.rtpPort); // a copy: dgram sends after this loop rewrites buf
      } else if (kind === 2) peer.send(Buffer.from([0x80, 0x00, 0x00]), call.local.rtpPort);
      else peer.send(Buffer.concat([Buffer.from([0x90, 0x00, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0xff, 0xff])]), call.local.rtpPort);
      if (i % 50 === 0) await sleep(1);
    }
    await sleep(100);
    // Still alive: answers a digit and keeps sending.
    const before = peer.received.length;
    const len = writeRtpPacket(buf, { marker: true, payloadType: TE_PT, sequenceNumber: 7, timestamp: 999, ssrc: 2 }, Uint8Array.from([9, 0x8a, 0x03, 0x20]));
    peer.send(buf.subarray(0, len), call.local.rtpPort);
    await sleep(300);
    expect(dtmf.map((d) => d.key)).toEqual(['9']);
    expect(peer.received.length).toBeGreaterThan(before);
    const stats = await call.stats();
    expect(stats.packetsReceived).toBe(1);
  });

  it('speaks SRTP both ways: latches only after authentication, plays prompts, takes digits, refuses forgeries', async () => {
    const { call, peer, dtmf } = await newCall();
    const ourKey = randomBytes(30);
    const callerKey = randomBytes(30);
    const suite = 'AES_CM_128_HMAC_SHA1_80' as const;
    const callerOut = new SrtpContext(suite, callerKey);
    const callerIn = new SrtpContext(suite, ourKey);
    peer.inbound = (raw) => callerIn.unprotectRtp(raw);
    const decoy = await CallerPeer.open();
    const forger = await CallerPeer.open();
    open.push(decoy, forger);
    const latches: number[] = [];
    call.events.on('remoteLatched', (a) => latches.push(a.port));
    await call.configure(
      session(decoy, { symmetric: true, srtp: { suite, localKeyBase64: ourKey.toString('base64'), remoteKeyBase64: callerKey.toString('base64') } }),
    );
    // Forgeries: right payload type, SRTP-sized, wrong key; and plain RTP without a tag.
    const forgedCtx = new SrtpContext(suite, randomBytes(30));
    const buf = new Uint8Array(300);
    for (let i = 0; i < 20; i++) {
      const len = writeRtpPacket(buf, { marker: false, payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 0x5151 }, new Uint8Array(160).fill(0x7f));
      forger.send(forgedCtx.protectRtp(buf.subarray(0, len)), call.local.rtpPort);
      forger.send(buf.slice(0, len), call.local.rtpPort);
    }
    await sleep(200);
    expect(latches).toEqual([]);
    // The real caller: SRTP with its key.
    const stop = peer.streamPcm(call.local.rtpPort, { codec: 'PCMU', payloadType: 0, ssrc: 0x4242, pcm: () => tone(500, 8000, 160), maxPackets: 100, outbound: (p) => callerOut.protectRtp(p) });
    await call.events.waitFor('remoteLatched', 3000);
    expect(latches).toEqual([peer.port]);
    const from = peer.received.length;
    await expect(call.play('welcome')).resolves.toBe('done');
    const decode = frameDecoder('PCMU');
    const heard = concat(peer.received.slice(from).map((p) => decode(p.payload)));
    expect(heard.length).toBeGreaterThan(8000 * 0.4);
    expect(toneShare(heard, 440, 8000)).toBeGreaterThan(0.5);
    stop();
    const len = writeRtpPacket(buf, { marker: true, payloadType: TE_PT, sequenceNumber: 5000, timestamp: 123_456, ssrc: 0x4242 }, Uint8Array.from([3, 0x8a, 0x03, 0x20]));
    const keyPress = callerOut.protectRtp(buf.subarray(0, len)).slice();
    peer.send(keyPress, call.local.rtpPort);
    await sleep(200);
    expect(dtmf.map((d) => d.key)).toEqual(['3']);
    // A re-INVITE with the same keys keeps the SRTP state: the key press replayed is refused, not a second '3'.
    await call.configure(
      session(decoy, { symmetric: true, srtp: { suite, localKeyBase64: ourKey.toString('base64'), remoteKeyBase64: callerKey.toString('base64') } }),
    );
    peer.send(keyPress, call.local.rtpPort);
    await sleep(200);
    expect(dtmf.map((d) => d.key)).toEqual(['3']);
    // Forgeries from the latched address itself are refused too.
    for (let i = 0; i < 5; i++) {
      const l = writeRtpPacket(buf, { marker: true, payloadType: TE_PT, sequenceNumber: 6000 + i, timestamp: 200_000 + i * 1000, ssrc: 0x4242 }, Uint8Array.from([7, 0x8a, 0x03, 0x20]));
      peer.send(forgedCtx.protectRtp(buf.subarray(0, l)), call.local.rtpPort);
      await sleep(2);
    }
    await sleep(200);
    expect(dtmf.map((d) => d.key)).toEqual(['3']);
    await sleep(1100);
    expect(await registry.metrics()).toMatch(/gateway_srtp_failures_total\{kind="auth"\} [1-9]/);
    expect(await registry.metrics()).toMatch(/gateway_srtp_failures_total\{kind="replay"\} [1-9]/);
  });

  it('fails the calls of a worker that dies, and a new worker takes the next call', async () => {
    const { call } = await newCall('m-doomed');
    const failed = call.events.waitFor('failed', 5000);
    await engine.terminateWorkerFor('m-doomed');
    const [reason] = await failed;
    expect(reason).toMatch(/terminated/);
    await expect(call.stats()).rejects.toMatchObject({ code: 'worker_failed' });
    const { call: next, peer } = await newCall('m-doomed');
    await next.configure(session(peer));
    await peer.waitFor(() => true, 3000);
  });

  it('loads prompts from a directory of <id>.<rate>.s16 files, and refuses to start when one is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'engine-prompts-'));
    try {
      for (const id of PROMPT_IDS) {
        for (const rate of PROMPT_RATES) {
          const pcm = tone(id === 'goodbye' ? 700 : 300, rate, rate / 2);
          writeFileSync(join(dir, `${id}.${rate}.s16`), Buffer.from(pcm.buffer));
        }
      }
      const fromDir = await createMediaEngine({ workers: 1, rtpMinPort: 0, rtpMaxPort: 0 }, { logger, prompts: { dir } });
      open.push(fromDir);
      const call = await fromDir.openCall({ callId: 'dir-call', meetingId: 'm' });
      const peer = await CallerPeer.open();
      open.push(call, peer);
      await call.configure(session(peer));
      await peer.waitFor(() => true);
      const from = peer.received.length;
      await expect(call.play('goodbye')).resolves.toBe('done');
      const decode = frameDecoder('PCMU');
      expect(toneShare(concat(peer.received.slice(from).map((p) => decode(p.payload))), 700, 8000)).toBeGreaterThan(0.5);
      rmSync(join(dir, 'welcome.16000.s16'));
      await expect(createMediaEngine({ workers: 1 }, { logger, prompts: { dir } })).rejects.toMatchObject({ code: 'prompt_missing' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a latched caller that goes away: sends refused by the kernel are counted on native sockets, never thrown', async () => {
    const { call, peer } = await newCall();
    await call.configure(session(peer, { symmetric: true }));
    const latched = call.events.waitFor('remoteLatched', 3000);
    const buf = new Uint8Array(200);
    const len = writeRtpPacket(buf, { marker: true, payloadType: 0, sequenceNumber: 1, timestamp: 1, ssrc: 7 }, new Uint8Array(160).fill(0xff));
    peer.send(buf.subarray(0, len), call.local.rtpPort);
    await latched; // the call's socket is now connect()ed to the caller
    await peer.waitFor(() => true, 2000);
    open.splice(open.indexOf(peer), 1);
    peer.close(); // nothing listens there any more: each send draws an ICMP port-unreachable
    const errors = async (): Promise<number> => (await engine.workerDiagnostics()).reduce((n, w) => n + w.counters.udpSendErrorsTotal, 0);
    for (let i = 0; i < 40 && (await errors()) === 0; i++) await sleep(50);
    if (udpIo === 'native') expect(await errors()).toBeGreaterThan(0);
    else expect(await errors()).toBe(0); // dgram reports them as 'error' events, which the engine ignores
    expect((await call.stats()).packetsSent).toBeGreaterThan(0);
    await sleep(1200); // workers push counters every second
    expect(await registry.metrics()).toMatch(udpIo === 'native' ? /gateway_udp_send_errors_total [1-9]/ : /gateway_udp_send_errors_total 0/);
  });

  it('exports the DTMF counter on the registry', async () => {
    await sleep(1200); // workers push counters every second
    const text = await registry.metrics();
    expect(text).toMatch(/gateway_dtmf_digits_total\{method="rfc4733"\} [1-9]/);
    expect(text).toMatch(/gateway_dtmf_digits_total\{method="inband"\} [1-9]/);
    expect(text).toMatch(/gateway_media_calls \d+/);
  });
});

describe('media ports under concurrent calls', () => {
  it('200 calls opened at once on a 10-port range: exactly 5 get a port pair, the rest ports_exhausted; closed pairs are reused', async () => {
    const small = await createMediaEngine({ workers: 1, rtpMinPort: 35_200, rtpMaxPort: 35_209 }, { logger, prompts });
    try {
      const attempts = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => small.openCall({ callId: `c${i}`, meetingId: 'm1' })));
      const opened = attempts.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
      const refused = attempts.flatMap((a) => (a.status === 'rejected' ? [a.reason as { code?: string }] : []));
      expect(opened).toHaveLength(5);
      expect(refused.every((e) => e.code === 'ports_exhausted')).toBe(true);
      // Every pair distinct, RTP even, inside the range.
      const ports = opened.map((c) => c.local.rtpPort);
      expect(new Set(ports).size).toBe(5);
      expect(ports.every((p) => p % 2 === 0 && p >= 35_200 && p + 1 <= 35_209)).toBe(true);
      await Promise.all(opened.map((c) => c.close()));
      const again = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => small.openCall({ callId: `d${i}`, meetingId: 'm1' })));
      expect(again.filter((a) => a.status === 'fulfilled')).toHaveLength(5);
      await Promise.all(again.flatMap((a) => (a.status === 'fulfilled' ? [a.value.close()] : [])));
    } finally {
      await small.close();
    }
  });
});
