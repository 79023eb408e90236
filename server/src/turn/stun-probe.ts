import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';

const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;

/**
 * Sends one STUN Binding request (RFC 8489) over UDP and resolves true when a Binding success
 * response with the same transaction id comes back within `timeoutMs`. Enough to tell that a
 * TURN server is up and answering, with no credentials.
 */
export function stunBinding(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  const txId = randomBytes(12);
  const request = Buffer.alloc(20);
  request.writeUInt16BE(BINDING_REQUEST, 0);
  request.writeUInt16BE(0, 2);
  request.writeUInt32BE(MAGIC_COOKIE, 4);
  txId.copy(request, 8);
  return new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on('message', (msg) => {
      if (msg.length >= 20 && msg.readUInt16BE(0) === BINDING_SUCCESS && msg.subarray(8, 20).equals(txId)) done(true);
    });
    socket.send(request, port, host, (err) => {
      if (err) done(false);
    });
  });
}

/** Probes until the server answers or `timeoutMs` passes (bounded: one probe per ~100 ms). */
export async function waitForStun(host: string, port: number, timeoutMs: number, stillWaiting: () => boolean = () => true): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (stillWaiting()) {
    if (await stunBinding(host, port, 300)) return;
    if (Date.now() > deadline) throw new Error(`no STUN answer from ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('stopped while waiting for the TURN server');
}
