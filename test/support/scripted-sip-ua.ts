import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import sdpTransform from 'sdp-transform';

/**
 * A minimal room-system UA over UDP for e2e tests that need SDP baresip will not write: INVITE
 * (audio PCMU + optionally one H.264 main video line at a chosen payload type), ACK, re-INVITE,
 * BYE; G.711 silence on its audio line (so the call is not ended for lack of media); it answers
 * the gateway's in-dialog requests with 200 (a re-INVITE's offer with audio and its H.264, if any)
 * and records the RTP payload types on its video socket.
 */
export interface ScriptedUa {
  answer: sdpTransform.SessionDescription;
  /** Our video socket's port (what our SDP offered). */
  videoPort: number;
  /** RTP packets received on the video socket, by payload type. */
  videoReceived: Map<number, number>;
  /** In-dialog requests the gateway sent us (first lines). */
  requests: string[];
  /** SDP offers in the gateway's re-INVITEs (answered with audio, and H.264 video when offered). */
  offersReceived: sdpTransform.SessionDescription[];
  reinvite(video: { payloadType: number } | null): Promise<{ status: number; answer: sdpTransform.SessionDescription | null }>;
  hangup(): Promise<void>;
  close(): void;
}

/**
 * How a scripted UA over UDP writes its requests in one dialog: its own Call-ID, From tag and
 * Contact, to `user` at the node's SIP port; a body is SDP unless another content type is given.
 */
