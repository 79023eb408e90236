/**
 * UDP micro-bench: what one RTP-sized datagram costs the gateway's media thread, the way it sends
 * and receives (N sockets, one packet each way per 20 ms tick):
 * - send: Node's dgram with the destination per send (unconnected) vs connect()ed, fresh vs reused
 *   buffer; the native udp_io addon's sendTo / send (connected). Receivers in a child process.
 * - receive: dgram ('message' callback per datagram, a wake-up each) vs udp_io (all sockets drained
 *   once per tick). Senders in a child process.
 * Only this process's CPU is counted (process.cpuUsage). A bench, not a test.
 *
 *   npx tsx bench/gateway/udp-io-bench.ts [sockets, default 100] [seconds per variant, default 4]
 */
import dgram from 'node:dgram';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadUdpIoAddon, UdpIo, type NativeUdpSocket } from '../../sip-gateway/src/media/udp-io/index.js';

const SOCKETS = Number(process.argv[2] ?? 100);
const SECONDS = Number(process.argv[3] ?? 4);
const PACKET = 172; // 12-byte RTP header + 160 bytes of G.711

if (process.argv[2] === 'senders') {
  // One datagram to each port every 20 ms until told to stop (the receive variants' load).
  const sockets: dgram.Socket[] = [];
  let ports: number[] = [];
  let timer: NodeJS.Timeout | null = null;
  const packet = Buffer.alloc(PACKET, 0x80);
  process.on('message', (m: { ports?: number[]; stop?: boolean }) => {
    if (m.stop) {
      if (timer) clearInterval(timer);
      process.send!({ stopped: true });
      return;
    }
    ports = m.ports ?? [];
    while (sockets.length < ports.length) sockets.push(dgram.createSocket('udp4'));
    if (timer) clearInterval(timer);
    timer = setInterval(() => ports.forEach((port, i) => sockets[i]!.send(packet, port, '127.0.0.1')), 20);
  });
  process.send!({ ready: true });
} else if (process.argv[2] === 'receivers') {
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

  const loaded = loadUdpIoAddon();
  const io = 'addon' in loaded ? new UdpIo(loaded.addon) : null;
  const natives: NativeUdpSocket[] = io ? senders.map(() => io.open('127.0.0.1', 0)) : [];
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
    ...(io
      ? [
          { name: 'udp_io, fresh buffer, send(buf, port, ip)', send: (i: number) => natives[i]!.send(Buffer.allocUnsafe(PACKET).fill(0x80), dests[i]!.port, dests[i]!.ip) },
          {
            name: 'udp_io connected, fresh buffer, send(buf)',
            setup: async () => natives.forEach((s, i) => s.connect(ports[i]!, '127.0.0.1', () => undefined)),
            send: (i: number) => natives[i]!.send(Buffer.allocUnsafe(PACKET).fill(0x80)),
          },
        ]
      : []),
  ];
  if (!io) console.log(`(udp_io variants skipped: ${'error' in loaded ? loaded.error : ''})`);

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
  for (const s of natives) s.close();

  // Receive: a child sends one datagram per socket per 20 ms; we count our CPU per datagram.
  const feeder = fork(fileURLToPath(import.meta.url), ['senders'], { execArgv: ['--import', 'tsx'] });
  await new Promise((r) => feeder.once('message', r));
  /** Feeds `sockets` for half a second, then counts datagrams and this process's CPU over the window. */
  const receiveWindow = async (sockets: Array<dgram.Socket | NativeUdpSocket>): Promise<{ cpuUs: number; got: number }> => {
    let got = 0;
    for (const s of sockets) s.on('message', () => void got++);
    feeder.send({ ports: sockets.map((s) => s.address().port) });
    await sleep(500);
    got = 0;
    const c0 = process.cpuUsage();
    await sleep(SECONDS * 1000);
    const c = process.cpuUsage(c0);
    return { cpuUs: c.user + c.system, got };
  };
  const receiveVariants: Array<{ name: string; run: () => Promise<{ cpuUs: number; got: number }> }> = [
    {
      name: "dgram, 'message' per datagram",
      run: async () => {
        const sockets = await Promise.all(
          Array.from({ length: SOCKETS }, async () => {
            const s = dgram.createSocket('udp4');
            await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
            return s;
          }),
        );
        const result = await receiveWindow(sockets);
        for (const s of sockets) s.close();
        return result;
      },
    },
    ...(io
      ? [
          {
            name: 'udp_io, drained every 20 ms',
            run: async () => {
              const sockets = Array.from({ length: SOCKETS }, () => io.open('127.0.0.1', 0));
              let draining = true;
              const ticking = (async (): Promise<void> => {
                while (draining) {
                  io.drain();
                  await sleep(20);
                }
              })();
              const result = await receiveWindow(sockets);
              draining = false;
              await ticking;
              for (const s of sockets) s.close();
              return result;
            },
          },
        ]
      : []),
  ];
  for (const v of receiveVariants) {
    const { cpuUs, got } = await v.run();
    console.log(`  receive: ${v.name.padEnd(41)} ${(cpuUs / Math.max(1, got)).toFixed(2)} µs CPU/datagram (${got} datagrams)`);
  }
  feeder.send({ stop: true });
  await new Promise((r) => feeder.once('message', r));
  feeder.kill();
}
