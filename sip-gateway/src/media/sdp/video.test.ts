import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { BARESIP_OFFER, sdp } from './fixtures.test-support.js';
import {
  applyAnswer,
  buildAnswer,
  buildOffer,
  negotiateOffer,
  newOrigin,
  roomVideoCodecs,
  SdpBuildError,
  videoChanges,
  type NegotiateContext,
  type NegotiatedOffer,
  type VideoNegotiation,
} from './index.js';
import { BARESIP_VIDEO_OFFER, CISCO_ROOM_OFFER, POLY_GROUP_OFFER, YEALINK_OFFER, modeZeroOffer } from './video-fixtures.test-support.js';

// The meeting router's payload types (mediasoup 3.12 with sfu/src/media/codecs.ts: VP8 101, H.264 103;
// real-offers.e2e.test.ts reads them from a real router).
const ROOM = roomVideoCodecs({
  codecs: [
    { kind: 'audio', mimeType: 'audio/opus', preferredPayloadType: 100 },
    { kind: 'video', mimeType: 'video/VP8', preferredPayloadType: 101 },
    { kind: 'video', mimeType: 'video/rtx', preferredPayloadType: 102, parameters: { apt: 101 } },
    { kind: 'video', mimeType: 'video/H264', preferredPayloadType: 103, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 } },
  ],
});
const BASIC = 768_000;
const PLUS = 1_500_000;
const PREMIUM = 4_000_000;
const LOCAL = { ip: '127.0.0.1', rtpPort: 20000, rtcpPort: 20001 };
const VIDEO_LOCAL = { main: { ip: '127.0.0.1', rtpPort: 21000, rtcpPort: 21001 }, slides: { ip: '127.0.0.1', rtpPort: 22000, rtcpPort: 22001 } };

const videoCtx = (video: Partial<VideoNegotiation> = {}, rest: Partial<NegotiateContext> = {}): NegotiateContext => ({
  transport: 'udp',
  ...rest,
  video: { codecs: ROOM, callBitrateBps: PLUS, ...video },
});

function accept(offer: string, ctx: NegotiateContext = videoCtx()): NegotiatedOffer {
  const r = negotiateOffer(offer, ctx);
  if (!r.ok) throw new Error(`refused: ${r.warning}`);
  return r;
}

/** Our answer, checked to keep the offer's m-lines in count and order, and parsed back. */
function answer(offer: string, ctx: NegotiateContext = videoCtx()) {
  const n = accept(offer, ctx);
  const text = buildAnswer({ negotiated: n, local: LOCAL, origin: newOrigin(), videoLocal: VIDEO_LOCAL });
  const parsed = sdpTransform.parse(text);
  expect(parsed.media.map((m) => m.type)).toEqual(sdpTransform.parse(offer).media.map((m) => m.type));
  return { n, text, parsed };
}

