import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import type { CallAudioSession } from '../engine/types.js';
import { BARESIP_OFFER, DESK_PHONE_OFFER, SAVP_TWO_CRYPTO_OFFER, SIPP_OFFER, VIDEO_CALL_OFFER, sdp } from './fixtures.test-support.js';
import { buildAnswer, bump, negotiateOffer, newOrigin, sameExceptOrigin, sessionChanges, type NegotiateContext, type NegotiatedOffer } from './index.js';

const LOCAL = { ip: '127.0.0.1', rtpPort: 20000, rtcpPort: 20001 };
const UDP: NegotiateContext = { transport: 'udp' };

function accept(offer: string, ctx: NegotiateContext = UDP): NegotiatedOffer {
  const r = negotiateOffer(offer, ctx);
  if (!r.ok) throw new Error(`refused: ${r.warning}`);
  return r;
}

/** Our answer for an offer, checked to parse back and to keep the offer's m-lines in count and order. */
function answer(offer: string, ctx: NegotiateContext = UDP): { n: NegotiatedOffer; text: string; parsed: sdpTransform.SessionDescription } {
  const n = accept(offer, ctx);
  const text = buildAnswer({ negotiated: n, local: LOCAL, origin: newOrigin() });
  const parsed = sdpTransform.parse(text);
  expect(parsed.media.map((m) => m.type)).toEqual(sdpTransform.parse(offer).media.map((m) => m.type));
  expect(parsed.origin.address).toBe(LOCAL.ip);
  return { n, text, parsed };
}

function audioOf(parsed: sdpTransform.SessionDescription) {
  const a = parsed.media.filter((m) => m.type === 'audio' && m.port !== 0);
  expect(a).toHaveLength(1);
  return a[0]!;
}

/** A plain PCMU/PCMA offer with extra lines in its audio section. */
const simpleOffer = (opts: { c?: string; extra?: string[]; proto?: string; fmts?: string } = {}) =>
  sdp(
    'v=0',
    'o=- 7 1 IN IP4 192.0.2.50',
    's=-',
    `c=IN IP4 ${opts.c ?? '192.0.2.50'}`,
    't=0 0',
    `m=audio 5004 ${opts.proto ?? 'RTP/AVP'} ${opts.fmts ?? '0 8 101'}`,
    'a=rtpmap:101 telephone-event/8000',
    ...(opts.extra ?? []),
  );

