/**
 * Answering an SDP offer (initial INVITE, re-INVITE, UPDATE) for an audio call.
 *
 * Codec choice: the caller's order wins (RFC 3264 §6.1 — the offer lists formats in its order of
 * preference; phones put the one they want first), among the codecs we accept. One exception: on
 * a re-offer we keep the call's current codec while it is still offered, so a hold/resume or a
 * refresh never re-codes mid-call. We answer with ONE codec plus telephone-event/8000 when offered.
 *
 * The first audio m-line we can accept is the call's audio; every other m-line (data, BFCP, a
 * second audio — including the RTP/AVP twin of an RTP/SAVP line that "best effort SRTP" phones
 * send) is answered with port 0 (RFC 3264 §6). Video m-lines too, unless the call opted in
 * (ctx.video): then video.ts decides each. With no acceptable audio line, the refusal of the first
 * audio line is the answer.
 *
 * SRTP: RTP/SAVP(F) needs a usable a=crypto; over TLS, SRTP is required. An RTP/AVP line that
 * carries a=crypto ("best effort SRTP", what many PBXes send) is taken as SRTP too. DTLS-SRTP
 * profiles are refused. ICE attributes are ignored: without ICE in our answer the caller falls
 * back to plain RTP to the c=/m= address (RFC 8445 §5.1.1 fallback), which symmetric RTP covers.
 */
import type { AudioCodecName, AudioCodecSpec, CallAudioSession } from '../engine/types.js';
import { AUDIO_CODEC_NAMES, DEFAULT_CODECS, codecSdp, isTelephoneEvent8k, matchCodec, staticFormat, type OfferedFormat } from './codecs.js';
import { newSrtpKey, pickCrypto } from './crypto.js';
import { AUDIO_RESERVE_BPS, offeredVideoBps } from './bandwidth.js';
import { readSdp, type SdpBandwidth, type SdpMedia } from './parse.js';
import { refuse } from './refusal.js';
import { choosePtime, classifyProfile, profileRefusal, readTransport } from './session-fields.js';
import type {
  AnswerMediaLine,
  CallBandwidth,
  NegotiateContext,
  NegotiatedOffer,
  NegotiatedVideo,
  SdpRefusal,
  VideoRejection,
  VideoRejectionReason,
  VideoRole,
} from './types.js';
import { acceptVideo } from './video.js';

export type NegotiateResult = NegotiatedOffer | SdpRefusal;

/** The codecs of ctx.codecs we know, deduplicated; the default list when none is left. */
export function acceptedCodecs(codecs: readonly AudioCodecName[] | undefined): AudioCodecName[] {
  const out = (codecs ?? DEFAULT_CODECS).filter((c, i, all) => AUDIO_CODEC_NAMES.includes(c) && all.indexOf(c) === i);
  return out.length > 0 ? out : [...DEFAULT_CODECS];
}

/** Formats of an m-line in its order: its rtpmap, or the RFC 3551 static type when it has none. */
export function formatsOf(m: SdpMedia, fallback?: (pt: number) => OfferedFormat | null): OfferedFormat[] {
  const out: OfferedFormat[] = [];
  for (const pt of m.payloadTypes) {
    const f = m.rtpmap.get(pt) ?? fallback?.(pt) ?? staticFormat(pt);
    if (f) out.push(f);
  }
  return out;
}

function describeAccepted(accepted: readonly AudioCodecName[]): string {
  return accepted.map((n) => { const c = codecSdp(n); return `${c.encoding}/${c.clockRate}`; }).join(' ');
}

interface AcceptedAudio {
  session: CallAudioSession;
  cryptoTag: number | null;
  ptimeAsked: boolean;
}

function acceptAudio(m: SdpMedia, ctx: NegotiateContext, accepted: readonly AudioCodecName[]): AcceptedAudio | SdpRefusal {
  const profile = classifyProfile(m.protocol);
  const bad = profileRefusal(m.protocol, profile);
  if (bad || profile.kind !== 'rtp') return bad ?? refuse(488, 'unsupported_profile', 302, 'Unsupported transport protocol');

  const crypto = pickCrypto(m.crypto);
  if (profile.secure && !crypto) {
    return refuse(488, 'no_usable_crypto', 306, 'No usable a=crypto: need AES_CM_128_HMAC_SHA1_80 or _32 with one inline key and no MKI');
  }
  if (!crypto && ctx.transport === 'tls') {
    return refuse(488, 'srtp_required', 302, 'SRTP required for calls over TLS: offer RTP/SAVP with a=crypto (SDES)');
  }

  const transport = readTransport(m, ctx.addressFamily);
  if ('ok' in transport) return transport;

  const formats = formatsOf(m);
  const candidates: AudioCodecSpec[] = [];
  for (const f of formats) {
    const c = matchCodec(f, accepted);
    if (c && !candidates.some((x) => x.name === c.name)) candidates.push(c);
  }
  const previous = ctx.previous?.codec.name;
  const codec = candidates.find((c) => c.name === previous) ?? candidates[0];
  if (!codec) return refuse(488, 'no_common_codec', 305, `Incompatible media format: we accept ${describeAccepted(accepted)}`);
  const te = formats.find(isTelephoneEvent8k);

  const prevSrtp = ctx.previous?.srtp;
  const session: CallAudioSession = {
    codec,
    telephoneEventPayloadType: te ? te.payloadType : null,
    ...transport,
    srtp: crypto
      ? {
          suite: crypto.suite,
          // Keep our key across re-offers with the same suite: our outbound SRTP stream carries on.
          localKeyBase64: prevSrtp && prevSrtp.suite === crypto.suite ? prevSrtp.localKeyBase64 : newSrtpKey(),
          remoteKeyBase64: crypto.keyBase64,
        }
      : null,
    symmetric: ctx.symmetricRtp ?? true,
    ptimeMs: choosePtime(m.ptime, codec),
  };
  return { session, cryptoTag: crypto ? crypto.tag : null, ptimeAsked: m.ptime !== null };
}

