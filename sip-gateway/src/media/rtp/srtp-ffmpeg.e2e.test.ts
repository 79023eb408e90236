/**
 * SRTP interop with an independent implementation: Debian's ffmpeg (its own libavformat srtp.c).
 * (a) ffmpeg protects a PCMU tone; our SrtpContext unprotects it and the audio is the tone.
 * (b) we protect a PCMU tone; ffmpeg (SDP with a=crypto) decrypts and decodes it to the tone.
 * Both directions start just below sequence number 65535, so both sides must follow the wrap (ROC).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeUlaw, encodeUlaw } from '../codecs/index.js';
import { makeCryptoAttribute, parseCryptoAttribute, isSdesCryptoError } from './sdes-crypto.js';
import { SrtpContext, type SrtpSuite } from './srtp-context.js';
import { isRtcp, parseRtp, writeRtpPacket } from './rtp-packet.js';
import { parseRtcp } from './rtcp.js';

const SUITES: SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];
const START_SEQ = 65_500;

/** Share of the signal's energy at `frequency` (Goertzel): ~1 for a clean tone, ~0 elsewhere. */
function energyShareAt(samples: Int16Array, rate: number, frequency: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * frequency) / rate);
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
    total += x * x;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return total === 0 ? 0 : (2 * power) / (samples.length * total);
}

/** Two consecutive free UDP ports (RTP, RTCP) on loopback, outside the node's media ranges. */
async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const a = dgram.createSocket('udp4');
    await new Promise<void>((r) => a.bind(0, '127.0.0.1', r));
    const port = a.address().port & ~1;
    await new Promise<void>((r) => a.close(() => r()));
    if (port < 20_000 || (port >= 44_000 && port <= 55_000) || port > 65_000) continue;
    const ok = await Promise.all([port, port + 1].map((p) => new Promise<boolean>((r) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => r(false));
      s.bind(p, '127.0.0.1', () => s.close(() => r(true)));
    })));
    if (ok.every(Boolean)) return port;
  }
  throw new Error('no free UDP port pair');
}

