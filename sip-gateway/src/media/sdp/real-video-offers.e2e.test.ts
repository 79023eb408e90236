// Room-system video with real peers: Debian's baresip with baresip-ffmpeg (avcodec: H.264 via
// libx264) and its synthetic camera (fakevideo) dials a UDP socket here. We negotiate its INVITE's
// SDP with the payload types of a real mediasoup meeting router, answer with a 200 OK, and check that
// baresip accepts our answer by sending H.264 RTP, in the payload type our answer gave, to our video port.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sdpTransform from 'sdp-transform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMediasoup } from '../../../../sfu/src/mediasoup-loader.js';
import { meetingMediaCodecs } from '../../../../sfu/src/media/codecs.js';
import { WorkerPool } from '../../../../sfu/src/worker-pool.js';
import { freeUdpTcpPort } from '../../../../test/support/ports.js';
import { BARESIP_VIDEO_OFFER } from './video-fixtures.test-support.js';
import { buildAnswer, negotiateOffer, newOrigin, roomVideoCodecs, type NegotiateContext, type RoomVideoCodec } from './index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

let room: RoomVideoCodec[] = [];
let closeWorker: () => void = () => {};

beforeAll(async () => {
  const mediasoup = await loadMediasoup(WorkerPool.resolveWorkerBin(null, root));
  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  closeWorker = () => worker.close();
  const router = await worker.createRouter({ mediaCodecs: meetingMediaCodecs });
  room = roomVideoCodecs(router.rtpCapabilities);
});
afterAll(() => closeWorker());

function startBaresip(dir: string, account: string, listenPort: number, target: number, onOutput?: (text: string) => void): () => Promise<void> {
  fs.writeFileSync(
    path.join(dir, 'config'),
    ['poll_method\tepoll', `sip_listen\t127.0.0.1:${listenPort}`, 'sip_trans_def\tudp', 'module_path\t/usr/lib/baresip/modules',
      'module\topus.so', 'module\tg711.so', 'module\tavcodec.so', 'module\tvp8.so', 'module\tfakevideo.so', 'module\tsrtp.so',
      'module_app\taccount.so', 'module_app\tmenu.so', 'audio_player\tnone', 'audio_source\tnone', 'audio_alert\tnone',
      'video_source\tfakevideo,nil', 'video_display\tfakevideo,nil', 'video_size\t640x360', 'video_fps\t15', 'video_bitrate\t500000', ''].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'accounts'), `${account}\n`);
  const child = spawn('baresip', ['-f', dir, '-t', '25', '-e', `/dial sip:room@127.0.0.1:${target}`], { cwd: dir, stdio: ['ignore', onOutput ? 'pipe' : 'ignore', 'ignore'] });
  child.stdout?.on('data', (d: Buffer) => onOutput?.(d.toString('utf8')));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 1_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
}

