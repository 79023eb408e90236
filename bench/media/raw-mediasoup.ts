/**
 * The floor of the media bench: the same mediasoup worker binary and router codecs as Convene,
 * driven by this one file with no Convene control plane (no Redis, no meetings, no policy engine,
 * no last-N by speech). It speaks just enough of Convene's signalling (hello, join,
 * media.setCapabilities, transport.create/connect, producer.create, consumer.resume, leave) for
 * bench/media's load client. Video goes to `video` participants from the first `lastN` camera
 * producers of the room (join order); audio to everyone.
 *
 *   node --import tsx bench/media/raw-mediasoup.ts --port 0 --last-n 9
 * prints `{"ready":true,"port":N,"workerPid":P}` on stdout when listening.
 */
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Consumer, Producer, Router, RtpCapabilities, WebRtcServer, WebRtcTransport } from 'mediasoup/node/lib/types.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { WorkerPool, loadMediasoup, meetingMediaCodecs } from '../../sfu/src/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' }, 'last-n': { type: 'string', default: '9' } } });
const lastN = Number(args['last-n']);

interface Peer {
  id: string;
  name: string;
  mode: string;
  ws: WebSocket;
  room?: Room;
  caps?: RtpCapabilities;
  transports: Map<string, WebRtcTransport>;
  recv?: WebRtcTransport;
  producers: Producer[];
  consumers: Map<string, Consumer>;
  /** Producers this peer consumes or is about to. */
  consuming: Set<string>;
}
interface Room {
  router: Router;
  peers: Set<Peer>;
  cameraOrder: Producer[];
}

const ms = await loadMediasoup(WorkerPool.resolveWorkerBin(null, repoRoot));
const worker = await ms.createWorker({ logLevel: 'warn' });
const webRtcServer: WebRtcServer = await worker.createWebRtcServer({ listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }] });
const rooms = new Map<string, Room>();
let nextPeer = 1;

async function roomFor(address: string): Promise<Room> {
  let room = rooms.get(address);
  if (!room) {
    room = { router: await worker.createRouter({ mediaCodecs: meetingMediaCodecs }), peers: new Set(), cameraOrder: [] };
    rooms.set(address, room);
  }
  return room;
}

function notify(peer: Peer, notification: string, data: unknown): void {
  if (peer.ws.readyState === peer.ws.OPEN) peer.ws.send(JSON.stringify({ notification, data }));
}

function wantsProducer(peer: Peer, producer: Producer, room: Room): boolean {
  if (producer.kind === 'audio') return true;
  return peer.mode === 'video' && room.cameraOrder.indexOf(producer) < lastN;
}

async function consume(peer: Peer, producer: Producer, owner: Peer): Promise<void> {
  const room = peer.room;
  if (!room || !peer.recv || !peer.caps || owner === peer || !wantsProducer(peer, producer, room)) return;
  if (!room.router.canConsume({ producerId: producer.id, rtpCapabilities: peer.caps })) return;
  // Once per producer: a producer created while this peer's recv transport is consuming the
  // existing ones is reached from both sides (it was consumed twice: 10,249 audio streams instead
  // of 9,900 in the 100-participant meeting).
  if (peer.consuming.has(producer.id)) return;
  peer.consuming.add(producer.id);
  // Silence (Opus DTX frames) is not forwarded, as Convene does: the same forwarding work.
  const consumer = await peer.recv.consume({ producerId: producer.id, rtpCapabilities: peer.caps, paused: true, ignoreDtx: producer.kind === 'audio' });
  peer.consumers.set(consumer.id, consumer);
  consumer.on('producerclose', () => {
    peer.consumers.delete(consumer.id);
    notify(peer, 'consumer.closed', { consumerId: consumer.id });
  });
  notify(peer, 'consumer.added', {
    id: consumer.id,
    producerId: producer.id,
    participantId: owner.id,
    kind: consumer.kind,
    source: producer.kind === 'audio' ? 'mic' : 'camera',
    rtpParameters: consumer.rtpParameters,
    producerPaused: consumer.producerPaused,
  });
}