/** Resolves once someone (ffmpeg) holds `port`: our own bind attempt fails. Bounded in time. */
async function waitUntilBound(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const free = await new Promise<boolean>((r) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => {
        try {
          s.close();
        } catch {
          // never bound: nothing to close
        }
        r(false);
      });
      s.bind(port, '127.0.0.1', () => s.close(() => r(true)));
    });
    if (!free) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound UDP port ${port} within ${timeoutMs} ms`);
}

const children: ChildProcess[] = [];
const sockets: dgram.Socket[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of sockets.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.on('close', (code) => (clearTimeout(timer), resolve({ code, stderr }))));
}

async function bindSocket(port: number): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((r) => s.bind(port, '127.0.0.1', r));
  return s;
}

describe.each(SUITES)('SRTP interop with ffmpeg, %s', (suite) => {
  it('(a) packets ffmpeg protects pass our unprotectRtp (across the wrap) and carry its 1000 Hz tone; with _80 its SRTCP SR passes too', async () => {
    const port = await freePortPair();
    const rtpSocket = await bindSocket(port);
    const rtcpSocket = await bindSocket(port + 1);
    const { keyAndSalt, keyBase64 } = makeCryptoAttribute(1, suite);
    const rx = new SrtpContext(suite, keyAndSalt);
    const rtcpRx = new SrtpContext(suite, keyAndSalt);
    const seqs: number[] = [];
    const chunks: Uint8Array[] = [];
    let received = 0;
    rtpSocket.on('message', (msg) => {
      received++;
      const plain = rx.unprotectRtp(msg);
      const view = plain && parseRtp(plain);
      if (!plain || !view) return;
      seqs.push(view.sequenceNumber);
      chunks.push(plain.slice(view.payloadOffset, view.payloadOffset + view.payloadLength));
    });
    const reports: string[] = [];
    rtcpSocket.on('message', (msg) => {
      const plain = isRtcp(msg) ? rtcpRx.unprotectRtcp(msg) : null;
      const parsed = plain && parseRtcp(plain);
      if (parsed) reports.push(...parsed.map((p) => p.type));
    });

    const result = await run(
      ['-re', '-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=8000:duration=1.5', '-ac', '1', '-ar', '8000', '-c:a', 'pcm_mulaw',
        '-f', 'rtp', '-payload_type', '0', '-seq', String(START_SEQ), '-srtp_out_suite', suite, '-srtp_out_params', keyBase64,
        `srtp://127.0.0.1:${port}?pkt_size=200`],
      20_000,
    );
    expect(result.stderr).toBe('');
    await new Promise((r) => setTimeout(r, 100));

    expect(rx.failures).toEqual({ auth: 0, replay: 0, malformed: 0 });
    expect(seqs.length).toBe(received);
    expect(seqs[0]).toBe(START_SEQ);
    expect(seqs).toContain(0); // went through the wrap
    const ulaw = Buffer.concat(chunks);
    expect(ulaw.length).toBeGreaterThan(8000); // most of the 1.5 s arrived
    const pcm = new Int16Array(ulaw.length);
    decodeUlaw(ulaw, pcm);
    expect(energyShareAt(pcm, 8000, 1000)).toBeGreaterThan(0.9);
    expect(energyShareAt(pcm, 8000, 1400)).toBeLessThan(0.01);
    if (suite === 'AES_CM_128_HMAC_SHA1_80') {
      expect(reports).toContain('sr');
      expect(rtcpRx.failures).toEqual({ auth: 0, replay: 0, malformed: 0 });
    }
    // Not for _32: RFC 4568 §6.2 (Table 1) gives that suite an 80-bit SRTCP tag, which we follow
    // (as libsrtp-based phones do); ffmpeg's SDES-named _32 suite uses a 32-bit SRTCP tag instead.
  });

  it('(b) packets we protect are decrypted and decoded by ffmpeg (across the wrap) into our 700 Hz tone', async () => {
    const port = await freePortPair();
    const dir = mkdtempSync(join(tmpdir(), 'convene-srtp-'));
    dirs.push(dir);
    const ours = makeCryptoAttribute(1, suite);
    const offered = parseCryptoAttribute(ours.value);
    expect(isSdesCryptoError(offered)).toBe(false);
    const sdp = [
      'v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=convene srtp interop', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${port} RTP/SAVP 0`, 'a=rtpmap:0 PCMU/8000', `a=crypto:${ours.value}`, '',
    ].join('\n');
    writeFileSync(join(dir, 'in.sdp'), sdp);
    const outPath = join(dir, 'out.raw');
    const decoding = run(['-protocol_whitelist', 'file,udp,rtp', '-i', join(dir, 'in.sdp'), '-t', '2', '-f', 's16le', '-ar', '8000', '-ac', '1', outPath], 30_000);

    // Stream 20 ms PCMU packets in real time from the moment ffmpeg listens until it has its 2 s, so
    // the wrap (36 packets in) happens while it listens: with a wrong ROC nothing after it would decode.
    await waitUntilBound(port, 15_000);
    const tx = new SrtpContext(suite, ours.keyAndSalt);
    const sender = await bindSocket(0);
    const pcm = new Int16Array(160);
    const ulaw = new Uint8Array(160);
    const packet = new Uint8Array(12 + 160);
    let done = false;
    void decoding.then(() => (done = true));
    const MAX_PACKETS = 500;
    let sent = 0;
    const started = Date.now();
    for (; sent < MAX_PACKETS && !done; sent++) {
      for (let i = 0; i < 160; i++) pcm[i] = Math.round(12000 * Math.sin((2 * Math.PI * 700 * (sent * 160 + i)) / 8000));
      encodeUlaw(pcm, ulaw);
      const n = writeRtpPacket(packet, { marker: sent === 0, payloadType: 0, sequenceNumber: (START_SEQ + sent) & 0xffff, timestamp: sent * 160, ssrc: 0x5eed1234 }, ulaw);
      sender.send(tx.protectRtp(packet.subarray(0, n)), port, '127.0.0.1');
      const wait = started + (sent + 1) * 20 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const result = await decoding;
    expect(result.stderr).toBe('');
    expect((START_SEQ + sent) & 0xffff).toBeLessThan(START_SEQ); // the stream went through the wrap
    const raw = readFileSync(outPath);
    const decoded = new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength >> 1);
    expect(decoded.length).toBeGreaterThanOrEqual(8000);
    expect(energyShareAt(decoded, 8000, 700)).toBeGreaterThan(0.9);
    expect(energyShareAt(decoded, 8000, 1000)).toBeLessThan(0.01);
  });
});
