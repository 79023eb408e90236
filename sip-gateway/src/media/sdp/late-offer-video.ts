/**
 * Video in our own offer (INVITE without SDP, or a re-INVITE without SDP): one main video m-line and,
 * when asked, a presentation m-line (a=content:slides), each listing the room's video codecs with the
 * room's payload types, every feedback message we take part in, and the video budget as b=.
 * The endpoint's answer picks a codec per line (or rejects it with port 0).
 */
import { bandwidthLines } from './answer.js';
import { AUDIO_RESERVE_BPS, MIN_VIDEO_BPS, offeredVideoBps } from './bandwidth.js';
import { newSrtpKey, parseCryptoLine } from './crypto.js';
import type { SdpMedia } from './parse.js';
import { classifyProfile, readTransport } from './session-fields.js';
import type { LocalMediaAddress, NegotiatedVideo, PendingVideo, RoomVideoCodec, VideoNegotiation, VideoRole } from './types.js';
import { agreedFeedback, formatTerms, keyframeMethod, offerFmtp, usableFormats } from './video.js';

export interface OfferVideoArgs {
  /** The room's video codecs (roomVideoCodecs()), in our order of preference. */
  codecs: readonly RoomVideoCodec[];
  callBitrateBps: number;
  maxResolution?: VideoNegotiation['maxResolution'];
  /** Also offer a presentation m-line. */
  slides?: boolean;
  /** Our PlainTransport address per role offered. */
  local: Partial<Record<VideoRole, LocalMediaAddress>>;
  /** The current video streams on a re-INVITE without SDP: their codec is listed first and their SRTP keys kept. */
  previous?: readonly NegotiatedVideo[];
}

const ALL_FEEDBACK = { nack: true, pli: true, fir: true, tmmbr: true, remb: true };

/** The video budget of an offer: the call cap less the largest audio reserve (the audio codec is not chosen yet). */
export function offerVideoBps(callBitrateBps: number): number {
  return Math.max(0, Math.floor(callBitrateBps) - Math.max(...Object.values(AUDIO_RESERVE_BPS)));
}

