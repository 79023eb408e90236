/** Writes our SDP answer from a negotiated offer (RFC 3264 §6): every offered m-line, in order. */
import { isIP } from 'node:net';
import type { AudioCodecSpec, CallAudioSession } from '../engine/types.js';
import { CodedError } from '../../../../common/src/index.js';
import { videoAsKbps } from './bandwidth.js';
import { codecSdp } from './codecs.js';
import type { LocalMediaAddress, NegotiatedOffer, NegotiatedVideo, SdpOrigin, VideoRole } from './types.js';

export type SdpBuildErrorCode = 'video_address_missing';

/** A caller mistake in building our SDP (never caused by network input). */
export class SdpBuildError extends CodedError<SdpBuildErrorCode> {
  override readonly name = 'SdpBuildError';
}

export const SDP_USERNAME = 'convene';

function addrType(ip: string): 'IP4' | 'IP6' {
  return isIP(ip) === 6 ? 'IP6' : 'IP4';
}

/** v= o= s= c= t= for our side. */
export function sessionLines(origin: SdpOrigin, ip: string): string[] {
  const at = addrType(ip);
  return ['v=0', `o=${SDP_USERNAME} ${origin.sessionId} ${origin.version} IN ${at} ${ip}`, `s=${SDP_USERNAME}`, `c=IN ${at} ${ip}`, 't=0 0'];
}

export function rtpmapLine(c: Pick<AudioCodecSpec, 'name' | 'payloadType'>): string {
  const s = codecSdp(c.name);
  return `a=rtpmap:${c.payloadType} ${s.encoding}/${s.clockRate}${s.channels > 1 ? `/${s.channels}` : ''}`;
}

/** telephone-event lines; 0-16 are the digits, * # A-D and hook flash (RFC 4733 §3.2). */
export function telephoneEventLines(pt: number): string[] {
  return [`a=rtpmap:${pt} telephone-event/8000`, `a=fmtp:${pt} 0-16`];
}

function audioAnswerLines(protocol: string, session: CallAudioSession, plan: NegotiatedOffer['answer'], local: LocalMediaAddress): string[] {
  const te = session.telephoneEventPayloadType;
  const lines = [`m=audio ${local.rtpPort} ${protocol} ${session.codec.payloadType}${te !== null ? ` ${te}` : ''}`, rtpmapLine(session.codec)];
  if (te !== null) lines.push(...telephoneEventLines(te));
  if (plan.ptimeAsked) lines.push(`a=ptime:${session.ptimeMs}`);
  // With rtcp-mux agreed there is one port; otherwise say where our RTCP is (RFC 3605).
  lines.push(session.rtcpMux ? 'a=rtcp-mux' : `a=rtcp:${local.rtcpPort}`);
  if (session.srtp && plan.cryptoTag !== null) lines.push(`a=crypto:${plan.cryptoTag} ${session.srtp.suite} inline:${session.srtp.localKeyBase64}`);
  lines.push(`a=${session.direction}`);
  return lines;
}

/** b=AS then b=TIAS (RFC 3890 §6.4 asks for both, AS for receivers that do not know TIAS). */
export function bandwidthLines(tiasBps: number): string[] {
  return [`b=AS:${videoAsKbps(tiasBps)}`, `b=TIAS:${Math.floor(tiasBps)}`];
}

/** The a= lines of one video stream after its m= line (shared with our late offer). */
export function videoAttributeLines(v: Pick<NegotiatedVideo, 'codec' | 'feedback'>): string[] {
  const pt = v.codec.payloadType;
  const lines = [`a=rtpmap:${pt} ${v.codec.name}/90000`];
  if (v.codec.fmtp) lines.push(`a=fmtp:${pt} ${v.codec.fmtp}`);
  const fb = v.feedback;
  if (fb.nack) lines.push(`a=rtcp-fb:${pt} nack`);
  if (fb.pli) lines.push(`a=rtcp-fb:${pt} nack pli`);
  if (fb.fir) lines.push(`a=rtcp-fb:${pt} ccm fir`);
  if (fb.tmmbr) lines.push(`a=rtcp-fb:${pt} ccm tmmbr`);
  if (fb.remb) lines.push(`a=rtcp-fb:${pt} goog-remb`);
  return lines;
}

function videoAnswerLines(v: NegotiatedVideo, content: boolean, local: LocalMediaAddress, sessionIp: string): string[] {
  const lines = [`m=video ${local.rtpPort} ${v.protocol} ${v.codec.payloadType}`];
  if (local.ip !== sessionIp) lines.push(`c=IN ${addrType(local.ip)} ${local.ip}`);
  lines.push(...bandwidthLines(v.maxBitrateBps), ...videoAttributeLines(v));
  lines.push(v.rtcpMux ? 'a=rtcp-mux' : `a=rtcp:${local.rtcpPort}`);
  if (v.srtp && v.cryptoTag !== null) lines.push(`a=crypto:${v.cryptoTag} ${v.srtp.suite} inline:${v.srtp.localKeyBase64}`);
  if (content) lines.push(`a=content:${v.role}`);
  if (v.label !== null) lines.push(`a=label:${v.label}`);
  lines.push(`a=${v.direction}`);
  return lines;
}

export interface BuildAnswerArgs {
  negotiated: NegotiatedOffer;
  /** Our audio address; its ip is the session's c=. */
  local: LocalMediaAddress;
  origin: SdpOrigin;
  /** Our address for each accepted video role (the mediasoup PlainTransport of that m-line); required for every role in negotiated.video. */
  videoLocal?: Partial<Record<VideoRole, LocalMediaAddress>>;
}

export function buildAnswer({ negotiated, local, origin, videoLocal }: BuildAnswerArgs): string {
  const lines = sessionLines(origin, local.ip);
  // The call's whole cap, once video is negotiated (b= after c=, RFC 4566 §5 order).
  if (negotiated.bandwidth && negotiated.video.length > 0) lines.splice(4, 0, ...bandwidthLines(negotiated.bandwidth.callBps));
  for (const m of negotiated.answer.media) {
    switch (m.kind) {
      case 'audio':
        lines.push(...audioAnswerLines(m.protocol, negotiated.session, negotiated.answer, local));
        break;
      case 'video': {
        const v = negotiated.video[m.video]!;
        const at = videoLocal?.[v.role];
        if (!at) throw new SdpBuildError('video_address_missing', `buildAnswer: no local address for the accepted '${v.role}' video m-line`);
        lines.push(...videoAnswerLines(v, m.content, at, local.ip));
        break;
      }
      case 'rejected':
        lines.push(`m=${m.type} 0 ${m.protocol} ${m.formats}`);
        break;
    }
  }
  return lines.join('\r\n') + '\r\n';
}
