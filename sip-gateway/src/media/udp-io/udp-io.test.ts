import dgram from 'node:dgram';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { loadUdpIoAddon, UdpIo, type NativeUdpSocket } from './index.js';

const loaded = loadUdpIoAddon();
const open: (NativeUdpSocket | dgram.Socket)[] = [];

function io(): UdpIo {
  if (!('addon' in loaded)) throw new Error(loaded.error);
  return new UdpIo(loaded.addon);
}

async function peer(ip = '127.0.0.1'): Promise<dgram.Socket> {
  const s = dgram.createSocket(ip.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => s.bind(0, ip, resolve));
  open.push(s);
  return s;
}

function sendFrom(s: dgram.Socket, port: number, text: string | Buffer, ip = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => s.send(text, port, ip, (err) => (err ? reject(err) : resolve())));
}

interface Got {
  text: string;
  address: string;
  port: number;
  arrivalMs: number | undefined;
}

function collect(socket: NativeUdpSocket): Got[] {
  const got: Got[] = [];
  socket.on('message', (msg, rinfo, arrivalMs) => got.push({ text: msg.toString(), address: rinfo.address, port: rinfo.port, arrivalMs }));
  return got;
}

/** Drains until `want` datagrams arrived in all, at most ~2 s (loopback delivery is immediate, but bounded anyway). */
async function drainUntil(u: UdpIo, want: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !want(); i++) {
    u.drain();
    if (!want()) await sleep(10);
  }
}

afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('udp_io native sockets', () => {
  it('is built and loads (scripts/setup.mjs builds it; without it calls fall back to dgram)', () => {
    expect('addon' in loaded ? 'loaded' : loaded.error).toBe('loaded');
  });

  it('binds, and delivers nothing until drained: then every datagram with its source and the kernel arrival time', async () => {
    const u = io();
    const s = u.open('127.0.0.1', 0);
    open.push(s);
    const got = collect(s);
    const p = await peer();
    const beforeSend = performance.now();
    await sendFrom(p, s.address().port, 'one');
    await sendFrom(p, s.address().port, 'two');
    const afterSend = performance.now(); // loopback: both are in our socket's queue by now
    await sleep(60);
    expect(got).toEqual([]); // no wake-up per datagram: they wait in the kernel
    expect(u.drain()).toBe(2);
    expect(got.map((g) => g.text)).toEqual(['one', 'two']);
    expect(got[0]).toMatchObject({ address: '127.0.0.1', port: p.address().port });
    // The arrival is when the kernel took the datagram (between the sends' start and end), not the
    // drain's time after the sleep; 1 ms for the µs rounding between the kernel's clock and ours.
    for (const g of got) {
      expect(g.arrivalMs).toBeGreaterThanOrEqual(beforeSend - 1);
      expect(g.arrivalMs).toBeLessThanOrEqual(afterSend + 1);
    }
    expect(u.drain()).toBe(0);
  });

  it('refuses a port already taken with EADDRINUSE, and gives a closed socket its port back', async () => {
    const u = io();
    const taken = await peer();
    expect(() => u.open('127.0.0.1', taken.address().port)).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    expect(() => u.open('not-an-ip', 0)).toThrow(TypeError);
    const s = u.open('127.0.0.1', 0);
    const port = s.address().port;
    s.close();
    expect(u.openSockets).toBe(0);
    const again = u.open('127.0.0.1', port);
    open.push(again);
    expect(again.address().port).toBe(port);
  });

  it('a connected socket hears only its peer and sends to it without an address; disconnect hears everyone again', async () => {
    const u = io();
    const s = u.open('127.0.0.1', 0);
    open.push(s);
    const got = collect(s);
    const a = await peer();
    const b = await peer();
    let connected = false;
    s.connect(a.address().port, '127.0.0.1', (err) => (connected = !err));
    expect(connected).toBe(true); // synchronous
    expect(s.remoteAddress()).toEqual({ address: '127.0.0.1', port: a.address().port });
    await sendFrom(b, s.address().port, 'from b');
    await sendFrom(a, s.address().port, 'from a');
    await drainUntil(u, () => got.length >= 1);
    await sleep(20);
    u.drain();
    expect(got.map((g) => g.text)).toEqual(['from a']);
    const heardByA = once(a, 'message');
    s.send(Buffer.from('to a'));
    expect(String((await heardByA)[0])).toBe('to a');

    s.disconnect();
    expect(() => s.remoteAddress()).toThrow();
    await sendFrom(b, s.address().port, 'b again');
    await drainUntil(u, () => got.length >= 2);
    expect(got.map((g) => g.text)).toEqual(['from a', 'b again']);
    const heardByB = once(b, 'message');
    s.send(Buffer.from('to b'), b.address().port, '127.0.0.1');
    expect(String((await heardByB)[0])).toBe('to b');
  });

  it('drains thousands of datagrams from many sockets in one call, each socket in order, beyond one scratch buffer', async () => {
    const u = io();
    const sockets = Array.from({ length: 50 }, () => u.open('127.0.0.1', 0));
    open.push(...sockets);
    const got = sockets.map((s) => collect(s));
    const p = await peer();
    const payload = (i: number, k: number): string => `${i}:${k}:`.padEnd(200, 'x');
    // 40 per socket: 2,000 datagrams of 200 bytes = 400 kB, six times the addon's 64 KiB scratch.
    for (let k = 0; k < 40; k++) await Promise.all(sockets.map((s, i) => sendFrom(p, s.address().port, payload(i, k))));
    await sleep(50);
    expect(u.drain()).toBe(2000);
    for (let i = 0; i < sockets.length; i++) expect(got[i]!.map((g) => g.text)).toEqual(Array.from({ length: 40 }, (_, k) => payload(i, k)));
    expect(u.counters.received).toBe(2000);
  });

  it('counts a datagram over 2 KiB as oversized, delivers an empty one as empty, and a throwing handler does not stop the drain', async () => {
    const u = io();
    const s = u.open('127.0.0.1', 0);
    const t = u.open('127.0.0.1', 0);
    open.push(s, t);
    const got = collect(t);
    s.on('message', () => {
      throw new Error('handler bug');
    });
    const p = await peer();
    await sendFrom(p, t.address().port, Buffer.alloc(3000, 1));
    await sendFrom(p, s.address().port, 'boom');
    await sendFrom(p, t.address().port, Buffer.alloc(0));
    await sendFrom(p, t.address().port, 'fine');
    await drainUntil(u, () => got.length >= 2);
    expect(got.map((g) => g.text)).toEqual(['', 'fine']);
    expect(u.counters).toMatchObject({ oversized: 1, handlerErrors: 1 });
  });

  it('counts a send the kernel refuses (a connected peer with nothing listening) instead of throwing', async () => {
    const u = io();
    const s = u.open('127.0.0.1', 0);
    open.push(s);
    const gone = await peer();
    const port = gone.address().port;
    open.splice(open.indexOf(gone), 1);
    gone.close();
    s.connect(port, '127.0.0.1', () => undefined);
    // The first send draws an ICMP port-unreachable; a later one reports it (ECONNREFUSED).
    for (let i = 0; i < 20 && u.counters.sendErrors === 0; i++) {
      s.send(Buffer.from('anyone?'));
      await sleep(5);
    }
    expect(u.counters.sendErrors).toBeGreaterThan(0);
  });

  it('reports an IPv6 source as dgram does', async () => {
    const u = io();
    let s: NativeUdpSocket;
    try {
      s = u.open('::1', 0);
    } catch (err) {
      // A host without IPv6 loopback: nothing to check here, said out loud.
      expect((err as { code?: string }).code).toBe('EADDRNOTAVAIL');
      return;
    }
    open.push(s);
    const got = collect(s);
    const p = await peer('::1');
    await sendFrom(p, s.address().port, 'v6', '::1');
    await drainUntil(u, () => got.length >= 1);
    expect(got[0]).toMatchObject({ text: 'v6', address: '::1', port: p.address().port });
  });

  it("a worker thread's sockets are closed when the thread ends, even when terminated", async () => {
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const addon = require(workerData.file);
       const ports = [1, 2, 3].map((id) => addon.open('127.0.0.1', 0, id).port);
       parentPort.postMessage(ports);
       setInterval(() => {}, 1000);`,
      { eval: true, workerData: { file: (await import('./addon.js')).findUdpIoAddon() } },
    );
    const [ports] = (await once(worker, 'message')) as [number[]];
    const u = io();
    for (const port of ports) expect(() => u.open('127.0.0.1', port)).toThrow(expect.objectContaining({ code: 'EADDRINUSE' }));
    await worker.terminate();
    for (const port of ports) open.push(u.open('127.0.0.1', port));
  });
});
