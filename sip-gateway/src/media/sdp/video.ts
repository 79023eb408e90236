/**
 * One offered video m-line → a NegotiatedVideo, or why it gets port 0. The call is never refused
 * for its video: an unusable video line is rejected alone and the call carries on with audio.
 * Codec choice is OURS (VideoNegotiation.codecs order, H.264 first): H.264 is what browsers publish
 * for meetings with room systems, so it is the only codec forwarded both ways without transcoding.
 * On a re-offer the role keeps its current codec while it is still offered.
 */
import type { SdpMedia } from './parse.js';
import { newSrtpKey, pickCrypto } from './crypto.js';
import { MIN_VIDEO_BPS, offeredVideoBps } from './bandwidth.js';
import { classifyProfile, readTransport } from './session-fields.js';
import type { NegotiateContext, NegotiatedVideo, VideoFeedback, VideoNegotiation, VideoRejectionReason, VideoRole } from './types.js';
import { RESOLUTION_LIMITS, levelLimits, matchVideoFormat, profileLevelIdHex, type H264Params, type Vp8Params } from './video-codecs.js';

export type Usable = { name: 'H264'; payloadType: number; h264: H264Params } | { name: 'VP8'; payloadType: number; vp8: Vp8Params };

/** The fmtp of our own offer (late offer): we receive up to our licence's level, asymmetric levels welcome. */
export function offerFmtp(name: 'H264' | 'VP8', maxResolution: VideoNegotiation['maxResolution']): string {
  const ours = RESOLUTION_LIMITS[maxResolution ?? '720p'];
  if (name === 'VP8') return `max-fs=${ours.maxFs};max-fr=30`;
  return `profile-level-id=${profileLevelIdHex('42e0', ours.h264Level)};packetization-mode=1;level-asymmetry-allowed=1`;
}

/** The feedback messages we take part in, of those the m-line lists for `pt` (or '*'). */
export function agreedFeedback(m: SdpMedia, pt: number): VideoFeedback {
  const fb: VideoFeedback = { nack: false, pli: false, fir: false, tmmbr: false, remb: false };
  for (const f of m.rtcpFb) {
    if (f.payloadType !== '*' && f.payloadType !== pt) continue;
    if (f.type === 'nack' && f.subtype === null) fb.nack = true;
    else if (f.type === 'nack' && f.subtype === 'pli') fb.pli = true;
    else if (f.type === 'ccm' && f.subtype === 'fir') fb.fir = true;
    else if (f.type === 'ccm' && f.subtype === 'tmmbr') fb.tmmbr = true;
    else if (f.type === 'goog-remb' && f.subtype === null) fb.remb = true;
  }
  return fb;
}

export function keyframeMethod(fb: VideoFeedback): NegotiatedVideo['keyframeRequest'] {
  return fb.pli ? 'pli' : fb.fir ? 'fir' : 'sip-info';
}

export function usableFormats(m: SdpMedia): { usable: Usable[]; why: VideoRejectionReason } {
  const usable: Usable[] = [];
  let why: VideoRejectionReason = 'no_common_codec';
  // Video has no static payload type we forward: only rtpmap'd formats count.
  for (const pt of m.payloadTypes) {
    const f = m.rtpmap.get(pt);
    if (!f) continue;
    const r = matchVideoFormat(f, m.fmtp.get(f.payloadType));
    if (r.ok) usable.push(r.name === 'H264' ? { name: 'H264', payloadType: r.payloadType, h264: r.h264 } : { name: 'VP8', payloadType: r.payloadType, vp8: r.vp8 });
    // A mode-1 format in a profile we cannot send says more than a mode-0 one.
    else if (r.reason === 'h264_profile') why = 'h264_profile';
    else if (r.reason === 'h264_mode0_only' && why === 'no_common_codec') why = 'h264_mode0_only';
  }
  return { usable, why };
}

function chooseFormat(m: SdpMedia, video: VideoNegotiation, role: VideoRole): Usable | VideoRejectionReason {
  const { usable, why } = usableFormats(m);
  const ourNames = video.codecs.map((c) => c.name);
  const offered = usable.filter((u) => ourNames.includes(u.name));
  if (offered.length === 0) return why;
  const previous = video.previous?.find((v) => v.role === role)?.codec.name;
  const rank = (u: Usable) =>
    (u.name === previous ? 0 : 100) + ourNames.indexOf(u.name) * 10 + (u.name === 'H264' && u.h264.profile.profile !== 'constrained-baseline' ? 1 : 0);
  return offered.reduce((best, u) => (rank(u) < rank(best) ? u : best));
}

