/**
 * Late offer (RFC 3261 §13.2.1, RFC 3264 §5): an INVITE without SDP. We offer in the 200 OK
 * (buildOffer) and the caller answers in the ACK (applyAnswer). The ACK cannot be refused, so a
 * refusal here means the call layer ends the call (BYE), with the Warning for its logs.
 */
import { isIP } from 'node:net';
import type { AudioCodecName, CallAudioSession, MediaDirection } from '../engine/types.js';
import { bandwidthLines, rtpmapLine, sessionLines, telephoneEventLines } from './answer.js';
import { offerVideoSections, readVideoAnswer, type OfferVideoArgs } from './late-offer-video.js';
import { OUR_OPUS_PT, OUR_TELEPHONE_EVENT_PT, codecSdp, isTelephoneEvent8k, matchCodec } from './codecs.js';
import { newSrtpKey, parseCryptoLine } from './crypto.js';
import { acceptedCodecs, formatsOf } from './negotiate.js';
import { readSdp } from './parse.js';
import { refuse } from './refusal.js';
import { choosePtime, classifyProfile, readTransport } from './session-fields.js';
import type { LocalMediaAddress, NegotiatedVideo, PendingOffer, SdpOrigin, SdpRefusal, SipTransport } from './types.js';

export interface BuildOfferArgs {
  transport: SipTransport;
  local: LocalMediaAddress;
  origin: SdpOrigin;
  /** Offer RTP/SAVP with a=crypto. Always on over TLS (SRTP is required there). */
  srtp: boolean;
  /** Ours, in order of preference; default opus, G722, PCMU, PCMA. */
  codecs?: readonly AudioCodecName[];
  direction?: MediaDirection;
  symmetricRtp?: boolean;
  /** On a re-INVITE without SDP: the call's session, whose codec we list first and whose SRTP key we keep. */
  previous?: CallAudioSession | null;
  /** Offer video too (main, and slides when asked); absent: audio only, as before. */
  video?: OfferVideoArgs | null;
}

const OFFER_PTIME = 20;