/** m= sections for our offer, after the audio one; fills `pending` with what the answer must match. */
export function offerVideoSections(args: OfferVideoArgs, protocol: 'RTP/AVP' | 'RTP/SAVP', sessionIp: string): { lines: string[]; pending: PendingVideo[] } {
  const lines: string[] = [];
  const pending: PendingVideo[] = [];
  const videoBps = offerVideoBps(args.callBitrateBps);
  // Too little left after audio: offer audio only rather than a video line nobody can use.
  if (videoBps < MIN_VIDEO_BPS) return { lines, pending };
  const roles: VideoRole[] = args.slides ? ['main', 'slides'] : ['main'];
  for (const role of roles) {
    const local = args.local[role];
    if (!local || args.codecs.length === 0) continue;
    const prev = args.previous?.find((v) => v.role === role);
    const codecs = [...args.codecs].sort((a, b) => Number(b.name === prev?.codec.name) - Number(a.name === prev?.codec.name));
    const keyFor = (suite: PendingVideo['crypto'][number]['suite']) => (prev?.srtp?.suite === suite ? prev.srtp.localKeyBase64 : newSrtpKey());
    const p: PendingVideo = {
      role,
      codecs: codecs.map((c) => ({ ...c, fmtp: offerFmtp(c.name, args.maxResolution) })),
      crypto: protocol === 'RTP/SAVP'
        ? [
            { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: keyFor('AES_CM_128_HMAC_SHA1_80') },
            { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', keyBase64: keyFor('AES_CM_128_HMAC_SHA1_32') },
          ]
        : [],
      maxBitrateBps: videoBps,
      maxResolution: args.maxResolution ?? '720p',
    };
    pending.push(p);
    lines.push(`m=video ${local.rtpPort} ${protocol} ${p.codecs.map((c) => c.payloadType).join(' ')}`);
    if (local.ip !== sessionIp) lines.push(`c=IN ${local.ip.includes(':') ? 'IP6' : 'IP4'} ${local.ip}`);
    lines.push(...bandwidthLines(videoBps));
    for (const c of p.codecs) {
      lines.push(`a=rtpmap:${c.payloadType} ${c.name}/90000`, `a=fmtp:${c.payloadType} ${c.fmtp}`);
      lines.push(`a=rtcp-fb:${c.payloadType} nack`, `a=rtcp-fb:${c.payloadType} nack pli`, `a=rtcp-fb:${c.payloadType} ccm fir`);
      lines.push(`a=rtcp-fb:${c.payloadType} ccm tmmbr`, `a=rtcp-fb:${c.payloadType} goog-remb`);
    }
    lines.push(`a=rtcp:${local.rtcpPort}`, 'a=rtcp-mux');
    for (const c of p.crypto) lines.push(`a=crypto:${c.tag} ${c.suite} inline:${c.keyBase64}`);
    if (args.slides) lines.push(`a=content:${role}`);
    lines.push(`a=label:${role === 'main' ? 11 : 12}`, 'a=sendrecv');
  }
  return { lines, pending };
}

/**
 * The endpoint's answer for one of our video m-lines: null when it rejected it (port 0) or answered
 * nothing we can use — the call goes on without that stream.
 */
export function readVideoAnswer(m: SdpMedia, index: number, p: PendingVideo, secure: boolean, addressFamily: 4 | 6): NegotiatedVideo | null {
  if (m.type !== 'video' || m.port === 0) return null;
  const profile = classifyProfile(m.protocol);
  if (profile.kind !== 'rtp' || profile.secure !== secure) return null;
  let srtp: NegotiatedVideo['srtp'] = null;
  let cryptoTag: number | null = null;
  if (secure) {
    for (const raw of m.crypto) {
      const theirs = parseCryptoLine(raw);
      const ours = theirs && p.crypto.find((c) => c.tag === theirs.tag && c.suite === theirs.suite);
      if (theirs && ours) {
        srtp = { suite: ours.suite, localKeyBase64: ours.keyBase64, remoteKeyBase64: theirs.keyBase64 };
        cryptoTag = ours.tag;
        break;
      }
    }
    if (!srtp) return null;
  }
  const transport = readTransport(m, addressFamily);
  if ('ok' in transport) return null;
  // Payload types without an rtpmap in the answer mean what our offer said they mean.
  for (const pt of m.payloadTypes) {
    if (m.rtpmap.has(pt)) continue;
    const c = p.codecs.find((x) => x.payloadType === pt);
    if (c) {
      m.rtpmap.set(pt, { payloadType: pt, encoding: c.name, clockRate: 90000, channels: null });
      if (!m.fmtp.has(pt)) m.fmtp.set(pt, c.fmtp);
    }
  }
  const chosen = usableFormats(m).usable.find((u) => p.codecs.some((c) => c.name === u.name));
  if (!chosen) return null;
  const room = p.codecs.find((c) => c.name === chosen.name)!;
  const maxBitrateBps = Math.min(p.maxBitrateBps, offeredVideoBps(m.bandwidth) ?? Infinity);
  if (maxBitrateBps < MIN_VIDEO_BPS) return null;
  const { sendLimits } = formatTerms(chosen, { maxResolution: p.maxResolution });
  const feedback = agreedFeedback(m, chosen.payloadType);
  return {
    role: p.role,
    index,
    label: m.label,
    protocol: m.protocol,
    codec: { name: chosen.name, payloadType: room.payloadType, remotePayloadType: chosen.payloadType, clockRate: 90000, fmtp: room.fmtp },
    sendLimits,
    feedback,
    keyframeRequest: keyframeMethod(feedback),
    remote: transport.remote,
    rtcpMux: transport.rtcpMux,
    srtp,
    cryptoTag,
    direction: transport.direction,
    maxBitrateBps,
  };
}