/** Our fmtp for a chosen format and how large a picture we may send the endpoint. */
export function formatTerms(chosen: Usable, video: VideoNegotiation | { maxResolution?: VideoNegotiation['maxResolution'] }): { fmtp: string; sendLimits: NegotiatedVideo['sendLimits'] } {
  const ours = RESOLUTION_LIMITS[video.maxResolution ?? '720p'];
  if (chosen.name === 'VP8') {
    return {
      fmtp: `max-fs=${ours.maxFs};max-fr=30`,
      sendLimits: { maxFrameSizeMb: Math.min(chosen.vp8.maxFs ?? Infinity, ours.maxFs), maxMbps: null, maxFramerate: chosen.vp8.maxFr },
    };
  }
  const h = chosen.h264;
  // Without level asymmetry both directions use the lower level (RFC 6184 §8.2.2).
  const level = h.levelAsymmetryAllowed ? ours.h264Level : Math.min(h.profile.levelIdc, ours.h264Level);
  const theirs = levelLimits(h.levelAsymmetryAllowed ? h.profile.levelIdc : level);
  // max-fs / max-mbps may only raise the level's own limits.
  const fs = Math.max(theirs.maxFs, h.maxFs ?? 0);
  const mbps = Math.max(theirs.maxMbps, h.maxMbps ?? 0);
  return {
    fmtp: `profile-level-id=${profileLevelIdHex(h.profile.profileHex, level)};packetization-mode=1${h.levelAsymmetryAllowed ? ';level-asymmetry-allowed=1' : ''}`,
    sendLimits: { maxFrameSizeMb: Math.min(fs, ours.maxFs), maxMbps: Math.min(mbps, ours.maxMbps), maxFramerate: null },
  };
}

export function acceptVideo(
  m: SdpMedia,
  index: number,
  role: VideoRole,
  ctx: NegotiateContext & { video: VideoNegotiation },
  videoBps: number,
  contentOffered: boolean,
): { video: NegotiatedVideo; content: boolean } | VideoRejectionReason {
  const video = ctx.video;
  const profile = classifyProfile(m.protocol);
  if (profile.kind !== 'rtp') return 'unsupported_profile';
  const crypto = pickCrypto(m.crypto);
  if (profile.secure && !crypto) return 'no_usable_crypto';
  if (!crypto && ctx.transport === 'tls') return 'srtp_required';
  const transport = readTransport(m, ctx.addressFamily);
  if ('ok' in transport) return 'unsupported_address';

  const lineBps = offeredVideoBps(m.bandwidth);
  const maxBitrateBps = Math.min(videoBps, lineBps ?? Infinity);
  if (maxBitrateBps < MIN_VIDEO_BPS) return 'no_bandwidth';

  const chosen = chooseFormat(m, video, role);
  if (typeof chosen === 'string') return chosen;
  const room = video.codecs.find((c) => c.name === chosen.name)!;
  const { fmtp, sendLimits } = formatTerms(chosen, video);
  const feedback = agreedFeedback(m, chosen.payloadType);
  const prevSrtp = video.previous?.find((v) => v.role === role)?.srtp;
  return {
    content: contentOffered,
    video: {
      role,
      index,
      label: m.label,
      protocol: m.protocol,
      codec: { name: chosen.name, payloadType: room.payloadType, remotePayloadType: chosen.payloadType, clockRate: 90000, fmtp },
      sendLimits,
      feedback,
      keyframeRequest: keyframeMethod(feedback),
      remote: transport.remote,
      rtcpMux: transport.rtcpMux,
      srtp: crypto
        ? {
            suite: crypto.suite,
            localKeyBase64: prevSrtp && prevSrtp.suite === crypto.suite ? prevSrtp.localKeyBase64 : newSrtpKey(),
            remoteKeyBase64: crypto.keyBase64,
          }
        : null,
      cryptoTag: crypto ? crypto.tag : null,
      direction: transport.direction,
      maxBitrateBps,
    },
  };
}
