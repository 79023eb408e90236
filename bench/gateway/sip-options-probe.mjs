// The SIP signalling probe: a SIP OPTIONS over UDP to the node (its SIP stack answers it), matched
// to its response by Via branch; resolves to the round-trip time in ms.
import crypto from 'node:crypto';
import dgram from 'node:dgram';

export async function openSipOptionsProbe({ host = '127.0.0.1', port, timeoutMs = 2000 }) {
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => (socket.off('error', reject), resolve()));
  });
  const localPort = socket.address().port;
  const pending = new Map();
  socket.on('message', (msg) => {
    // Only the status line and the Via branch matter; anything else is ignored.
    const text = msg.toString('latin1');
    if (!text.startsWith('SIP/2.0 ')) return;
    const status = Number(text.slice(8, 11));
    if (status < 200) return;
    const branch = /;branch=([^;\r\n,]+)/i.exec(text)?.[1];
    const p = branch && pending.get(branch);
    if (p) {
      pending.delete(branch);
      p(status);
    }
  });
  socket.on('error', () => {});
  let cseq = 0;
  return {
    async rtt() {
      const branch = `z9hG4bK-bench-${crypto.randomBytes(6).toString('hex')}`;
      const callId = `${crypto.randomBytes(8).toString('hex')}@127.0.0.1`;
      const request = [
        `OPTIONS sip:${host}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=${branch};rport`,
        'Max-Forwards: 70',
        `From: <sip:bench-probe@127.0.0.1>;tag=${crypto.randomBytes(4).toString('hex')}`,
        `To: <sip:${host}:${port}>`,
        `Call-ID: ${callId}`,
        `CSeq: ${++cseq} OPTIONS`,
        'Accept: application/sdp',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      const t0 = performance.now();
      const status = await new Promise((resolve, reject) => {
        const timer = setTimeout(() => (pending.delete(branch), reject(new Error('OPTIONS timed out'))), timeoutMs);
        pending.set(branch, (s) => (clearTimeout(timer), resolve(s)));
        socket.send(request, port, host);
      });
      if (status >= 300) throw new Error(`OPTIONS → ${status}`);
      return performance.now() - t0;
    },
    close: () => new Promise((r) => socket.close(() => r())),
  };
}

/** The HTTP probe: GET /healthz on the node. */
export async function healthRtt(httpUrl) {
  const t0 = performance.now();
  const res = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`/healthz → ${res.status}`);
  return performance.now() - t0;
}