export function scriptedDialogRequests(opts: { user: string; port: number; name: string; displayName: string; sipPort: number }): {
  me: string;
  request(method: string, cseq: number, toTag: string | null, body?: string, contentType?: string): string;
} {
  const callId = randomBytes(8).toString('hex');
  const tag = randomBytes(4).toString('hex');
  const me = `sip:${opts.name}@127.0.0.1:${opts.sipPort}`;
  const request = (method: string, cseq: number, toTag: string | null, body = '', contentType = 'application/sdp') =>
    [`${method} sip:${opts.user}@127.0.0.1:${opts.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${opts.sipPort};branch=z9hG4bK${randomBytes(6).toString('hex')};rport`,
      'Max-Forwards: 70', `From: "${opts.displayName}" <${me}>;tag=${tag}`, `To: <sip:${opts.user}@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
      `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, `Contact: <${me}>`, ...(body ? [`Content-Type: ${contentType}`] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n');
  return { me, request };
}

/**
 * G.711 (PCMU) silence every 20 ms from `socket` to our answer's audio port on loopback, so the
 * gateway does not end the call for lack of media. Stop it with clearInterval.
 */
export function sendG711Silence(socket: dgram.Socket, port: number): NodeJS.Timeout {
  let seq = 0;
  const pcmu = Buffer.alloc(172, 0xff);
  pcmu[0] = 0x80;
  pcmu[1] = 0; // PCMU, no marker
  return setInterval(() => {
    pcmu.writeUInt16BE(seq++ & 0xffff, 2);
    pcmu.writeUInt32BE((seq * 160) >>> 0, 4);
    pcmu.writeUInt32BE(0x1234abcd, 8);
    socket.send(pcmu, port, '127.0.0.1', () => undefined);
  }, 20);
}

export async function startScriptedUa(opts: { user: string; port: number; name: string; video: { payloadType: number } | null }): Promise<ScriptedUa> {
  const bind = async () => {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    return s;
  };
  // SIP listens on UDP and TCP on one port. The OS picks a free UDP port; its TCP twin can be taken
  // (another test's listener, an outbound connection's ephemeral port), so try another, bounded.
  const bindSip = async (): Promise<{ sip: dgram.Socket; tcp: net.Server }> => {
    for (let attempt = 1; ; attempt++) {
      const udp = await bind();
      const server = net.createServer((conn) => onTcpConnection(conn));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(udp.address().port, '127.0.0.1', () => resolve());
        });
        return { sip: udp, tcp: server };
      } catch (err) {
        udp.close();
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
      }
    }
  };
  const [{ sip, tcp }, audio, video] = await Promise.all([bindSip(), bind(), bind()]);
  const videoReceived = new Map<number, number>();
  video.on('message', (msg) => {
    // RTP only (RTCP's second byte is 200–207 with the marker bit read as set).
    if (msg.length < 12 || msg[0]! >> 6 !== 2 || (msg[1]! >= 200 && msg[1]! <= 207)) return;
    const pt = msg[1]! & 0x7f;
    videoReceived.set(pt, (videoReceived.get(pt) ?? 0) + 1);
  });
  const { me, request } = scriptedDialogRequests({ user: opts.user, port: opts.port, name: opts.name, displayName: opts.name, sipPort: sip.address().port });
  const makeOffer = (version: number, v: { payloadType: number } | null) =>
    ['v=0', `o=- 1 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${audio.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv',
      ...(v ? [`m=video ${video.address().port} RTP/AVP ${v.payloadType}`, `a=rtpmap:${v.payloadType} H264/90000`,
        `a=fmtp:${v.payloadType} profile-level-id=42e01f;packetization-mode=1`, `a=rtcp-fb:${v.payloadType} nack pli`, 'a=rtcp-mux', 'a=sendrecv'] : []),
      ''].join('\r\n');
  const send = (text: string) => sip.send(text, opts.port, '127.0.0.1');
  const finals = new Map<number, (text: string) => void>();
  const requests: string[] = [];
  const offersReceived: sdpTransform.SessionDescription[] = [];
  let version = 100;
  const onSip = (text: string, reply: (text: string) => void) => {
    const cseq = /^CSeq: (\d+) INVITE/im.exec(text);
    if (/^SIP\/2\.0 [2-6]\d\d/.test(text) && cseq) finals.get(Number(cseq[1]))?.(text);
    else if (/^[A-Z]+ sip:/.test(text)) {
      requests.push(text.split('\r\n')[0]!);
      if (text.startsWith('ACK ')) return;
      const hdr = (n: string) => text.split('\r\n').filter((l) => l.toLowerCase().startsWith(`${n}:`));
      // The gateway's re-INVITE offering video: take its H.264 (in its number, as RFC 3264 §6.1 wants).
      const offered = text.startsWith('INVITE ') ? sdpTransform.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) : null;
      const h264 = offered?.media.find((m) => m.type === 'video' && m.port > 0)?.rtp.find((r) => /^h264$/i.test(r.codec))?.payload;
      const body = offered ? makeOffer(++version, h264 === undefined ? null : { payloadType: h264 }) : '';
      if (offered) offersReceived.push(offered);
      reply(['SIP/2.0 200 OK', ...hdr('via'), ...hdr('from'), ...hdr('to'), ...hdr('call-id'), ...hdr('cseq'), `Contact: <${me}>`,
        ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'));
    }
  };
  sip.on('message', (msg) => onSip(msg.toString('utf8'), send));
  // Requests over ~1300 bytes (an offer with video) come over TCP to the same port (RFC 3261 §18.1.1).
  const onTcpConnection = (conn: net.Socket): void => {
    let buf = '';
    conn.on('error', () => undefined);
    conn.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const length = Number(/^Content-Length:\s*(\d+)/im.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        onSip(buf.slice(0, end + 4 + length), (text) => conn.write(text));
        buf = buf.slice(end + 4 + length);
      }
    });
  };
  const invite = async (cseq: number, toTag: string | null, v: { payloadType: number } | null) => {
    const got = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no final response to INVITE ${cseq}`)), 20_000);
      finals.set(cseq, (text) => {
        clearTimeout(t);
        resolve(text);
      });
    });
    send(request('INVITE', cseq, toTag, makeOffer(cseq, v)));
    return got;
  };
  const first = await invite(1, null, opts.video);
  if (!/^SIP\/2\.0 200/.test(first)) throw new Error(first.split('\r\n')[0]);
  const toTag = /^To:.*;tag=([^;\s]+)/im.exec(first)![1]!;
  send(request('ACK', 1, toTag));
  const body = (text: string) => sdpTransform.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  const answer = body(first);
  const ourAudio = answer.media[0]!.port;
  const audioTimer = sendG711Silence(audio, ourAudio);
  let cseq = 1;
  const close = () => {
    clearInterval(audioTimer);
    for (const s of [sip, audio, video]) s.close();
    tcp.close();
  };
  return {
    answer,
    videoPort: video.address().port,
    videoReceived,
    requests,
    offersReceived,
    async reinvite(v) {
      const n = ++cseq;
      const text = await invite(n, toTag, v);
      const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)![1]);
      send(request('ACK', n, toTag));
      return { status, answer: status === 200 ? body(text) : null };
    },
    async hangup() {
      clearInterval(audioTimer);
      send(request('BYE', ++cseq, toTag));
      await new Promise((r) => setTimeout(r, 300));
    },
    close,
  };
}
