/**
 * Test support: sipp scenarios for calls into Convene, written per test (the steps differ) and run
 * with the real sipp. Each scenario is one UAC call: INVITE (with an offer, or none for a late
 * offer), then the steps after the answer, then (unless the gateway ends the call) BYE.
 */
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startSipp, type SippRun } from '../../sip-gateway/test/support/sipp.js';

export const SIPP_PCAP_DIR = '/usr/share/sip-tester';

export type CallStep =
  | { pauseMs: number }
  /** Replays a pcap's RTP from sipp's media port to the answer's address (sipp's `play_pcap_audio`). */
  | { playPcap: string }
  /** SIP INFO with a DTMF body (application/dtmf-relay). */
  | { infoDigit: string }
  /** A re-INVITE with this SDP direction (hold: sendonly; resume: sendrecv). */
  | { reinvite: 'sendonly' | 'sendrecv' | 'inactive' };

export interface CallScenario {
  /** The Request-URI's user part ([service]); the host is the gateway's address. */
  to: string;
  fromUser?: string;
  fromDisplayName?: string;
  /** SDP offer codecs: payload types with rtpmap lines; `null` = no offer (late offer). */
  offer: { payloadTypes: number[]; rtpmaps: string[]; connection?: string } | null;
  steps: CallStep[];
  /** After the steps: 'bye' = we hang up; 'expect-bye' = the gateway must hang up on us. */
  end: 'bye' | 'expect-bye';
  /** Final status expected instead of 200 (the call is refused): the scenario ACKs it and ends. */
  refusedWith?: number;
  /** Hang up while the refusal prompt plays as early media: CANCEL after the 183, expect 200 and 487. */
  cancelAfter183?: boolean;
}

const CRLF = '\r\n';

function sdp(offer: NonNullable<CallScenario['offer']>, direction = 'sendrecv'): string {
  return [
    'v=0',
    'o=sipp 53655765 [cseq] IN IP[local_ip_type] [local_ip]',
    's=-',
    `c=${offer.connection ?? 'IN IP[media_ip_type] [media_ip]'}`,
    't=0 0',
    `m=audio [media_port] RTP/AVP ${offer.payloadTypes.join(' ')}`,
    ...offer.rtpmaps.map((r) => `a=rtpmap:${r}`),
    ...(offer.payloadTypes.includes(101) ? ['a=fmtp:101 0-15'] : []),
    'a=ptime:20',
    `a=${direction}`,
  ].join(CRLF);
}

const headers = (method: string, cseq: number | string) => `Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[$fromname]" <sip:[$fromuser]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:[$fromuser]@[local_ip]:[local_port]>
      Max-Forwards: 70`;

export function callScenarioXml(s: CallScenario): string {
  const from = s.fromUser ?? 'sipp';
  const name = s.fromDisplayName ?? 'sipp caller';
  let cseq = 1;
  const body: string[] = [];
  const invite = s.offer
    ? `INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      ${headers('INVITE', cseq)}
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Content-Type: application/sdp
      Content-Length: [len]

${sdp(s.offer)}
`
    : `INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      ${headers('INVITE', cseq)}
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Content-Length: 0

`;
  body.push(`<send retrans="500"><![CDATA[
      ${invite}]]></send>`);
  body.push(`<recv response="100" optional="true"/>`);
  if (s.cancelAfter183) {
    body.push(`<recv response="183"/>`);
    body.push(`<pause milliseconds="500"/>`);
    body.push(`<send><![CDATA[
      CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: "[$fromname]" <sip:[$fromuser]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0

]]></send>`);
    body.push(`<recv response="200"/>`);
    body.push(`<recv response="487"/>`);
    body.push(`<send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: "[$fromname]" <sip:[$fromuser]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

]]></send>`);
    return wrap(body, from, name);
  }
  body.push(`<recv response="183" optional="true"/>`);
  if (s.refusedWith) {
    body.push(`<recv response="${s.refusedWith}"/>`);
    body.push(`<send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      ${headers('ACK', cseq)}
      [last_To:]
      Content-Length: 0

]]></send>`);
    return wrap(body, from, name);
  }
  body.push(`<recv response="200" rrs="true"/>`);
  const ack = s.offer
    ? `ACK [next_url] SIP/2.0
      ${headers('ACK', cseq)}
      [last_To:]
      Content-Length: 0

`
    : `ACK [next_url] SIP/2.0
      ${headers('ACK', cseq)}
      [last_To:]
      Content-Type: application/sdp
      Content-Length: [len]

${sdp({ payloadTypes: [0, 101], rtpmaps: ['0 PCMU/8000', '101 telephone-event/8000'] })}
`;
  body.push(`<send><![CDATA[
      ${ack}]]></send>`);
  for (const step of s.steps) {
    if ('pauseMs' in step) body.push(`<pause milliseconds="${step.pauseMs}"/>`);
    else if ('playPcap' in step) body.push(`<nop><action><exec play_pcap_audio="${step.playPcap}"/></action></nop>`);
    else if ('infoDigit' in step) {
      cseq++;
      body.push(`<send retrans="500"><![CDATA[
      INFO [next_url] SIP/2.0
      ${headers('INFO', cseq)}
      [last_To:]
      Content-Type: application/dtmf-relay
      Content-Length: [len]

Signal=${step.infoDigit}
Duration=160
]]></send>`);
      body.push(`<recv response="200"/>`);
    } else if ('reinvite' in step) {
      cseq++;
      body.push(`<send retrans="500"><![CDATA[
      INVITE [next_url] SIP/2.0
      ${headers('INVITE', cseq)}
      [last_To:]
      Content-Type: application/sdp
      Content-Length: [len]

${sdp(s.offer ?? { payloadTypes: [0, 101], rtpmaps: ['0 PCMU/8000', '101 telephone-event/8000'] }, step.reinvite)}
]]></send>`);
      body.push(`<recv response="100" optional="true"/>`);
      body.push(`<recv response="200"/>`);
      body.push(`<send><![CDATA[
      ACK [next_url] SIP/2.0
      ${headers('ACK', cseq)}
      [last_To:]
      Content-Length: 0

]]></send>`);
    }
  }
  if (s.end === 'bye') {
    cseq++;
    body.push(`<send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      ${headers('BYE', cseq)}
      [last_To:]
      Content-Length: 0

]]></send>`);
    body.push(`<recv response="200"/>`);
  } else {
    body.push(`<recv request="BYE"/>`);
    body.push(`<send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

]]></send>`);
  }
  return wrap(body, from, name);
}

function wrap(body: string[], from: string, name: string): string {
  // The From user and display name are sipp variables so the headers template stays one string.
  const init = `<nop><action><assignstr assign_to="fromuser" value="${from}"/><assignstr assign_to="fromname" value="${name}"/></action></nop>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="convene-call">
${[init, ...body].join('\n')}
</scenario>
`;
}

/** Runs one call scenario against the gateway at 127.0.0.1:`sipPort` (UDP); resolves when sipp exits. */
export async function runCall(dir: string, sipPort: number, s: CallScenario, timeoutSeconds = 60): Promise<SippRun> {
  const file = path.join(dir, `call-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.xml`);
  fs.writeFileSync(file, callScenarioXml(s));
  const mediaPort = await freePort();
  return startSipp({
    scenario: { file },
    remote: `127.0.0.1:${sipPort}`,
    localPort: await freePort(),
    calls: 1,
    timeoutSeconds,
    extra: ['-s', s.to, '-mi', '127.0.0.1', '-mp', String(mediaPort)],
  }).done;
}