describe('room systems’ video m-lines (the call opted in)', () => {
  it('baresip: the mode-1 H.264 format is taken although mode 0 comes first; the answer carries the room’s payload type', () => {
    const { n, parsed } = answer(BARESIP_VIDEO_OFFER);
    expect(n.video).toHaveLength(1);
    const v = n.video[0]!;
    expect(v).toMatchObject({
      role: 'main',
      index: 1,
      label: '2',
      codec: { name: 'H264', payloadType: 103, remotePayloadType: 97, clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' },
      feedback: { nack: false, pli: true, fir: false, tmmbr: false, remb: false },
      keyframeRequest: 'pli',
      remote: { ip: '192.0.2.2', rtpPort: 7294, rtcpPort: 7295 },
      rtcpMux: false,
      srtp: null,
      direction: 'sendrecv',
      sendLimits: { maxFrameSizeMb: 3600, maxMbps: 108000, maxFramerate: null },
    });
    const m = parsed.media[1]!;
    expect(m).toMatchObject({ type: 'video', port: VIDEO_LOCAL.main.rtpPort, protocol: 'RTP/AVP', payloads: 103, content: 'main', label: 2, direction: 'sendrecv' });
    expect(m.rtp).toEqual([{ payload: 103, codec: 'H264', rate: 90000 }]);
    expect(m.fmtp).toEqual([{ payload: 103, config: 'profile-level-id=42e01f;packetization-mode=1' }]);
    expect(m.rtcpFb).toEqual([{ payload: 103, type: 'nack', subtype: 'pli' }]);
    expect(m.rtcp?.port).toBe(VIDEO_LOCAL.main.rtcpPort);
    // Audio is untouched by video: Opus, as without video.
    expect(n.session.codec.name).toBe('opus');
    expect(parsed.media[0]!.port).toBe(LOCAL.rtpPort);
  });

  it('Poly Group: CB H.264 over High and mode-0 Baseline, main + slides, BFCP rejected, best-effort SRTP on each video line', () => {
    const { n, parsed, text } = answer(POLY_GROUP_OFFER);
    expect(n.session.codec.name).toBe('G722');
    expect(n.video.map((v) => [v.role, v.index, v.codec.remotePayloadType, v.label])).toEqual([['main', 1, 110, '1'], ['slides', 2, 110, '3']]);
    const [main, slides] = n.video;
    // No level-asymmetry-allowed: the lower level (3.1, ours) for both directions.
    expect(main!.codec.fmtp).toBe('profile-level-id=42e01f;packetization-mode=1');
    expect(main!.feedback).toEqual({ nack: false, pli: false, fir: true, tmmbr: true, remb: false });
    expect(main!.keyframeRequest).toBe('fir');
    expect(main!.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_80', remoteKeyBase64: 'UG9seVZpZGVvS2V5U2FsdDAxMjM0NTY3ODlhYmNk' });
    expect(slides!.srtp!.remoteKeyBase64).toBe('UG9seVNsaWRlS2V5U2FsdDAxMjM0NTY3ODlhYmNk');
    expect(slides!.srtp!.localKeyBase64).not.toBe(main!.srtp!.localKeyBase64);
    expect(parsed.media.map((m) => [m.type, m.port, m.protocol])).toEqual([
      ['audio', LOCAL.rtpPort, 'RTP/AVP'], ['video', VIDEO_LOCAL.main.rtpPort, 'RTP/AVP'], ['video', VIDEO_LOCAL.slides.rtpPort, 'RTP/AVP'], ['application', 0, 'TCP/BFCP'],
    ]);
    expect(text).toContain('m=application 0 TCP/BFCP *\r\n');
    expect(n.videoRejected).toEqual([]);
    expect(parsed.media[1]!.crypto).toEqual([{ id: 1, suite: 'AES_CM_128_HMAC_SHA1_80', config: `inline:${main!.srtp!.localKeyBase64}` }]);
    expect(parsed.media[2]!).toMatchObject({ content: 'slides', label: 3 });
    expect(parsed.media[1]!.rtcpFb).toEqual([{ payload: 103, type: 'ccm', subtype: 'fir' }, { payload: 103, type: 'ccm', subtype: 'tmmbr' }]);
  });

  it('Poly on the Plus tier: the call is capped at 1.5 Mbps, video gets the rest after audio, slides keep their own lower b=', () => {
    const { n, parsed } = answer(POLY_GROUP_OFFER, videoCtx({ callBitrateBps: PLUS }));
    expect(n.bandwidth).toEqual({ callBps: PLUS, audioBps: 64_000, videoBps: PLUS - 64_000 });
    expect(n.video[0]!.maxBitrateBps).toBe(PLUS - 64_000);
    // Their slides line asked b=AS:768 (with headers): 743 kbps of payload.
    expect(n.video[1]!.maxBitrateBps).toBe(Math.floor((768_000 * 1200) / 1240));
    expect(parsed.bandwidth).toEqual([{ type: 'AS', limit: 1550 }, { type: 'TIAS', limit: PLUS }]);
    expect(parsed.media[1]!.bandwidth).toEqual([{ type: 'AS', limit: Math.ceil(((PLUS - 64_000) * 1240) / 1_200_000) }, { type: 'TIAS', limit: PLUS - 64_000 }]);
  });

  it('Cisco Room: level asymmetry and TIAS; Premium lets it send 4 Mbps, 1080p only with the FullHD licence', () => {
    const hd = answer(CISCO_ROOM_OFFER, videoCtx({ callBitrateBps: PREMIUM }));
    const main = hd.n.video[0]!;
    expect(main.codec).toMatchObject({ name: 'H264', remotePayloadType: 97, fmtp: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' });
    expect(main.rtcpMux).toBe(true);
    expect(main.remote).toEqual({ ip: '203.0.113.30', rtpPort: 2328, rtcpPort: 2328 });
    expect(main.feedback).toEqual({ nack: false, pli: true, fir: true, tmmbr: true, remb: false });
    expect(main.keyframeRequest).toBe('pli');
    expect(main.maxBitrateBps).toBe(PREMIUM - 64_000);
    // Their level 2.2 raised by max-fs 8160 / max-mbps 245760, clamped to 720p without the licence.
    expect(main.sendLimits).toEqual({ maxFrameSizeMb: 3600, maxMbps: 108000, maxFramerate: null });
    expect(hd.parsed.media[1]!.rtcpMux).toBe('rtcp-mux');
    expect(hd.parsed.media.map((m) => m.port)).toEqual([LOCAL.rtpPort, VIDEO_LOCAL.main.rtpPort, VIDEO_LOCAL.slides.rtpPort, 0]);
    expect(hd.parsed.media[3]!.protocol).toBe('UDP/BFCP');

    const fullHd = accept(CISCO_ROOM_OFFER, videoCtx({ callBitrateBps: PREMIUM, maxResolution: '1080p' })).video[0]!;
    expect(fullHd.codec.fmtp).toBe('profile-level-id=42e028;packetization-mode=1;level-asymmetry-allowed=1');
    expect(fullHd.sendLimits).toEqual({ maxFrameSizeMb: 8160, maxMbps: 245760, maxFramerate: null });

    // Their session b=AS:6000 is above Premium: the tier is what caps.
    expect(accept(CISCO_ROOM_OFFER, videoCtx({ callBitrateBps: 10_000_000 })).bandwidth!.callBps).toBe(Math.floor((6_000_000 * 1200) / 1240));
  });

  it('Yealink on the Basic tier: Baseline mode 1 answered with its own profile; b= says 768 kbps for the call', () => {
    const { n, parsed, text } = answer(YEALINK_OFFER, videoCtx({ callBitrateBps: BASIC }));
    const v = n.video[0]!;
    expect(v.codec).toMatchObject({ name: 'H264', payloadType: 103, remotePayloadType: 100, fmtp: 'profile-level-id=42801f;packetization-mode=1' });
    expect(v.maxBitrateBps).toBe(BASIC - 64_000);
    expect(parsed.bandwidth).toEqual([{ type: 'AS', limit: 794 }, { type: 'TIAS', limit: BASIC }]);
    expect(parsed.media[1]!.bandwidth).toEqual([{ type: 'AS', limit: 728 }, { type: 'TIAS', limit: 704_000 }]);
    // It sent no a=content: none in the answer either.
    expect(text).not.toContain('a=content');
  });

  it('H.264 in packetization-mode 0 only: VP8 when offered, else the video line alone is rejected', () => {
    const vp8 = accept(modeZeroOffer(true));
    expect(vp8.video[0]!.codec).toEqual({ name: 'VP8', payloadType: 101, remotePayloadType: 120, clockRate: 90000, fmtp: 'max-fs=3600;max-fr=30' });
    expect(vp8.video[0]!.sendLimits).toEqual({ maxFrameSizeMb: 1200, maxMbps: null, maxFramerate: 15 });
    expect(vp8.video[0]!.feedback).toEqual({ nack: true, pli: true, fir: false, tmmbr: false, remb: true });

    const { n, parsed } = answer(modeZeroOffer(false));
    expect(n.video).toEqual([]);
    expect(n.videoRejected).toEqual([{ index: 1, reason: 'h264_mode0_only' }]);
    expect(parsed.media.map((m) => m.port)).toEqual([LOCAL.rtpPort, 0]);
    expect(n.session.codec.name).toBe('PCMU');
  });

  it('our codec order wins for video (H.264 first, no transcoding); a room without H.264 takes VP8', () => {
    expect(accept(BARESIP_VIDEO_OFFER).video[0]!.codec.name).toBe('H264');
    const vp8Room = accept(BARESIP_VIDEO_OFFER, videoCtx({ codecs: ROOM.filter((c) => c.name === 'VP8') })).video[0]!;
    expect(vp8Room.codec).toMatchObject({ name: 'VP8', payloadType: 101, remotePayloadType: 100 });
    expect(vp8Room.sendLimits.maxFrameSizeMb).toBe(3600);
  });

  it('Main/High-only H.264: rejected with its reason', () => {
    const high = YEALINK_OFFER.replace(/42801F/g, '64001f');
    expect(accept(high).videoRejected).toEqual([{ index: 1, reason: 'h264_profile' }]);
  });

  it('without opting in, video is port 0 exactly as before; slides can be declined alone', () => {
    const off = negotiateOffer(POLY_GROUP_OFFER, { transport: 'udp' });
    if (!off.ok) throw new Error(off.warning);
    expect(off.video).toEqual([]);
    expect(off.bandwidth).toBeNull();
    expect(off.videoRejected).toEqual([{ index: 1, reason: 'video_disabled' }, { index: 2, reason: 'video_disabled' }]);
    const text = buildAnswer({ negotiated: off, local: LOCAL, origin: newOrigin() });
    expect(text).toContain('m=video 0 RTP/AVP 109 110 111 96 34\r\n');
    expect(text).not.toContain('b=');

    const noSlides = accept(POLY_GROUP_OFFER, videoCtx({ slides: false }));
    expect(noSlides.video.map((v) => v.role)).toEqual(['main']);
    expect(noSlides.videoRejected).toEqual([{ index: 2, reason: 'slides_disabled' }]);
  });

  it('a third video line is extra; a cap that leaves less than 64 kbps for video rejects video, not the call', () => {
    const three = CISCO_ROOM_OFFER + 'm=video 2332 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=1\r\n';
    expect(accept(three).videoRejected).toEqual([{ index: 4, reason: 'extra_video_line' }]);
    const tight = accept(YEALINK_OFFER, videoCtx({ callBitrateBps: 100_000 }));
    expect(tight.video).toEqual([]);
    expect(tight.videoRejected).toEqual([{ index: 1, reason: 'no_bandwidth' }]);
    expect(accept(YEALINK_OFFER.replace('b=AS:2048', 'b=AS:0')).videoRejected).toEqual([{ index: 1, reason: 'no_bandwidth' }]);
  });

  it('over TLS: a plain video line is rejected (SRTP required) while the SAVP audio carries on; SAVP video needs its own usable a=crypto', () => {
    const key = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk';
    const offer = (videoLines: string[]) =>
      sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0',
        'm=audio 4000 RTP/SAVP 0', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}`, ...videoLines);
    const h264 = ['a=rtpmap:96 H264/90000', 'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1'];
    const tls = videoCtx({}, { transport: 'tls' });
    expect(accept(offer(['m=video 4002 RTP/AVP 96', ...h264]), tls).videoRejected).toEqual([{ index: 1, reason: 'srtp_required' }]);
    expect(accept(offer(['m=video 4002 RTP/SAVP 96', ...h264]), tls).videoRejected).toEqual([{ index: 1, reason: 'no_usable_crypto' }]);
    const ok = accept(offer(['m=video 4002 RTP/SAVP 96', ...h264, 'a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:' + key]), tls);
    expect(ok.video[0]!.srtp).toMatchObject({ suite: 'AES_CM_128_HMAC_SHA1_32', remoteKeyBase64: key });
    expect(buildAnswer({ negotiated: ok, local: LOCAL, origin: newOrigin(), videoLocal: VIDEO_LOCAL })).toMatch(/m=video 21000 RTP\/SAVP 103\r\n[^]*a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:/);
    expect(accept(offer(['m=video 4002 UDP/TLS/RTP/SAVPF 96', ...h264]), tls).videoRejected).toEqual([{ index: 1, reason: 'unsupported_profile' }]);
  });

  it('a video address on another IP gets its own c=; a missing one is a caller mistake (SdpBuildError)', () => {
    const n = accept(BARESIP_VIDEO_OFFER);
    const text = buildAnswer({ negotiated: n, local: LOCAL, origin: newOrigin(), videoLocal: { main: { ip: '127.0.0.5', rtpPort: 21000, rtcpPort: 21001 } } });
    expect(sdpTransform.parse(text).media[1]!.connection).toEqual({ version: 4, ip: '127.0.0.5' });
    try {
      buildAnswer({ negotiated: n, local: LOCAL, origin: newOrigin() });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(SdpBuildError);
      expect((e as SdpBuildError).code).toBe('video_address_missing');
    }
  });
});

describe('video re-offers: hold, resume, video added and removed', () => {
  const dir = (offer: string, d: string) => offer.replace(/a=sendrecv/g, `a=${d}`);

  it('hold (sendonly) → we recvonly on video too; resume → nothing changed; our SRTP keys survive', () => {
    const first = accept(POLY_GROUP_OFFER);
    const heldOffer = POLY_GROUP_OFFER.replace('a=sendrecv', 'a=sendonly');
    const held = accept(heldOffer, videoCtx({ previous: first.video }, { previous: first.session }));
    expect(held.video.map((v) => v.direction)).toEqual(['recvonly', 'recvonly']);
    expect(held.video[0]!.srtp!.localKeyBase64).toBe(first.video[0]!.srtp!.localKeyBase64);
    expect(videoChanges(first.video, held.video)).toEqual({ added: [], removed: [], changed: ['main', 'slides'], any: true });
    expect(buildAnswer({ negotiated: held, local: LOCAL, origin: newOrigin(), videoLocal: VIDEO_LOCAL }).match(/a=recvonly/g)).toHaveLength(3);
    const resumed = accept(POLY_GROUP_OFFER, videoCtx({ previous: held.video }, { previous: held.session }));
    expect(videoChanges(first.video, resumed.video).any).toBe(false);
  });

  it('RFC 2543 hold (c=0.0.0.0) and inactive', () => {
    const held = accept(dir(CISCO_ROOM_OFFER, 'sendrecv').replace('c=IN IP4 203.0.113.30', 'c=IN IP4 0.0.0.0'));
    expect(held.video.map((v) => [v.remote, v.direction])).toEqual([[null, 'recvonly'], [null, 'recvonly']]);
    expect(accept(dir(CISCO_ROOM_OFFER, 'inactive')).video.map((v) => v.direction)).toEqual(['inactive', 'inactive']);
    expect(accept(dir(CISCO_ROOM_OFFER, 'recvonly')).video.map((v) => v.direction)).toEqual(['sendonly', 'sendonly']);
  });

  it('video added to an audio call, the codec kept while still offered, then removed with port 0', () => {
    const audioOnly = accept(BARESIP_OFFER);
    expect(audioOnly.video).toEqual([]);
    const withVideo = accept(BARESIP_VIDEO_OFFER, videoCtx({ previous: audioOnly.video }, { previous: audioOnly.session }));
    expect(videoChanges(audioOnly.video, withVideo.video)).toMatchObject({ added: ['main'], any: true });

    // The room prefers H.264, but the current VP8 stream stays while it is offered.
    const onVp8 = accept(BARESIP_VIDEO_OFFER, videoCtx({ codecs: ROOM.filter((c) => c.name === 'VP8') }));
    expect(accept(BARESIP_VIDEO_OFFER, videoCtx({ previous: onVp8.video })).video[0]!.codec.name).toBe('VP8');

    const removed = accept(BARESIP_VIDEO_OFFER.replace('m=video 7294', 'm=video 0'), videoCtx({ previous: withVideo.video }));
    expect(removed.videoRejected).toEqual([{ index: 1, reason: 'disabled_by_offer' }]);
    expect(videoChanges(withVideo.video, removed.video)).toMatchObject({ removed: ['main'], any: true });
    expect(buildAnswer({ negotiated: removed, local: LOCAL, origin: newOrigin() })).toContain('m=video 0 RTP/AVP 96 97 34 98 99 100\r\n');
  });
});

describe('late offer with video', () => {
  const US = { ip: '127.0.0.1', rtpPort: 30000, rtcpPort: 30001 };
  const US_VIDEO = { main: { ip: '127.0.0.1', rtpPort: 31000, rtcpPort: 31001 }, slides: { ip: '127.0.0.1', rtpPort: 32000, rtcpPort: 32001 } };
  const THEM = { ip: '127.0.0.2', rtpPort: 40000, rtcpPort: 40001 };
  const THEM_VIDEO = { main: { ip: '127.0.0.2', rtpPort: 41000, rtcpPort: 41001 }, slides: { ip: '127.0.0.2', rtpPort: 42000, rtcpPort: 42001 } };

  it('our offer: main + slides with the room’s payload types, every feedback we support, the call cap in b=', () => {
    const { sdp: offer, pending } = buildOffer({
      transport: 'udp', local: US, origin: newOrigin(), srtp: false,
      video: { codecs: ROOM, callBitrateBps: BASIC, slides: true, local: US_VIDEO },
    });
    const p = sdpTransform.parse(offer);
    expect(p.bandwidth).toEqual([{ type: 'AS', limit: 794 }, { type: 'TIAS', limit: BASIC }]);
    expect(p.media.map((m) => [m.type, m.port, m.payloads, (m as { content?: string }).content])).toEqual([
      ['audio', 30000, '111 9 0 8 101', undefined], ['video', 31000, '103 101', 'main'], ['video', 32000, '103 101', 'slides'],
    ]);
    expect(p.media[1]!.fmtp).toEqual([
      { payload: 103, config: 'profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1' },
      { payload: 101, config: 'max-fs=3600;max-fr=30' },
    ]);
    expect(p.media[1]!.rtcpFb!.filter((f) => f.payload === 103).map((f) => `${f.type} ${f.subtype ?? ''}`.trim())).toEqual(['nack', 'nack pli', 'ccm fir', 'ccm tmmbr', 'goog-remb']);
    expect(p.media[1]!.bandwidth).toEqual([{ type: 'AS', limit: 728 }, { type: 'TIAS', limit: 704_000 }]);
    expect(pending.video?.map((v) => v.role)).toEqual(['main', 'slides']);
  });

  it('round trip through our own answerer (a room with other payload types): each side sends where the other listens', () => {
    const { sdp: offer, pending } = buildOffer({
      transport: 'tls', local: US, origin: newOrigin(), srtp: true,
      video: { codecs: ROOM, callBitrateBps: PREMIUM, slides: true, local: US_VIDEO },
    });
    const otherRoom = [{ name: 'H264' as const, payloadType: 107 }, { name: 'VP8' as const, payloadType: 96 }];
    const callee = accept(offer, videoCtx({ codecs: otherRoom, callBitrateBps: PLUS }, { transport: 'tls' }));
    expect(callee.video.map((v) => [v.role, v.codec.payloadType, v.codec.remotePayloadType])).toEqual([['main', 107, 103], ['slides', 107, 103]]);
    const answerSdp = buildAnswer({ negotiated: callee, local: THEM, origin: newOrigin(), videoLocal: THEM_VIDEO });
    const caller = applyAnswer(answerSdp, pending);
    if (!caller.ok) throw new Error(caller.warning);
    expect(caller.video.map((v) => [v.role, v.codec.name, v.codec.payloadType, v.codec.remotePayloadType])).toEqual([['main', 'H264', 103, 107], ['slides', 'H264', 103, 107]]);
    expect(caller.video[0]!.remote).toEqual({ ip: THEM.ip, rtpPort: THEM_VIDEO.main.rtpPort, rtcpPort: THEM_VIDEO.main.rtpPort });
    // The answerer's lower cap wins.
    expect(caller.video[0]!.maxBitrateBps).toBe(PLUS - 48_000);
    expect(caller.video[0]!.srtp).toEqual({
      suite: callee.video[0]!.srtp!.suite,
      localKeyBase64: callee.video[0]!.srtp!.remoteKeyBase64,
      remoteKeyBase64: callee.video[0]!.srtp!.localKeyBase64,
    });
    expect(caller.video[0]!.feedback).toEqual({ nack: true, pli: true, fir: true, tmmbr: true, remb: true });
  });

  it('an answer rejecting slides keeps main; a wrong m-line count is a mismatch', () => {
    const { sdp: offer, pending } = buildOffer({
      transport: 'udp', local: US, origin: newOrigin(), srtp: false,
      video: { codecs: ROOM, callBitrateBps: PLUS, slides: true, local: US_VIDEO },
    });
    const callee = accept(offer, videoCtx({ slides: false }));
    const caller = applyAnswer(buildAnswer({ negotiated: callee, local: THEM, origin: newOrigin(), videoLocal: THEM_VIDEO }), pending);
    if (!caller.ok) throw new Error(caller.warning);
    expect(caller.video.map((v) => v.role)).toEqual(['main']);
    const audioOnly = accept(offer, { transport: 'udp' });
    const r = applyAnswer(buildAnswer({ negotiated: audioOnly, local: THEM, origin: newOrigin() }), pending);
    expect(r.ok && r.video).toEqual([]);
    const short = applyAnswer(sdp('v=0', 'o=- 5 5 IN IP4 127.0.0.2', 's=-', 'c=IN IP4 127.0.0.2', 't=0 0', 'm=audio 40000 RTP/AVP 0'), pending);
    expect(short.ok ? 'ok' : short.reason).toBe('answer_mismatch');
  });

  it('without video args, or with a cap that leaves no room for video, the offer is audio only, as before', () => {
    const { sdp: offer, pending } = buildOffer({ transport: 'udp', local: US, origin: newOrigin(), srtp: false });
    expect(sdpTransform.parse(offer).media).toHaveLength(1);
    expect(pending.video).toBeUndefined();
    const tight = buildOffer({ transport: 'udp', local: US, origin: newOrigin(), srtp: false, video: { codecs: ROOM, callBitrateBps: 100_000, local: US_VIDEO } });
    expect(sdpTransform.parse(tight.sdp).media.map((m) => m.type)).toEqual(['audio']);
    expect(tight.sdp).not.toContain('b=');
  });
});
