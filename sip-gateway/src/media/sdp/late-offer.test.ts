import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { sdp } from './fixtures.test-support.js';
import { applyAnswer, buildAnswer, buildOffer, negotiateOffer, newOrigin } from './index.js';

const US = { ip: '127.0.0.1', rtpPort: 30000, rtcpPort: 30001 };
const THEM = { ip: '127.0.0.2', rtpPort: 40000, rtcpPort: 40001 };

describe('late offer: we offer in the 200, the caller answers in the ACK', () => {
  it('our offer: opus/48000/2, G722, PCMU, PCMA, telephone-event/8000, ptime, RTCP, rtcp-mux', () => {
    const { sdp: offer, pending } = buildOffer({ transport: 'udp', local: US, origin: newOrigin(), srtp: false });
    const m = sdpTransform.parse(offer).media;
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ type: 'audio', port: US.rtpPort, protocol: 'RTP/AVP', payloads: '111 9 0 8 101', rtcp: { port: US.rtcpPort }, rtcpMux: 'rtcp-mux', direction: 'sendrecv', ptime: 20 });
    expect(m[0]!.rtp.map((r) => `${r.payload} ${r.codec}/${r.rate}${r.encoding ? `/${r.encoding}` : ''}`)).toEqual([
      '111 opus/48000/2', '9 G722/8000', '0 PCMU/8000', '8 PCMA/8000', '101 telephone-event/8000',
    ]);
    expect(m[0]!.crypto).toBeUndefined();
    expect(pending.protocol).toBe('RTP/AVP');
  });

  it('round trip through our own answerer: each side sends where the other listens, in the codec both agreed', () => {
    const { sdp: offer, pending } = buildOffer({ transport: 'udp', local: US, origin: newOrigin(), srtp: false });
    const callee = negotiateOffer(offer, { transport: 'udp', codecs: ['PCMA'] });
    if (!callee.ok) throw new Error(callee.warning);
    const answerSdp = buildAnswer({ negotiated: callee, local: THEM, origin: newOrigin() });
    const caller = applyAnswer(answerSdp, pending);
    if (!caller.ok) throw new Error(caller.warning);
    expect(caller.session.codec).toEqual({ name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 });
    expect(caller.session.telephoneEventPayloadType).toBe(101);
    // Both offered/accepted rtcp-mux: one port each way.
    expect(caller.session.remote).toEqual({ ip: THEM.ip, rtpPort: THEM.rtpPort, rtcpPort: THEM.rtpPort });
    expect(callee.session.remote).toEqual({ ip: US.ip, rtpPort: US.rtpPort, rtcpPort: US.rtpPort });
    expect(caller.session.direction).toBe('sendrecv');
    expect(caller.session.ptimeMs).toBe(20);
  });

  it('over TLS: RTP/SAVP with one key per suite; the answer picks one by tag, keys cross over', () => {
    const { sdp: offer, pending } = buildOffer({ transport: 'tls', local: US, origin: newOrigin(), srtp: false });
    const crypto = sdpTransform.parse(offer).media[0]!.crypto!;
    expect(sdpTransform.parse(offer).media[0]!.protocol).toBe('RTP/SAVP');
    expect(crypto.map((c) => c.suite)).toEqual(['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32']);
    expect(crypto[0]!.config).not.toBe(crypto[1]!.config);

    const callee = negotiateOffer(offer, { transport: 'tls' });
    if (!callee.ok) throw new Error(callee.warning);
    const caller = applyAnswer(buildAnswer({ negotiated: callee, local: THEM, origin: newOrigin() }), pending);
    if (!caller.ok) throw new Error(caller.warning);
    expect(caller.session.codec.name).toBe('opus');
    expect(caller.session.srtp).toEqual({
      suite: 'AES_CM_128_HMAC_SHA1_80',
      localKeyBase64: callee.session.srtp!.remoteKeyBase64,
      remoteKeyBase64: callee.session.srtp!.localKeyBase64,
    });
  });

  it('re-INVITE without SDP: the current codec first, our SRTP key kept', () => {
    const first = buildOffer({ transport: 'tls', local: US, origin: newOrigin(), srtp: true });
    const callee = negotiateOffer(first.sdp, { transport: 'tls', codecs: ['PCMA'] });
    if (!callee.ok) throw new Error(callee.warning);
    const session = applyAnswer(buildAnswer({ negotiated: callee, local: THEM, origin: newOrigin() }), first.pending);
    if (!session.ok) throw new Error(session.warning);
    const again = buildOffer({ transport: 'tls', local: US, origin: newOrigin(), srtp: true, previous: session.session });
    expect(sdpTransform.parse(again.sdp).media[0]!.payloads).toBe('8 111 9 0 101');
    expect(again.pending.crypto.find((c) => c.suite === session.session.srtp!.suite)?.keyBase64).toBe(session.session.srtp!.localKeyBase64);
  });

  const answerText = (m: string, ...extra: string[]) => sdp('v=0', 'o=- 5 5 IN IP4 127.0.0.2', 's=-', 'c=IN IP4 127.0.0.2', 't=0 0', m, ...extra);

  it('an answer without rtpmaps and without rtcp-mux: payload types mean what we offered; RTCP on port+1', () => {
    const { pending } = buildOffer({ transport: 'udp', local: US, origin: newOrigin(), srtp: false });
    const r = applyAnswer(answerText('m=audio 40000 RTP/AVP 9 101', 'a=recvonly'), pending);
    if (!r.ok) throw new Error(r.warning);
    expect(r.session).toMatchObject({ codec: { name: 'G722', payloadType: 9 }, telephoneEventPayloadType: 101, rtcpMux: false, direction: 'sendonly', remote: { rtcpPort: 40001 } });
  });

  it('refuses answers that do not fit our offer', () => {
    const plain = buildOffer({ transport: 'udp', local: US, origin: newOrigin(), srtp: false }).pending;
    const secure = buildOffer({ transport: 'udp', local: US, origin: newOrigin(), srtp: true }).pending;
    const reason = (text: string, p = plain) => {
      const r = applyAnswer(text, p);
      return r.ok ? 'ok' : r.reason;
    };
    expect(reason(answerText('m=audio 0 RTP/AVP 0'))).toBe('audio_rejected');
    expect(reason(answerText('m=audio 40000 RTP/AVP 18', 'a=rtpmap:18 G729/8000'))).toBe('no_common_codec');
    expect(reason(answerText('m=audio 40000 RTP/AVP 0', 'm=video 0 RTP/AVP 96'))).toBe('answer_mismatch');
    expect(reason(answerText('m=audio 40000 RTP/AVP 0'), secure)).toBe('srtp_required');
    expect(reason(answerText('m=audio 40000 RTP/SAVP 0', 'a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk'), secure)).toBe('no_usable_crypto');
    expect(reason(answerText('m=audio 40000 RTP/SAVP 0', 'a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk'), secure)).toBe('ok');
    expect(reason('garbage')).toBe('malformed');
  });
});