async function handle(peer: Peer, method: string, data: Record<string, any>): Promise<unknown> {
  switch (method) {
    case 'hello':
      return { sessionId: peer.id, resumeToken: `raw-${peer.id}-0000000000000000`, iceServers: [], iceTransportPolicy: 'all' };
    case 'join': {
      const room = await roomFor(String(data.address));
      peer.room = room;
      peer.name = String(data.displayName);
      peer.mode = String(data.mode);
      const roster = [...room.peers].map((p) => ({ id: p.id, displayName: p.name }));
      for (const p of room.peers) notify(p, 'roster.joined', { participant: { id: peer.id, displayName: peer.name } });
      room.peers.add(peer);
      return { participantId: peer.id, role: 'host', state: 'joined', roster, routerRtpCapabilities: room.router.rtpCapabilities };
    }
    case 'media.setCapabilities':
      peer.caps = data.rtpCapabilities as RtpCapabilities;
      return {};
    case 'transport.create': {
      const transport = await peer.room!.router.createWebRtcTransport({ webRtcServer, enableUdp: true, enableTcp: false });
      peer.transports.set(transport.id, transport);
      if (data.direction === 'recv') {
        peer.recv = transport;
        for (const other of peer.room!.peers) for (const producer of other.producers) await consume(peer, producer, other);
      }
      return { id: transport.id, iceParameters: transport.iceParameters, iceCandidates: transport.iceCandidates, dtlsParameters: transport.dtlsParameters };
    }
    case 'transport.connect':
      await peer.transports.get(String(data.transportId))!.connect({ dtlsParameters: data.dtlsParameters });
      return {};
    case 'producer.create': {
      const transport = peer.transports.get(String(data.transportId))!;
      const producer = await transport.produce({ kind: data.kind, rtpParameters: data.rtpParameters });
      peer.producers.push(producer);
      const room = peer.room!;
      if (producer.kind === 'video') room.cameraOrder.push(producer);
      for (const other of room.peers) await consume(other, producer, peer);
      return { producerId: producer.id };
    }
    case 'consumer.resume':
      await peer.consumers.get(String(data.consumerId))?.resume();
      return {};
    case 'leave':
      leave(peer);
      return {};
    default:
      throw Object.assign(new Error(`${method} is not supported by the raw mediasoup floor`), { code: 'unknown_method' });
  }
}

function leave(peer: Peer): void {
  const room = peer.room;
  if (!room) return;
  peer.room = undefined;
  room.peers.delete(peer);
  room.cameraOrder = room.cameraOrder.filter((p) => !peer.producers.includes(p));
  for (const t of peer.transports.values()) t.close();
  if (room.peers.size === 0) {
    room.router.close();
    for (const [k, v] of rooms) if (v === room) rooms.delete(k);
  }
}

const server = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (ws) => {
  const peer: Peer = { id: `p${nextPeer++}`, name: '', mode: 'video', ws, transports: new Map(), producers: [], consumers: new Map(), consuming: new Set() };
  // One request at a time per socket, in order, as Convene does.
  let chain = Promise.resolve();
  ws.on('message', (raw) => {
    chain = chain.then(async () => {
      let msg: { id?: unknown; method?: string; data?: Record<string, unknown> };
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        return;
      }
      try {
        const data = await handle(peer, String(msg.method), msg.data ?? {});
        ws.send(JSON.stringify({ id: msg.id, ok: true, data }));
      } catch (err) {
        const e = err as Error & { code?: string };
        ws.send(JSON.stringify({ id: msg.id, ok: false, error: { code: e.code ?? 'media_error', message: e.message } }));
      }
    });
  });
  ws.on('close', () => leave(peer));
});
server.listen(Number(args.port), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(JSON.stringify({ ready: true, port, workerPid: worker.pid }) + '\n');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    worker.close();
    process.exit(0);
  });
}
