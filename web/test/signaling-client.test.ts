import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { SignalingClient, SignalingError, type WebSocketLike } from '../src/signaling/index.js';

// A real ws server on loopback; each test scripts how it answers. It speaks the envelope of
// server/src/protocol: { id, ok, data | error } answers and { notification, data } pushes.
type Handler = (socket: ServerSocket, msg: { id: number; method: string; data: unknown }) => void;

let wss: WebSocketServer;
let url: string;
let handler: Handler = () => undefined;
const sockets = new Set<ServerSocket>();

beforeAll(async () => {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('message', (raw) => handler(socket, JSON.parse(String(raw)) as { id: number; method: string; data: unknown }));
  });
});

afterAll(async () => {
  for (const s of sockets) s.terminate();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
});

const clients: SignalingClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  handler = () => undefined;
});

function client(opts: { requestTimeoutMs?: number; url?: string } = {}): SignalingClient {
  const c = new SignalingClient({
    url: opts.url ?? url,
    createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike,
    requestTimeoutMs: opts.requestTimeoutMs ?? 5_000,
    connectTimeoutMs: 5_000,
  });
  clients.push(c);
  return c;
}

function answer(socket: ServerSocket, id: number, data: unknown): void {
  socket.send(JSON.stringify({ id, ok: true, data }));
}

describe('SignalingClient', () => {
  it('matches answers to requests by id, even when they arrive out of order', async () => {
    const held: Array<{ socket: ServerSocket; id: number; method: string }> = [];
    handler = (socket, msg) => {
      held.push({ socket, id: msg.id, method: msg.method });
      if (held.length === 2) {
        // Answer the second request first.
        for (const h of [...held].reverse()) {
          answer(h.socket, h.id, h.method === 'chat.send' ? { messageId: `m-${h.id}`, at: '2026-01-01T00:00:00Z' } : { muted: 3 });
        }
      }
    };
    const c = client();
    await c.connect();
    const [chat, mute] = await Promise.all([c.request('chat.send', { text: 'hi' }), c.request('host.mute', {})]);
    expect(chat.messageId).toBe(`m-${held[0]?.id}`);
    expect(mute.muted).toBe(3);
    expect(held.map((h) => h.method)).toEqual(['chat.send', 'host.mute']);
    expect(held[0]?.id).not.toBe(held[1]?.id);
  });

  it('sends the protocol envelope { id, method, data }', async () => {
    let seen: unknown;
    handler = (socket, msg) => {
      seen = msg;
      answer(socket, msg.id, { sessionId: 's1', resumeToken: 'r'.repeat(32), resumed: false });
    };
    const c = client();
    await c.connect();
    const hello = await c.request('hello', { protocolVersion: 1 });
    expect(hello.resumeToken).toBe('r'.repeat(32));
    expect(seen).toEqual({ id: expect.any(Number), method: 'hello', data: { protocolVersion: 1 } });
  });

  it('rejects with the server error code, message and details', async () => {
    handler = (socket, msg) =>
      socket.send(JSON.stringify({ id: msg.id, ok: false, error: { code: 'pin_locked_out', message: 'locked', details: { retryAfterSeconds: 540 } } }));
    const c = client();
    await c.connect();
    const err = await c.request('join', { address: 'room@x.example', displayName: 'A', mode: 'video', bandwidthKbps: 1200 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SignalingError);
    expect(err).toMatchObject({ code: 'pin_locked_out', message: 'locked', details: { retryAfterSeconds: 540 } });
  });

  it('fails a request with `timeout` when no answer comes, and ignores the late answer', async () => {
    let late: (() => void) | undefined;
    handler = (socket, msg) => {
      if (msg.method === 'hand.set') late = () => answer(socket, msg.id, {});
      else answer(socket, msg.id, {});
    };
    const c = client({ requestTimeoutMs: 200 });
    await c.connect();
    const err = await c.request('hand.set', { raised: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout' });
    late?.();
    // The connection still works after the late answer was dropped.
    await expect(c.request('presentation.stop', {})).resolves.toEqual({});
  });

  it('emits notifications with their data', async () => {
    handler = (socket, msg) => {
      answer(socket, msg.id, {});
      socket.send(JSON.stringify({ notification: 'speaker.active', data: { participantId: 'p7' } }));
    };
    const c = client();
    await c.connect();
    const got = new Promise<{ participantId: string | null }>((resolve) => c.notifications.once('speaker.active', resolve));
    await c.request('leave', {});
    expect(await got).toEqual({ participantId: 'p7' });
  });

  it('ignores malformed server messages and keeps working', async () => {
    handler = (socket, msg) => {
      socket.send('not json {');
      socket.send('[1,2,3]');
      socket.send(JSON.stringify({ id: 999_999, ok: true, data: {} }));
      socket.send(JSON.stringify({ notification: 'chat.message', data: 'not an object' }));
      socket.send(JSON.stringify({ id: msg.id, ok: 'yes' }));
      answer(socket, msg.id, { muted: 1 });
    };
    const c = client();
    let chats = 0;
    c.notifications.on('chat.message', () => chats++);
    await c.connect();
    await expect(c.request('host.mute', { participantId: 'p1' })).resolves.toEqual({ muted: 1 });
    expect(chats).toBe(0);
  });

  it('fails pending requests with `connection_closed` and reports the close when the server drops the socket', async () => {
    handler = (socket) => socket.terminate();
    const c = client();
    await c.connect();
    const closed = new Promise<{ code: number }>((resolve) => c.lifecycle.once('closed', resolve));
    const err = await c.request('leave', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'connection_closed' });
    expect((await closed).code).toBeGreaterThan(0);
    expect(c.connected).toBe(false);
    await expect(c.request('leave', {})).rejects.toMatchObject({ code: 'connection_closed' });
  });

  it('reconnects on the same client, keeping its notification listeners', async () => {
    handler = (socket, msg) => {
      answer(socket, msg.id, {});
      socket.send(JSON.stringify({ notification: 'meeting.locked', data: { locked: true, by: 'h' } }));
    };
    const c = client();
    let locks = 0;
    c.notifications.on('meeting.locked', () => locks++);
    await c.connect();
    await c.request('leave', {});
    for (const s of sockets) s.terminate();
    await new Promise<void>((resolve) => c.lifecycle.once('closed', () => resolve()));
    await c.connect();
    await c.request('leave', {});
    await expect.poll(() => locks).toBe(2);
  });

  it('fails connect() with `connection_failed` when nothing listens', async () => {
    const probe = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => probe.once('listening', () => resolve()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const c = client({ url: `ws://127.0.0.1:${port}/ws` });
    await expect(c.connect()).rejects.toMatchObject({ code: 'connection_failed' });
  });

  it('does not emit `closed` when the client closes on purpose', async () => {
    const c = client();
    let closes = 0;
    c.lifecycle.on('closed', () => closes++);
    await c.connect();
    c.close();
    await expect(c.request('leave', {})).rejects.toMatchObject({ code: 'connection_closed' });
    await expect.poll(() => sockets.size).toBe(0);
    expect(closes).toBe(0);
  });
});