/** A 200 OK for an INVITE, our SDP as its body (just enough of RFC 3261 §8.2.6 for baresip to take it). */
function okFor(invite: string, body: string, contactPort: number): string {
  const header = (name: string) => invite.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  const to = header('To')[0]!;
  return [
    'SIP/2.0 200 OK',
    ...header('Via'),
    header('From')[0]!,
    /;tag=/.test(to) ? to : `${to};tag=convene1`,
    header('Call-ID')[0]!,
    header('CSeq')[0]!,
    `Contact: <sip:room@127.0.0.1:${contactPort}>`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

async function bindUdp(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

interface VideoCallResult {
  offer: string;
  answer: string;
  /** First RTP packets on our video port: payload type and first payload byte (the H.264 NAL header). */
  packets: { pt: number; nal: number }[];
  /** With `echoPayloadType`: baresip reported decoding the stream we sent it. */
  decoded: boolean;
}

/**
 * baresip calls us; we answer with video; we collect up to 40 video RTP packets (bounded to 20 s).
 * With `echoPayloadType`, every packet also goes back to baresip's video port under our own SSRC and
 * that payload type — an H.264 stream as the meeting would send it — until baresip reports decoding
 * it ("video: receiving with resolution …") or 8 s pass.
 */
/**
 * One retry when baresip never got going (no INVITE, or no video at all): its listen port comes from
 * a free-port probe that a parallel test can take before baresip binds it.
 */
async function videoCall(account: string, ctx: NegotiateContext, echoPayloadType?: number): Promise<VideoCallResult> {
  try {
    return await videoCallOnce(account, ctx, echoPayloadType);
  } catch (err) {
    if (!/^only 0 video packets/.test((err as Error).message)) throw err;
    return videoCallOnce(account, ctx, echoPayloadType);
  }
}

async function videoCallOnce(account: string, ctx: NegotiateContext, echoPayloadType?: number): Promise<VideoCallResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baresip-video-'));
  const [sip, audio, video] = await Promise.all([bindUdp(), bindUdp(), bindUdp()]);
  let decoded = false;
  let onDecoded = () => {};
  const stop = startBaresip(dir, account, await freeUdpTcpPort(), sip.address().port, echoPayloadType === undefined ? undefined : (text) => {
    if (/video: receiving with resolution \d+ x \d+/.test(text)) { decoded = true; onDecoded(); }
  });
  const packets: VideoCallResult['packets'] = [];
  let offer = '';
  let answer = '';
  let theirVideoPort = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${packets.length} video packets within 20 s (${offer ? 'the call was answered' : 'no INVITE arrived'})`)), 20_000);
      sip.on('message', (msg, from) => {
        const text = msg.toString('utf8');
        if (!text.startsWith('INVITE ') || offer) return;
        offer = text.slice(text.indexOf('\r\n\r\n') + 4);
        const n = negotiateOffer(offer, ctx);
        if (!n.ok) return reject(new Error(`refused: ${n.warning}`));
        theirVideoPort = n.video[0]?.remote?.rtpPort ?? 0;
        const local = (s: dgram.Socket) => ({ ip: '127.0.0.1', rtpPort: s.address().port, rtcpPort: s.address().port + 1 });
        answer = buildAnswer({ negotiated: n, local: local(audio), origin: newOrigin(), videoLocal: { main: local(video) } });
        sip.send(okFor(text, answer, sip.address().port), from.port, from.address);
      });
      video.on('message', (msg) => {
        // RTP (version 2), not RTCP (payload types 72–76 with the marker bit are RTCP on a muxed port).
        if (msg.length < 13 || msg[0]! >> 6 !== 2 || (msg[1]! >= 200 && msg[1]! <= 206)) return;
        const cc = msg[0]! & 0x0f;
        const ext = (msg[0]! & 0x10) !== 0;
        let off = 12 + cc * 4;
        if (ext && msg.length >= off + 4) off += 4 + msg.readUInt16BE(off + 2) * 4;
        if (off >= msg.length) return;
        if (packets.length < 40) packets.push({ pt: msg[1]! & 0x7f, nal: msg[off]! });
        if (echoPayloadType !== undefined && theirVideoPort > 0) {
          const copy = Buffer.from(msg);
          copy[1] = (copy[1]! & 0x80) | echoPayloadType;
          copy.writeUInt32BE(0x5eed0001, 8);
          video.send(copy, theirVideoPort, '127.0.0.1');
        }
        if (packets.length === 40) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    if (echoPayloadType !== undefined && !decoded) await new Promise<void>((r) => { onDecoded = r; setTimeout(r, 8_000); });
  } finally {
    await stop();
    for (const s of [sip, audio, video]) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { offer, answer, packets, decoded };
}

describe('a real room system (baresip + avcodec + fakevideo) with our video answer', () => {
  it('the meeting router’s payload types: H.264 42e01f mode 1 and VP8', () => {
    expect(room).toEqual([{ name: 'H264', payloadType: expect.any(Number) }, { name: 'VP8', payloadType: expect.any(Number) }]);
    expect(room[0]!.payloadType).not.toBe(room[1]!.payloadType);
  });

  it('its H.264 mode-1 format is accepted with the room’s payload type, and it sends H.264 in that payload type to our video port', async () => {
    const r = await videoCall('<sip:tester@127.0.0.1>;regint=0', { transport: 'udp', video: { codecs: room, callBitrateBps: 768_000 } });
    const offered = sdpTransform.parse(r.offer).media.find((m) => m.type === 'video')!;
    // The unit tests' fixture is this binary's offer: same formats, fmtp, feedback and content.
    const videoAttrs = (text: string) => text.slice(text.indexOf('m=video')).split('\r\n').filter((l) => /^a=(rtpmap|fmtp|rtcp-fb|content)/.test(l));
    expect(videoAttrs(r.offer)).toEqual(videoAttrs(BARESIP_VIDEO_OFFER));
    const theirMode1 = offered.fmtp.find((f) => /packetization-mode=1/.test(f.config))!.payload;
    const ours = sdpTransform.parse(r.answer);
    const v = ours.media.find((m) => m.type === 'video')!;
    expect(v.rtp).toEqual([{ payload: room[0]!.payloadType, codec: 'H264', rate: 90000 }]);
    // Basic: 768 kbps less Opus's 48 kbps.
    expect(v.bandwidth).toEqual([{ type: 'AS', limit: 744 }, { type: 'TIAS', limit: 720_000 }]);
    expect(room[0]!.payloadType).not.toBe(theirMode1);
    // Every packet carries OUR payload type (RFC 3264: the answer's numbers are what we receive) and an H.264 NAL header
    // with forbidden_zero_bit clear: single NAL units (1–23), STAP-A (24) or FU-A (28) — mode 1 packetisation.
    expect(new Set(r.packets.map((p) => p.pt))).toEqual(new Set([room[0]!.payloadType]));
    for (const p of r.packets) {
      expect(p.nal & 0x80).toBe(0);
      expect([...Array.from({ length: 23 }, (_, i) => i + 1), 24, 28]).toContain(p.nal & 0x1f);
    }
    // The stream starts decodable: parameter sets or an IDR slice come (alone, in a STAP-A or as FU-A start) among the first packets.
    expect(r.packets.some((p) => [5, 7, 8, 24, 28].includes(p.nal & 0x1f))).toBe(true);
  });

  it('it decodes H.264 we send in the room’s payload type (what our answer says), and not in one neither SDP names', async () => {
    const ctx: NegotiateContext = { transport: 'udp', video: { codecs: room, callBitrateBps: 1_500_000 } };
    const ours = await videoCall('<sip:tester@127.0.0.1>;regint=0', ctx, room[0]!.payloadType);
    expect(ours.decoded).toBe(true);
    const stranger = await videoCall('<sip:tester@127.0.0.1>;regint=0', ctx, 110);
    expect(stranger.decoded).toBe(false);
  });

  it('with mandatory SRTP its video line is RTP/SAVP with a=crypto: accepted over TLS with its key, ours answered under its tag', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baresip-video-'));
    const sip = await bindUdp();
    const stop = startBaresip(dir, '<sip:tester@127.0.0.1>;regint=0;mediaenc=srtp-mand', await freeUdpTcpPort(), sip.address().port);
    try {
      const offer = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no INVITE within 15 s')), 15_000);
        sip.on('message', (msg) => {
          const text = msg.toString('utf8');
          if (!text.startsWith('INVITE ')) return;
          clearTimeout(timer);
          resolve(text.slice(text.indexOf('\r\n\r\n') + 4));
        });
      });
      const n = negotiateOffer(offer, { transport: 'tls', video: { codecs: room, callBitrateBps: 4_000_000 } });
      if (!n.ok) throw new Error(n.warning);
      const videoSection = offer.slice(offer.indexOf('m=video'));
      const theirs = /^a=crypto:(\d+) (\S+) inline:([A-Za-z0-9+/]{40})/m.exec(videoSection)!;
      expect(n.video).toHaveLength(1);
      expect(n.video[0]!.srtp).toMatchObject({ suite: theirs[2], remoteKeyBase64: theirs[3] });
      expect(n.video[0]!.srtp!.localKeyBase64).not.toBe(n.session.srtp!.localKeyBase64);
      const answer = sdpTransform.parse(buildAnswer({ negotiated: n, local: { ip: '127.0.0.1', rtpPort: 20000, rtcpPort: 20001 }, origin: newOrigin(), videoLocal: { main: { ip: '127.0.0.1', rtpPort: 21000, rtcpPort: 21001 } } }));
      expect(answer.media[1]!.protocol).toBe('RTP/SAVP');
      expect(answer.media[1]!.crypto).toEqual([{ id: Number(theirs[1]), suite: theirs[2], config: `inline:${n.video[0]!.srtp!.localKeyBase64}` }]);
    } finally {
      await stop();
      sip.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
