/**
 * The transport layer on real loopback sockets (IPv4 and IPv6): Via received/rport stamping,
 * response routing per RFC 3261 §18.2.2 / RFC 3581, connection reuse and idle close, RFC 5626
 * CRLF keep-alive, and the UDP→TCP switch for large requests.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createResponse, parseMessage, SipRequest, type SipMessage } from '../message/index.js';
import { TransportLayer, type Flow, type TransportLayerOptions } from './index.js';

const layers: TransportLayer[] = [];
const closers: (() => void)[] = [];
afterEach(async () => {
  closers.splice(0).forEach((c) => c());
  await Promise.all(layers.splice(0).map((l) => l.stop()));
});

async function startLayer(opts: Partial<TransportLayerOptions> = {}) {
  const layer = new TransportLayer(
    {
      listen: [
        { protocol: 'udp', host: '127.0.0.1', port: 0 },
        { protocol: 'udp', host: '::1', port: 0 },
        { protocol: 'tcp', host: '127.0.0.1', port: 0 },
        { protocol: 'tcp', host: '::1', port: 0 },
      ],
      ...opts,
    },
    pino({ level: 'silent' }),
  );
  const inbox: { msg: SipMessage; flow: Flow }[] = [];
  layer.setUser({ onMessage: (msg, flow) => void inbox.push({ msg, flow }) });
  await layer.start();
  layers.push(layer);
  const portOf = (protocol: 'udp' | 'tcp', family: 4 | 6) =>
    layer.transports.find((t) => t.protocol === protocol && t.family === family)?.local.port ?? 0;
  return { layer, inbox, portOf };
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function optionsFrom(viaHostPort: string, transport = 'UDP', extraVia = ';rport', branch = 'z9hG4bKtp1'): Buffer {
  return Buffer.from(
    `OPTIONS sip:room@convene.test SIP/2.0\r\nVia: SIP/2.0/${transport} ${viaHostPort};branch=${branch}${extraVia}\r\nMax-Forwards: 70\r\n` +
      `To: <sip:room@convene.test>\r\nFrom: <sip:a@example.org>;tag=1\r\nCall-ID: tp-${branch}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
}

async function udpPeer(family: 4 | 6) {
  const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, family === 6 ? '::1' : '127.0.0.1', () => r()));
  closers.push(() => sock.close());
  return { sock, got, port: sock.address().port };
}

describe('UDP over IPv4 and IPv6', () => {
  it.each([4, 6] as const)('stamps received/rport on IPv%s requests and answers to the source port', async (family) => {
    const { layer, inbox, portOf } = await startLayer();
    const peer = await udpPeer(family);
    const loop = family === 6 ? '::1' : '127.0.0.1';
    // Via claims another host and port (a NAT'd client); rport asks for the source port.
    peer.sock.send(optionsFrom('192.0.2.50:5999'), portOf('udp', family), loop);
    await until(() => inbox.length === 1);
    const req = inbox[0]?.msg as SipRequest;
    expect(req.topVia.params.get('received')).toBe(loop);
    expect(req.topVia.params.get('rport')).toBe(String(peer.port));
    await layer.sendResponse(createResponse(req, 200, undefined, 'x'), inbox[0]!.flow);
    await until(() => peer.got.length === 1);
    const res = parseMessage(peer.got[0]!);
    expect(res.ok && res.message.kind === 'response' && res.message.status).toBe(200);
  });

  it('without rport, sends the response to received + the Via port (RFC 3261 §18.2.2)', async () => {
    const { layer, inbox, portOf } = await startLayer();
    const sender = await udpPeer(4);
    const listener = await udpPeer(4);
    sender.sock.send(optionsFrom(`192.0.2.50:${listener.port}`, 'UDP', ''), portOf('udp', 4), '127.0.0.1');
    await until(() => inbox.length === 1);
    const req = inbox[0]?.msg as SipRequest;
    expect(req.topVia.params.get('received')).toBe('127.0.0.1');
    expect(req.topVia.params.has('rport')).toBe(false);
    await layer.sendResponse(createResponse(req, 200, undefined, 'x'), inbox[0]!.flow);
    await until(() => listener.got.length === 1);
    expect(sender.got).toHaveLength(0);
  });

  it('answers a CRLF keep-alive datagram with nothing and keeps working', async () => {
    const { inbox, portOf } = await startLayer();
    const peer = await udpPeer(4);
    peer.sock.send(Buffer.from('\r\n\r\n'), portOf('udp', 4), '127.0.0.1');
    peer.sock.send(optionsFrom('127.0.0.1:1'), portOf('udp', 4), '127.0.0.1');
    await until(() => inbox.length === 1);
    expect(peer.got).toHaveLength(0);
  });
});

describe('TCP', () => {
  it.each([4, 6] as const)('answers on the connection the IPv%s request came in on', async (family) => {
    const { layer, inbox, portOf } = await startLayer();
    const sock = net.connect(portOf('tcp', family), family === 6 ? '::1' : '127.0.0.1');
    closers.push(() => sock.destroy());
    let got = '';
    sock.on('data', (d) => (got += d.toString()));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(optionsFrom('client.invalid:5060', 'TCP', ''));
    await until(() => inbox.length === 1);
    expect(inbox[0]?.flow.connectionId).toBeDefined();
    await layer.sendResponse(createResponse(inbox[0]!.msg as SipRequest, 200, undefined, 'x'), inbox[0]!.flow);
    await until(() => got.includes('\r\n\r\n'));
    expect(got.startsWith('SIP/2.0 200 OK')).toBe(true);
  });

  it('opens a new connection to received + Via port when the original one is gone', async () => {
    const { layer, inbox, portOf } = await startLayer();
    const accepted: string[] = [];
    const server = net.createServer((s) => s.on('data', (d) => accepted.push(d.toString())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => server.close());
    const serverPort = (server.address() as net.AddressInfo).port;
    const sock = net.connect(portOf('tcp', 4), '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(optionsFrom(`192.0.2.77:${serverPort}`, 'TCP', ''));
    await until(() => inbox.length === 1);
    sock.destroy();
    await until(() => layer.connectionCount === 0);
    await layer.sendResponse(createResponse(inbox[0]!.msg as SipRequest, 200, undefined, 'x'), inbox[0]!.flow);
    await until(() => accepted.join('').includes('\r\n\r\n'));
    expect(accepted.join('').startsWith('SIP/2.0 200 OK')).toBe(true);
  });

  it('reuses one outgoing connection per destination and closes it when idle', async () => {
    const { layer } = await startLayer({ idleTimeoutMs: 300 });
    let connections = 0;
    const received: string[] = [];
    const server = net.createServer((s) => {
      connections++;
      s.on('data', (d) => received.push(d.toString()));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => server.close());
    const target = { protocol: 'tcp' as const, address: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
    for (const branch of ['z9hG4bKr1', 'z9hG4bKr2', 'z9hG4bKr3']) {
      const r = parseMessage(optionsFrom('0.0.0.0', 'UDP', '', branch));
      if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
      await layer.send(r.message, layer.prepareRequest(r.message, target));
    }
    await until(() => received.join('').split('OPTIONS sip:').length - 1 === 3);
    expect(connections).toBe(1);
    expect(layer.connectionCount).toBe(1);
    await until(() => layer.connectionCount === 0); // idle timeout
  });

  it('answers a CRLF CRLF ping with a CRLF pong (RFC 5626)', async () => {
    const { portOf } = await startLayer();
    const sock = net.connect(portOf('tcp', 4), '127.0.0.1');
    closers.push(() => sock.destroy());
    const chunks: Buffer[] = [];
    sock.on('data', (d) => chunks.push(d));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('\r\n');
    sock.write('\r\n');
    await until(() => Buffer.concat(chunks).toString() === '\r\n');
  });
});

describe('request transport selection', () => {
  it('sends requests larger than the UDP limit over TCP and says so in the Via', async () => {
    const { layer } = await startLayer({ udpMaxRequestBytes: 500 });
    let got = '';
    const server = net.createServer((s) => s.on('data', (d) => (got += d.toString())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => server.close());
    const r = parseMessage(optionsFrom('0.0.0.0'));
    if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
    r.message.body = Buffer.from('x'.repeat(800));
    const used = layer.prepareRequest(r.message, { protocol: 'udp', address: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    expect(used.protocol).toBe('tcp');
    expect(r.message.topVia.transport).toBe('TCP');
    await layer.send(r.message, used);
    await until(() => got.length >= 800);
    expect(got).toMatch(/^Via: SIP\/2\.0\/TCP 127\.0\.0\.1:\d+;branch=z9hG4bKtp1/m);
  });

  it('refuses targets that are not IP addresses and families it has no socket for', async () => {
    const { layer } = await startLayer({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] });
    const r = parseMessage(optionsFrom('0.0.0.0'));
    if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
    expect(() => layer.prepareRequest(r.message as SipRequest, { protocol: 'udp', address: 'example.com', port: 5060 })).toThrow(
      expect.objectContaining({ code: 'NOT_IP_ADDRESS' }),
    );
    expect(() => layer.prepareRequest(r.message as SipRequest, { protocol: 'udp', address: '::1', port: 5060 })).toThrow(
      expect.objectContaining({ code: 'NO_TRANSPORT' }),
    );
  });
});