export function buildOffer(args: BuildOfferArgs): { sdp: string; pending: PendingOffer } {
  const srtp = args.srtp || args.transport === 'tls';
  const prev = args.previous;
  const names = acceptedCodecs(args.codecs);
  if (prev && names.includes(prev.codec.name)) names.sort((a, b) => Number(b === prev.codec.name) - Number(a === prev.codec.name));
  const keyFor = (suite: PendingOffer['crypto'][number]['suite']) => (prev?.srtp?.suite === suite ? prev.srtp.localKeyBase64 : newSrtpKey());
  const codecs = names.map((name) => {
    const s = codecSdp(name);
    return { name, payloadType: s.staticPt ?? OUR_OPUS_PT, clockRate: s.clockRate, channels: s.channels };
  });
  const pending: PendingOffer = {
    transport: args.transport,
    protocol: srtp ? 'RTP/SAVP' : 'RTP/AVP',
    codecs,
    telephoneEventPayloadType: OUR_TELEPHONE_EVENT_PT,
    // One key per suite: a key is never reused under two suites.
    crypto: srtp
      ? [
          { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', keyBase64: keyFor('AES_CM_128_HMAC_SHA1_80') },
          { tag: 2, suite: 'AES_CM_128_HMAC_SHA1_32', keyBase64: keyFor('AES_CM_128_HMAC_SHA1_32') },
        ]
      : [],
    direction: args.direction ?? 'sendrecv',
    symmetricRtp: args.symmetricRtp ?? true,
    addressFamily: isIP(args.local.ip) === 6 ? 6 : 4,
  };
  const { local } = args;
  const lines = sessionLines(args.origin, local.ip);
  lines.push(`m=audio ${local.rtpPort} ${pending.protocol} ${[...codecs.map((c) => c.payloadType), OUR_TELEPHONE_EVENT_PT].join(' ')}`);
  for (const c of codecs) lines.push(rtpmapLine(c));
  lines.push(...telephoneEventLines(OUR_TELEPHONE_EVENT_PT), `a=ptime:${OFFER_PTIME}`, `a=rtcp:${local.rtcpPort}`, 'a=rtcp-mux');
  for (const c of pending.crypto) lines.push(`a=crypto:${c.tag} ${c.suite} inline:${c.keyBase64}`);
  lines.push(`a=${pending.direction}`);
  if (args.video) {
    const video = offerVideoSections(args.video, pending.protocol, local.ip);
    if (video.pending.length > 0) {
      pending.video = video.pending;
      lines.push(...video.lines);
      lines.splice(4, 0, ...bandwidthLines(Math.floor(args.video.callBitrateBps)));
    }
  }
  return { sdp: lines.join('\r\n') + '\r\n', pending };
}

/** Reads the caller's answer to our late offer; never throws. */
export function applyAnswer(
  answerSdp: string | Buffer,
  pending: PendingOffer,
): { ok: true; session: CallAudioSession; /** Video streams the answer accepted (empty for audio-only offers). */ video: NegotiatedVideo[] } | SdpRefusal {
  try {
    const read = readSdp(answerSdp);
    if (!read.ok) return refuse(400, read.reason, 399, `Malformed SDP: ${read.detail}`);
    const m = read.media[0];
    const offeredVideo = pending.video ?? [];
    // RFC 3264 §6: the answer has exactly the offer's m-lines; ours had audio first, then our video ones.
    if (read.media.length !== 1 + offeredVideo.length || !m || m.type !== 'audio') {
      return refuse(488, 'answer_mismatch', 304, `Answer does not match our offer (audio${offeredVideo.length > 0 ? ` and ${offeredVideo.length} video` : ''} m-lines)`);
    }
    if (m.port === 0) return refuse(488, 'audio_rejected', 304, 'Audio stream rejected in the answer');
    const profile = classifyProfile(m.protocol);
    if (profile.kind !== 'rtp' || profile.secure !== (pending.protocol === 'RTP/SAVP')) {
      return pending.protocol === 'RTP/SAVP'
        ? refuse(488, 'srtp_required', 302, `SRTP required: answer RTP/SAVP, not ${m.protocol.slice(0, 40)}`)
        : refuse(488, 'answer_mismatch', 302, `Answer profile ${m.protocol.slice(0, 40)} does not match our RTP/AVP offer`);
    }
    let srtp: CallAudioSession['srtp'] = null;
    if (profile.secure) {
      // The answer carries one a=crypto with the tag and suite of one of ours (RFC 4568 §7.1.2).
      for (const raw of m.crypto) {
        const theirs = parseCryptoLine(raw);
        const ours = theirs && pending.crypto.find((c) => c.tag === theirs.tag && c.suite === theirs.suite);
        if (theirs && ours) {
          srtp = { suite: ours.suite, localKeyBase64: ours.keyBase64, remoteKeyBase64: theirs.keyBase64 };
          break;
        }
      }
      if (!srtp) return refuse(488, 'no_usable_crypto', 306, 'Answer has no a=crypto matching a tag and suite we offered');
    }
    const transport = readTransport(m, pending.addressFamily);
    if ('ok' in transport) return transport;
    // Payload types without an rtpmap in the answer mean what our offer said they mean.
    const ourFormat = (pt: number) => {
      const c = pending.codecs.find((x) => x.payloadType === pt);
      if (c) return { payloadType: pt, encoding: codecSdp(c.name).encoding, clockRate: c.clockRate, channels: c.channels };
      return pt === pending.telephoneEventPayloadType ? { payloadType: pt, encoding: 'telephone-event', clockRate: 8000, channels: null } : null;
    };
    const formats = formatsOf(m, ourFormat);
    const offered = pending.codecs.map((c) => c.name);
    let codec = null;
    for (const f of formats) if ((codec = matchCodec(f, offered))) break;
    if (!codec) return refuse(488, 'no_common_codec', 305, 'Answer has none of the codecs we offered');
    const te = formats.find(isTelephoneEvent8k);
    const video: NegotiatedVideo[] = [];
    offeredVideo.forEach((p, i) => {
      const v = readVideoAnswer(read.media[i + 1]!, i + 1, p, profile.secure, pending.addressFamily);
      if (v) video.push(v);
    });
    return {
      ok: true,
      video,
      session: {
        codec,
        telephoneEventPayloadType: te ? te.payloadType : null,
        ...transport,
        srtp,
        symmetric: pending.symmetricRtp,
        ptimeMs: choosePtime(m.ptime, codec),
      },
    };
  } catch {
    return refuse(400, 'malformed', 399, 'Malformed SDP');
  }
}
