/**
 * UDP send micro-bench: what one RTP-sized datagram costs to send from Node's dgram, the way the
 * gateway's media worker sends (N sockets, one packet each per 20 ms tick), with the destination
 * given per send (unconnected socket) vs a connect()ed socket, and a fresh vs a reused buffer.
 * Receivers are in a child process (their cost is not counted). A bench, not a test.
 *
 *   npx tsx bench/gateway/udp-send-bench.ts [sockets, default 100] [seconds per variant, default 4]
 */
import dgram from 'node:dgram';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SOCKETS = Number(process.argv[2] ?? 100);
const SECONDS = Number(process.argv[3] ?? 4);
const PACKET = 172; // 12-byte RTP header + 160 bytes of G.711

if (process.argv[2] === 'receivers') {
  const n = Number(process.argv[3]);
  let received = 0;
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket('udp4');
    s.on('message', () => void received++);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    ports.push(s.address().port);
  }
  process.send!({ ports });
  process.on('message', () => process.send!({ received }));
} else {
  const child = fork(fileURLToPath(import.meta.url), ['receivers', String(SOCKETS)], { execArgv: ['--import', 'tsx'] });
  const { ports } = await new Promise<{ ports: number[] }>((r) => child.once('message', (m) => r(m as { ports: number[] })));
  const senders: dgram.Socket[] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = dgram.createSocket('udp4');
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    senders.push(s);
  }
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

  type Variant = { name: string; setup?: () => Promise<void>; send: (i: number) => void };
  const reused = senders.map(() => Buffer.alloc(PACKET, 0x80));
  const dests = ports.map((port) => ({ ip: '127.0.0.1', port }));
  const variants: Variant[] = [
    { name: 'unconnected, fresh buffer, send(buf, port, ip)', send: (i) => senders[i]!.send(Buffer.allocUnsafe(PACKET).fill(0x80), dests[i]!.port, dests[i]!.ip) },
    { name: 'unconnected, same buffer, send(buf, port, ip)', send: (i) => senders[i]!.send(reused[i]!, dests[i]!.port, dests[i]!.ip) },
    {
      name: 'connected, fresh buffer, send(buf)',
      setup: async () => {
        await Promise.all(senders.map((s, i) => new Promise<void>((r) => s.connect(ports[i]!, '127.0.0.1', () => r()))));
      },
      send: (i) => senders[i]!.send(Buffer.allocUnsafe(PACKET).fill(0x80)),
    },
    { name: 'connected, same buffer, send(buf)', send: (i) => senders[i]!.send(reused[i]!) },
  ];

  console.log(`UDP send bench: ${SOCKETS} sockets × 1 packet of ${PACKET} bytes per 20 ms tick, ${SECONDS} s per variant (Node ${process.version})`);
  for (const v of variants) {
    await v.setup?.();
    for (let t = 0; t < 25; t++) {
      for (let i = 0; i < SOCKETS; i++) v.send(i);
      await sleep(20);
    }
    const ticks = Math.round((SECONDS * 1000) / 20);
    let cpu = 0;
    let wall = 0;
    for (let t = 0; t < ticks; t++) {
      const c0 = process.cpuUsage();
      const w0 = performance.now();
      for (let i = 0; i < SOCKETS; i++) v.send(i);
      // Let the sends (and, unconnected, their address lookups) complete inside the measurement.
      await new Promise<void>((r) => setImmediate(r));
      wall += performance.now() - w0;
      const c = process.cpuUsage(c0);
      cpu += c.user + c.system;
      await sleep(20);
    }
    const sends = ticks * SOCKETS;
    console.log(`  ${v.name.padEnd(50)} ${(cpu / sends).toFixed(2)} µs CPU/send, ${((wall * 1000) / sends).toFixed(2)} µs wall/send`);
  }
  child.send('stats');
  const { received } = await new Promise<{ received: number }>((r) => child.once('message', (m) => r(m as { received: number })));
  console.log(`  receivers got ${received} datagrams`);
  child.kill();
  for (const s of senders) s.close();
}