const crypto80 = (tag: number, key = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk') => `a=crypto:${tag} AES_CM_128_HMAC_SHA1_80 inline:${key}`;

describe('negotiateOffer + buildAnswer: offers as real UAs send them', () => {
  it('baresip: takes its first codec (Opus), telephone-event and rtcp-mux', () => {
    const { n, parsed } = answer(BARESIP_OFFER);
    expect(n.session).toEqual<CallAudioSession>({
      codec: { name: 'opus', payloadType: 96, clockRate: 48000, channels: 2 },
      telephoneEventPayloadType: 101,
      remote: { ip: '192.0.2.10', rtpPort: 10218, rtcpPort: 10218 },
      rtcpMux: true,
      srtp: null,
      direction: 'sendrecv',
      symmetric: true,
      ptimeMs: 20,
    });
    const a = audioOf(parsed);
    expect(a.port).toBe(LOCAL.rtpPort);
    expect(a.payloads).toBe('96 101');
    expect(a.rtp).toEqual([
      { payload: 96, codec: 'opus', rate: 48000, encoding: 2 },
      { payload: 101, codec: 'telephone-event', rate: 8000 },
    ]);
    expect(a.rtcpMux).toBe('rtcp-mux');
    expect(a.rtcp).toBeUndefined();
    expect(a.ptime).toBeUndefined();
    expect(a.direction).toBe('sendrecv');
  });

  it('sipp: PCMU only, no telephone-event; RTCP on the next port; our a=rtcp', () => {
    const { n, parsed } = answer(SIPP_OFFER);
    expect(n.session.codec).toEqual({ name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 });
    expect(n.session.telephoneEventPayloadType).toBeNull();
    expect(n.session.remote).toEqual({ ip: '127.0.0.1', rtpPort: 6000, rtcpPort: 6001 });
    expect(n.session.rtcpMux).toBe(false);
    const a = audioOf(parsed);
    expect(String(a.payloads)).toBe('0');
    expect(a.rtcp?.port).toBe(LOCAL.rtcpPort);
    expect(a.rtcpMux).toBeUndefined();
  });

  it('desk phone: G.722 first wins over PCMU, unknown codecs skipped, a=rtcp honoured, a=ptime echoed', () => {
    const { n, parsed } = answer(DESK_PHONE_OFFER);
    expect(n.session.codec).toEqual({ name: 'G722', payloadType: 9, clockRate: 8000, channels: 1 });
    expect(n.session.telephoneEventPayloadType).toBe(127);
    expect(n.session.remote).toEqual({ ip: '10.1.2.3', rtpPort: 2222, rtcpPort: 2223 });
    const a = audioOf(parsed);
    expect(a.payloads).toBe('9 127');
    expect(a.ptime).toBe(20);
    expect(a.fmtp).toContainEqual({ payload: 127, config: '0-16' });
  });

  it('restricting our codecs picks the caller’s first among ours', () => {
    expect(accept(DESK_PHONE_OFFER, { transport: 'udp', codecs: ['PCMA', 'PCMU'] }).session.codec.name).toBe('PCMU');
  });

  it('RTP/SAVP with two crypto lines: skips the unsupported suite, answers the second with its tag and our own key', () => {
    const { n, parsed } = answer(SAVP_TWO_CRYPTO_OFFER, { transport: 'tls' });
    const srtp = n.session.srtp!;
    expect(srtp.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(srtp.remoteKeyBase64).toBe('NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj');
    expect(Buffer.from(srtp.localKeyBase64, 'base64')).toHaveLength(30);
    expect(srtp.localKeyBase64).not.toBe(srtp.remoteKeyBase64);
    const a = audioOf(parsed);
    expect(a.protocol).toBe('RTP/SAVP');
    expect(a.crypto).toEqual([{ id: 2, suite: 'AES_CM_128_HMAC_SHA1_32', config: `inline:${srtp.localKeyBase64}` }]);
  });

  it('every call gets a fresh key', () => {
    const k1 = accept(SAVP_TWO_CRYPTO_OFFER).session.srtp!.localKeyBase64;
    const k2 = accept(SAVP_TWO_CRYPTO_OFFER).session.srtp!.localKeyBase64;
    expect(k1).not.toBe(k2);
  });

  it('crypto lines with an MKI, several keys or unknown session parameters are skipped', () => {
    for (const bad of [
      `${crypto80(1)}|2^31|1:4`,
      `${crypto80(1)};inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk`,
      `${crypto80(1)} UNENCRYPTED_SRTP`,
      'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=',
    ]) {
      const r = negotiateOffer(simpleOffer({ proto: 'RTP/SAVP', extra: [bad] }), UDP);
      expect(r.ok ? 'accepted' : r.reason, bad).toBe('no_usable_crypto');
    }
    expect(accept(simpleOffer({ proto: 'RTP/SAVP', extra: [`${crypto80(7)}|2^20 WSH=64`] })).session.srtp?.remoteKeyBase64).toBe(
      'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk',
    );
  });

  it('RTP/AVP with a=crypto (best-effort SRTP) is SRTP, answered RTP/AVP with our a=crypto, also over TLS', () => {
    const { n, parsed } = answer(simpleOffer({ extra: [crypto80(3)] }), { transport: 'tls' });
    expect(n.session.srtp?.suite).toBe('AES_CM_128_HMAC_SHA1_80');
    expect(audioOf(parsed).protocol).toBe('RTP/AVP');
    expect(audioOf(parsed).crypto?.[0]?.id).toBe(3);
  });

  it('RTP/AVPF and RTP/SAVPF are answered with the same profile', () => {
    expect(audioOf(answer(simpleOffer({ proto: 'RTP/AVPF' })).parsed).protocol).toBe('RTP/AVPF');
    expect(audioOf(answer(simpleOffer({ proto: 'RTP/SAVPF', extra: [crypto80(1)] })).parsed).protocol).toBe('RTP/SAVPF');
  });

  it('ICE attributes are ignored: plain RTP to the c=/m= address, no ICE in our answer', () => {
    const offer = simpleOffer({ extra: ['a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuv', 'a=candidate:1 1 udp 2130706431 192.0.2.50 5004 typ host'] });
    const { n, text } = answer(offer);
    expect(n.session.remote?.rtpPort).toBe(5004);
    expect(text).not.toMatch(/ice|candidate/);
  });

  it('video, BFCP and a second audio line are answered with port 0, in the offer’s order', () => {
    const { n, parsed, text } = answer(VIDEO_CALL_OFFER);
    expect(n.session.codec.name).toBe('PCMA');
    expect(n.session.remote?.rtpPort).toBe(40000);
    expect(parsed.media.map((m) => [m.type, m.port])).toEqual([['video', 0], ['audio', LOCAL.rtpPort], ['application', 0], ['audio', 0]]);
    expect(text).toContain('m=video 0 RTP/AVP 97 96\r\n');
    expect(text).toContain('m=application 0 UDP/BFCP *\r\n');
  });

  it('a=ptime:30 is honoured for G.711 (and echoed); Opus keeps 20 for a ptime it has no frame for', () => {
    const { n, parsed } = answer(simpleOffer({ extra: ['a=ptime:30'] }));
    expect(n.session.ptimeMs).toBe(30);
    expect(audioOf(parsed).ptime).toBe(30);
    const opus = simpleOffer({ fmts: '111', extra: ['a=rtpmap:111 opus/48000/2', 'a=ptime:30'] });
    expect(accept(opus).session.ptimeMs).toBe(20);
  });

  it('IPv6 callers: accepted with any family, refused (301) when our media socket is IPv4 only', () => {
    const offer = simpleOffer({ c: '2001:db8::5' }).replace('IN IP4 2001', 'IN IP6 2001');
    expect(accept(offer).session.remote?.ip).toBe('2001:db8::5');
    expect(accept(offer, { transport: 'udp', addressFamily: 6 }).session.remote?.ip).toBe('2001:db8::5');
    const r = negotiateOffer(offer, { transport: 'udp', addressFamily: 4 });
    expect(r.ok ? 'accepted' : r.warning).toMatch(/^301 convene "Incompatible network address format/);
  });
});

describe('negotiateOffer: refusals (488 with a Warning, never a throw)', () => {
  const refused = (offer: string | Buffer, ctx: NegotiateContext = UDP) => {
    const r = negotiateOffer(offer, ctx);
    if (r.ok) throw new Error('accepted');
    expect(r.warning).toMatch(/^3\d\d convene "[^"]+"$/);
    return r;
  };

  it('plain RTP over TLS: SRTP required, and the Warning says so', () => {
    const r = refused(SIPP_OFFER, { transport: 'tls' });
    expect(r).toMatchObject({ status: 488, reason: 'srtp_required' });
    expect(r.warning).toMatch(/^302 convene ".*SRTP required/);
  });

  it('over TLS, an AVP line followed by a SAVP line: the SAVP one is the call', () => {
    const offer = sdp(
      'v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0',
      'm=audio 4000 RTP/AVP 0', 'm=audio 4002 RTP/SAVP 0', crypto80(1),
    );
    const { n, parsed } = answer(offer, { transport: 'tls' });
    expect(n.session.remote?.rtpPort).toBe(4002);
    expect(parsed.media.map((m) => m.port)).toEqual([0, LOCAL.rtpPort]);
  });

  it('DTLS-SRTP profiles', () => {
    const offer = simpleOffer({ proto: 'UDP/TLS/RTP/SAVPF', extra: ['a=fingerprint:sha-256 AB:CD', 'a=setup:actpass'] });
    const r = refused(offer);
    expect(r).toMatchObject({ status: 488, reason: 'unsupported_profile' });
    expect(r.warning).toMatch(/^302 convene ".*DTLS/);
  });

  it('no common codec', () => {
    const r = refused(simpleOffer({ fmts: '18 101', extra: ['a=rtpmap:18 G729/8000'] }));
    expect(r).toMatchObject({ status: 488, reason: 'no_common_codec' });
    expect(r.warning).toMatch(/^305 convene "Incompatible media format/);
  });

  it('codec names match case-insensitively but the clock rate must be right', () => {
    expect(accept(simpleOffer({ fmts: '97', extra: ['a=rtpmap:97 pcma/8000'] })).session.codec).toMatchObject({ name: 'PCMA', payloadType: 97 });
    expect(refused(simpleOffer({ fmts: '97', extra: ['a=rtpmap:97 PCMA/16000'] })).reason).toBe('no_common_codec');
  });

  it('RTP/SAVP without any a=crypto', () => {
    expect(refused(simpleOffer({ proto: 'RTP/SAVP' }))).toMatchObject({ status: 488, reason: 'no_usable_crypto' });
  });

  it('no audio m-line at all, or only a disabled one', () => {
    expect(refused(sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=video 5000 RTP/AVP 96'))).toMatchObject({ reason: 'no_audio' });
    expect(refused(sdp('v=0', 'o=- 1 1 IN IP4 192.0.2.1', 's=-', 'c=IN IP4 192.0.2.1', 't=0 0', 'm=audio 0 RTP/AVP 0'))).toMatchObject({ reason: 'no_audio' });
  });

  it('addresses we cannot send to: hostnames, multicast TTL syntax', () => {
    expect(refused(simpleOffer({ c: 'pbx.example.com' }))).toMatchObject({ status: 488, reason: 'unsupported_address' });
    expect(refused(simpleOffer({ c: '224.2.1.1/127' }))).toMatchObject({ reason: 'unsupported_address' });
  });

  it('malformed bodies: 400', () => {
    expect(refused('hello')).toMatchObject({ status: 400, reason: 'malformed' });
    expect(refused('')).toMatchObject({ status: 400, reason: 'malformed' });
    expect(refused(SIPP_OFFER.replace('m=audio 6000', 'm=audio 99999'))).toMatchObject({ status: 400, reason: 'malformed' });
    expect(refused(SIPP_OFFER.replace('m=audio 6000', 'm=audio 6000/2'))).toMatchObject({ status: 400, reason: 'malformed' });
    expect(refused(SIPP_OFFER.replace('c=IN IP4 127.0.0.1\r\n', ''))).toMatchObject({ status: 400, reason: 'malformed' });
    expect(refused(Buffer.alloc(40_000, 'a'))).toMatchObject({ status: 400, reason: 'too_large' });
  });

  it('accepts a Buffer body', () => {
    expect(negotiateOffer(Buffer.from(SIPP_OFFER), UDP).ok).toBe(true);
  });
});

describe('re-offers (re-INVITE / UPDATE): hold, resume, codec change', () => {
  const withDir = (offer: string, dir: string) => offer.replace('a=sendrecv', `a=${dir}`);

  it('hold with sendonly → we recvonly; inactive → inactive; resume → sendrecv; only the direction changed', () => {
    const first = accept(BARESIP_OFFER).session;
    const held = accept(withDir(BARESIP_OFFER, 'sendonly'), { transport: 'udp', previous: first });
    expect(held.session.direction).toBe('recvonly');
    expect(held.session.remote).toEqual(first.remote);
    expect(sessionChanges(first, held.session)).toMatchObject({ direction: true, codec: false, remote: false, srtp: false, any: true });
    expect(buildAnswer({ negotiated: held, local: LOCAL, origin: newOrigin() })).toContain('a=recvonly\r\n');

    expect(accept(withDir(BARESIP_OFFER, 'inactive'), { transport: 'udp', previous: held.session }).session.direction).toBe('inactive');
    expect(accept(withDir(BARESIP_OFFER, 'recvonly')).session.direction).toBe('sendonly');

    const resumed = accept(BARESIP_OFFER, { transport: 'udp', previous: held.session }).session;
    expect(resumed.direction).toBe('sendrecv');
    expect(sessionChanges(first, resumed).any).toBe(false);
  });

  it('RFC 2543 hold (c=0.0.0.0): no remote address, we only receive; with their recvonly too, inactive', () => {
    const held = accept(SIPP_OFFER.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0')).session;
    expect(held.remote).toBeNull();
    expect(held.direction).toBe('recvonly');
    const sendonly = accept(SIPP_OFFER.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0') + 'a=sendonly\r\n').session;
    expect(sendonly.direction).toBe('recvonly');
    const both = accept(SIPP_OFFER.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0') + 'a=recvonly\r\n').session;
    expect(both.direction).toBe('inactive');
    expect(sessionChanges(accept(SIPP_OFFER).session, held)).toMatchObject({ remote: true, direction: true });
  });

  it('session-level direction applies to the m-line unless it has its own', () => {
    const offer = DESK_PHONE_OFFER.replace('a=sendrecv', 'a=sendonly');
    expect(accept(offer).session.direction).toBe('recvonly');
    expect(accept(offer + 'a=sendrecv\r\n').session.direction).toBe('sendrecv');
  });

  it('keeps the current codec while still offered; switches when it is gone', () => {
    const pcmu = accept(simpleOffer({ fmts: '0 8' })).session;
    expect(pcmu.codec.name).toBe('PCMU');
    const reordered = accept(simpleOffer({ fmts: '9 8 0' }), { transport: 'udp', previous: pcmu }).session;
    expect(reordered.codec.name).toBe('PCMU');
    const changed = accept(simpleOffer({ fmts: '8' }), { transport: 'udp', previous: pcmu }).session;
    expect(changed.codec.name).toBe('PCMA');
    expect(sessionChanges(pcmu, changed)).toMatchObject({ codec: true, any: true });
  });

  it('SRTP: our key survives a re-offer with the same suite, so our stream carries on', () => {
    const offer = simpleOffer({ proto: 'RTP/SAVP', extra: [crypto80(1)] });
    const first = accept(offer).session;
    const again = accept(offer.replace('a=rtpmap', 'a=sendonly\r\na=rtpmap'), { transport: 'udp', previous: first }).session;
    expect(again.srtp?.localKeyBase64).toBe(first.srtp?.localKeyBase64);
    expect(sessionChanges(first, again)).toMatchObject({ srtp: false, direction: true });
  });

  it('origin: same session id, version bumped; an unchanged answer differs from the last only in o=', () => {
    const o1 = newOrigin();
    const o2 = bump(o1);
    expect(o2).toEqual({ sessionId: o1.sessionId, version: o1.version + 1 });
    expect(o1.sessionId).toMatch(/^[1-9]\d*$/);
    const n = accept(SIPP_OFFER);
    const a1 = buildAnswer({ negotiated: n, local: LOCAL, origin: o1 });
    const a2 = buildAnswer({ negotiated: n, local: LOCAL, origin: o2 });
    expect(a1).not.toBe(a2);
    expect(sameExceptOrigin(a1, a2)).toBe(true);
    expect(sameExceptOrigin(a1, buildAnswer({ negotiated: accept(SIPP_OFFER + 'a=sendonly\r\n'), local: LOCAL, origin: o1 }))).toBe(false);
    expect(sdpTransform.parse(a2).origin.sessionVersion).toBe(o1.version + 1);
  });
});
