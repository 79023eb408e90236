/** Writes our SDP answer from a negotiated offer (RFC 3264 §6): every offered m-line, in order. */
import { isIP } from 'node:net';
import type { AudioCodecSpec, CallAudioSession } from '../engine/types.js';
import { codecSdp } from './codecs.js';
import type { LocalMediaAddress, NegotiatedOffer, SdpOrigin } from './types.js';

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

export interface BuildAnswerArgs {
  negotiated: NegotiatedOffer;
  local: LocalMediaAddress;
  origin: SdpOrigin;
}

export function buildAnswer({ negotiated, local, origin }: BuildAnswerArgs): string {
  const lines = sessionLines(origin, local.ip);
  for (const m of negotiated.answer.media) {
    switch (m.kind) {
      case 'audio':
        lines.push(...audioAnswerLines(m.protocol, negotiated.session, negotiated.answer, local));
        break;
      case 'rejected':
        lines.push(`m=${m.type} 0 ${m.protocol} ${m.formats}`);
        break;
    }
  }
  return lines.join('\r\n') + '\r\n';
}
