/**
 * Finding 4 and 5 of issue 12 against a real node (the `convene` process): a flood of WebSockets
 * from one address, a page on a foreign origin, and SIP over TCP from one address opening 500
 * connections and trickling bytes. Small caps and a 2 s message deadline are configured so the
 * test runs quickly; the defaults are in config/default.yaml.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, spawnConvene, type ConveneProcess } from './support/convene-process.js';

const WS_CAP = 50;
const SIP_CAP = 20;
const SIP_DEADLINE_MS = 2_000;

const config = `
log: { level: info, pretty: false }
http: { host: 127.0.0.1, port: 0 }
store:
  embedded: { dataDir: $DIR/redis }
sfu:
  workers: 1
  webRtcServer: { listenIp: 127.0.0.1, basePort: 0 }
signaling:
  maxConnectionsPerAddress: ${WS_CAP}
  allowedOrigins: [https://meet.partner.example]
sip:
  transports: [{ protocol: udp, host: 127.0.0.1, port: 0 }, { protocol: tcp, host: 127.0.0.1, port: 0 }]
  maxConnectionsPerAddress: ${SIP_CAP}
  messageTimeoutMs: ${SIP_DEADLINE_MS}
shutdown: { graceMs: 3000 }
`;

type Outcome = { ws: WebSocket; open: true } | { open: false; status: number; body: string };

/** Opens a WebSocket; resolves with it once open, or with the HTTP status and body of a refused upgrade. */
function openSocket(url: string, opts: { origin?: string; localAddress?: string } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...(opts.origin ? { origin: opts.origin } : {}), ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    ws.once('open', () => resolve({ ws, open: true }));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        req.destroy();
        resolve({ open: false, status: res.statusCode ?? 0, body });
      });
    });
    ws.once('error', reject);
  });
}

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}metrics`)).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('connection hygiene on a real node', () => {
  let node: ConveneProcess;
  let url: string;
  let wsUrl: string;
  let sipTcpPort: number;

  beforeAll(async () => {
    node = spawnConvene(config);
    url = await node.ready;
    wsUrl = `${url.replace('http', 'ws')}ws`;
    const listening = await node.waitForLog((r) => r.msg === 'SIP stack listening');
    const tcp = (listening.transports as string[]).find((t) => t.startsWith('tcp:'))!;
    sipTcpPort = Number(tcp.split(':').at(-1));
  });
  afterAll(async () => {
    if (node.proc.exitCode === null) {
      node.kill('SIGTERM');
      await node.exited;
    }
    fs.rmSync(node.dir, { recursive: true, force: true });
  });

  it('keeps only the per-address cap of 2,000 simultaneous WebSockets from one address open', async () => {
    const outcomes = await Promise.all(Array.from({ length: 2000 }, () => openSocket(wsUrl)));
    const open = outcomes.filter((o): o is Extract<Outcome, { open: true }> => o.open);
    const refused = outcomes.filter((o): o is Extract<Outcome, { open: false }> => !o.open);
    expect(open).toHaveLength(WS_CAP);
    expect(refused).toHaveLength(2000 - WS_CAP);
    expect(new Set(refused.map((r) => r.status))).toEqual(new Set([429]));
    expect(JSON.parse(refused[0]!.body)).toMatchObject({ error: { code: 'too_many_connections', details: { retryAfterSeconds: 10 } } });
    expect(await metric(url, /^convene_signaling_connections_refused_total\{reason="too_many_connections"\} (\d+)/m)).toBe(2000 - WS_CAP);

    // The open ones work, and another address is not affected by this one's cap.
    open[0]!.ws.send(JSON.stringify({ id: 1, method: 'hello', data: { protocolVersion: 1 } }));
    const hello = await new Promise<{ ok: boolean }>((resolve) => open[0]!.ws.once('message', (m) => resolve(JSON.parse(m.toString()))));
    expect(hello.ok).toBe(true);
    const other = await openSocket(wsUrl, { localAddress: '127.0.0.2' });
    expect(other.open).toBe(true);
    if (other.open) other.ws.close();

    // Closing sockets frees their slots.
    for (const o of open) o.ws.close();
    await eventually(async () => (await openSocket(wsUrl).then((o) => (o.open ? (o.ws.close(), true) : false))), 10_000, 200);
  });

  it('refuses a page on https://evil.example and accepts the node’s own origin, configured ones and non-browser clients', async () => {
    const evil = await openSocket(wsUrl, { origin: 'https://evil.example' });
    expect(evil).toMatchObject({ open: false, status: 403 });
    if (!evil.open) expect(JSON.parse(evil.body)).toMatchObject({ error: { code: 'origin_not_allowed' } });
    // A look-alike of our own host on another port is another origin.
    const otherPort = await openSocket(wsUrl, { origin: `http://127.0.0.1:${Number(new URL(url).port) + 1}` });
    expect(otherPort.open).toBe(false);

    for (const origin of [new URL(url).origin, 'https://meet.partner.example', undefined]) {
      const ok = await openSocket(wsUrl, origin ? { origin } : {});
      expect(ok.open, `origin ${origin ?? '(none)'}`).toBe(true);
      if (ok.open) ok.ws.close();
    }
    expect(await metric(url, /^convene_signaling_connections_refused_total\{reason="origin_not_allowed"\} (\d+)/m)).toBe(2);
  });

  it('SIP over TCP: 500 connections from one address → the over-cap ones are closed at once, the trickling ones at the message deadline', async () => {
    interface Conn {
      socket: net.Socket;
      closed: boolean;
      sent: number;
    }
    const connect = (localAddress: string) =>
      new Promise<Conn>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: sipTcpPort, localAddress });
        const c: Conn = { socket, closed: false, sent: 0 };
        socket.on('close', () => (c.closed = true));
        socket.on('error', () => undefined);
        socket.once('connect', () => resolve(c));
        socket.once('error', (err) => (c.closed ? resolve(c) : reject(err)));
      });
    const conns = await Promise.all(Array.from({ length: 500 }, () => connect('127.0.0.1')));
    // An idle connection from another address (a registered phone between keep-alives).
    const idle = await connect('127.0.0.3');
    // Nothing has been sent yet: only the cap can have closed connections.
    await eventually(() => conns.filter((c) => c.closed).length === 500 - SIP_CAP, 20_000);
    const open = conns.filter((c) => !c.closed);
    expect(open).toHaveLength(SIP_CAP);

    // The admitted ones trickle an INVITE head, one byte every 200 ms (it would take a minute).
    const head = Buffer.from(
      'INVITE sip:room@convene.example SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5099;branch=z9hG4bKslow\r\nMax-Forwards: 70\r\n' +
        'To: <sip:room@convene.example>\r\nFrom: <sip:slow@example.org>;tag=1\r\nCall-ID: slow-sender\r\nCSeq: 1 INVITE\r\n' +
        'Contact: <sip:slow@127.0.0.1:5099;transport=tcp>\r\nContent-Length: 0\r\n\r\n',
    );
    const trickle = setInterval(() => {
      for (const c of open) {
        if (!c.closed && c.sent < head.length) c.socket.write(head.subarray(c.sent, ++c.sent));
      }
    }, 200);
    try {
      await eventually(() => open.every((c) => c.closed), 30_000);
    } finally {
      clearInterval(trickle);
    }
    // Closed mid-head, long before the head could have completed.
    expect(Math.max(...open.map((c) => c.sent))).toBeLessThan(head.length / 2);
    // The idle connection from the other address outlived the deadline: idleness is not trickling.
    expect(idle.closed).toBe(false);

    // A well-behaved client from another address gets answers on the same listener.
    const good = await connect('127.0.0.2');
    const options = Buffer.from(
      'OPTIONS sip:convene.example SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.2:5098;branch=z9hG4bKgood\r\nMax-Forwards: 70\r\n' +
        'To: <sip:convene.example>\r\nFrom: <sip:good@example.org>;tag=2\r\nCall-ID: good-sender\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    );
    const answer = new Promise<string>((resolve) => good.socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
    good.socket.write(options);
    expect(await answer).toMatch(/^SIP\/2\.0 200 /);
    good.socket.destroy();
    idle.socket.destroy();

    expect(await metric(url, /^sip_connections_dropped_total\{reason="per_address_cap",transport="tcp"\} (\d+)/m)).toBe(500 - SIP_CAP);
    expect(await metric(url, /^sip_connections_dropped_total\{reason="message_timeout",transport="tcp"\} (\d+)/m)).toBe(SIP_CAP);
    expect(node.proc.exitCode).toBe(null);
  });
});
