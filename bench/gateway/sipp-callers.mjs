// N sipp callers (UAC) into one meeting: each INVITEs the meeting with G.711 A-law (and
// telephone-event) SDP, plays a 20 ms A-law pcap (sipp's g711a.pcap re-cut and looped for the
// call's length, written by rtp-load) and hangs up.
//
// Where the mix goes: each call's SDP advertises [auto_media_port+1] = mediaBase + 1 + 4·(call-1),
// and sipp sends that call's pcap RTP FROM the same port, so the gateway's answer traffic reaches
// that port whether it follows the SDP or latches onto the RTP source (symmetric RTP). sipp itself
// binds only mediaBase and mediaBase+2 (its echo sockets, unused here), so the bench's receiver
// (rtp-load with -base-port mediaBase+1 -port-step 4) owns every call's port and counts the mix.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const SIPP_PORT_STEP = 4;

/** The UAC scenario: INVITE → (1xx) → 200 → ACK, play the pcap, stay `callMs`, BYE → 200. */
export function uacScenario({ service, pcapFile, callMs }) {
  const headers = (method, cseq) => `${method} sip:${service}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:bench[call_number]@[local_ip]:[local_port]>;tag=[pid]B[call_number]
To: <sip:${service}@[remote_ip]:[remote_port]>${method === 'INVITE' ? '' : '[peer_tag_param]'}
Call-ID: [call_id]
CSeq: ${cseq} ${method}
Contact: <sip:bench[call_number]@[local_ip]:[local_port]>
Max-Forwards: 70
User-Agent: convene-gateway-bench`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="convene gateway bench caller">
  <send retrans="500"><![CDATA[
${headers('INVITE', 1)}
Content-Type: application/sdp
Content-Length: [len]

v=0
o=bench [call_number] 1 IN IP4 [media_ip]
s=bench
c=IN IP4 [media_ip]
t=0 0
m=audio [auto_media_port+1] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
${headers('ACK', 1)}
Content-Length: 0

]]></send>
  <nop><action><exec play_pcap_audio="${pcapFile}"/></action></nop>
  <pause milliseconds="${Math.round(callMs)}"/>
  <send retrans="500"><![CDATA[
${headers('BYE', 2)}
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
`;
}

/**
 * Starts sipp placing `calls` calls at `rate` per second to sip:`service`@127.0.0.1:`sipPort`.
 * Resolves to the process; `done` resolves to sipp's exit code (0: every call succeeded).
 */
export function startSippCallers({ dir, track, service, sipPort, localSipPort, mediaBase, calls, rate, callMs, pcapFile }) {
  fs.mkdirSync(dir, { recursive: true });
  const scenario = path.join(dir, 'uac.xml');
  fs.writeFileSync(scenario, uacScenario({ service, pcapFile, callMs }));
  const args = [
    `127.0.0.1:${sipPort}`,
    '-sf', scenario,
    '-i', '127.0.0.1',
    '-p', String(localSipPort),
    '-mi', '127.0.0.1',
    '-mp', String(mediaBase),
    '-m', String(calls),
    '-l', String(calls),
    '-r', String(rate),
    '-nostdin',
    '-trace_err', '-error_file', path.join(dir, 'sipp-errors.log'),
    '-trace_stat', '-stf', path.join(dir, 'sipp-stats.csv'),
    // A call that is not answered within 10 s is a failure, not a hang.
    '-recv_timeout', '10000',
    // The whole run is bounded too.
    '-timeout', `${Math.ceil(callMs / 1000 + calls / rate + 30)}s`, '-timeout_error',
  ];
  const logFd = fs.openSync(path.join(dir, 'sipp.log'), 'w');
  const proc = track(spawn('sipp', args, { cwd: dir, stdio: ['ignore', logFd, logFd] }));
  fs.closeSync(logFd);
  const done = new Promise((r) => proc.once('exit', (code) => r(code)));
  return { proc, pid: proc.pid, done, logFile: path.join(dir, 'sipp.log'), errorFile: path.join(dir, 'sipp-errors.log') };
}

/** Successful/failed call counts from sipp's final statistics screen (null when not found). */
export function sippCallCounts(logFile) {
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'latin1');
  } catch {
    return null;
  }
  const cum = (label) => {
    const m = [...text.matchAll(new RegExp(`${label}\\s*\\|\\s*(\\d+)\\s*\\|\\s*(\\d+)`, 'g'))].at(-1);
    return m ? Number(m[2]) : null;
  };
  return { successful: cum('Successful call'), failed: cum('Failed call') };
}