/** Negotiates an offer; never throws. On success, `answer` is what buildAnswer needs to write our SDP. */
export function negotiateOffer(offerSdp: string | Buffer, ctx: NegotiateContext): NegotiateResult {
  try {
    const read = readSdp(offerSdp);
    if (!read.ok) return refuse(400, read.reason, 399, `Malformed SDP: ${read.detail}`);
    const accepted = acceptedCodecs(ctx.codecs);
    const media: AnswerMediaLine[] = [];
    let chosen: AcceptedAudio | null = null;
    let firstRefusal: SdpRefusal | null = null;
    // Pass 1, audio: the first acceptable audio m-line is the call; everything else is port 0 for now.
    for (const m of read.media) {
      if (chosen === null && m.type === 'audio' && m.port !== 0) {
        const r = acceptAudio(m, ctx, accepted);
        if (!('ok' in r)) {
          chosen = r;
          media.push({ kind: 'audio', protocol: m.protocol });
          continue;
        }
        firstRefusal ??= r;
      }
      media.push(rejectedLine(m));
    }
    if (!chosen) return firstRefusal ?? refuse(488, 'no_audio', 304, 'No audio stream offered');
    const videoResult = negotiateVideo(read.media, read.bandwidth, media, chosen.session, ctx);
    return { ok: true, session: chosen.session, answer: { media, cryptoTag: chosen.cryptoTag, ptimeAsked: chosen.ptimeAsked }, ...videoResult };
  } catch {
    // Nothing above should throw; if it ever does, a bad body still gets a SIP answer, not a crash.
    return refuse(400, 'malformed', 399, 'Malformed SDP');
  }
}

function rejectedLine(m: SdpMedia): AnswerMediaLine {
  return { kind: 'rejected', type: m.type, protocol: m.protocol, formats: m.formats === '' ? '0' : m.formats };
}

/**
 * Pass 2, video (only when the call opted in): the first 'main' and the first 'slides' (RFC 4796
 * a=content:slides) video m-lines are accepted when usable, in place in `media`; the call's cap is
 * split between audio and video. Other video m-lines stay at port 0 with a reason.
 */
function negotiateVideo(
  lines: readonly SdpMedia[],
  sessionBandwidth: SdpBandwidth,
  media: AnswerMediaLine[],
  audio: CallAudioSession,
  ctx: NegotiateContext,
): Pick<NegotiatedOffer, 'video' | 'videoRejected' | 'bandwidth'> {
  const video: NegotiatedVideo[] = [];
  const videoRejected: VideoRejection[] = [];
  const opts = ctx.video;
  if (!opts) {
    lines.forEach((m, index) => { if (m.type === 'video') videoRejected.push({ index, reason: 'video_disabled' }); });
    return { video, videoRejected, bandwidth: null };
  }
  const asked = offeredVideoBps(sessionBandwidth);
  const callBps = Math.max(0, Math.floor(Math.min(opts.callBitrateBps, asked ?? Infinity)));
  const audioBps = Math.min(AUDIO_RESERVE_BPS[audio.codec.name], callBps);
  const bandwidth: CallBandwidth = { callBps, audioBps, videoBps: callBps - audioBps };
  const videoCtx = { ...ctx, video: opts };
  lines.forEach((m, index) => {
    if (m.type !== 'video') return;
    const role: VideoRole = m.content.includes('slides') ? 'slides' : 'main';
    let outcome: VideoRejectionReason | null = null;
    if (m.port === 0) outcome = 'disabled_by_offer';
    else if (role === 'slides' && opts.slides === false) outcome = 'slides_disabled';
    else if (video.some((v) => v.role === role)) outcome = 'extra_video_line';
    if (outcome === null) {
      const r = acceptVideo(m, index, role, videoCtx, bandwidth.videoBps, m.content.length > 0);
      if (typeof r === 'string') outcome = r;
      else {
        media[index] = { kind: 'video', video: video.length, content: r.content };
        video.push(r.video);
        return;
      }
    }
    videoRejected.push({ index, reason: outcome });
  });
  return { video, videoRejected, bandwidth };
}
