/**
 * SFU signalling-path bench (no RTP): fills one meeting with N participants, each sending a mic and
 * a 3-layer VP8 camera, on real mediasoup workers, and prints
 *   - join latency (addParticipant + two WebRTC transports) p50/p95/max,
 *   - produce latency p50/p95 and the time for the room's consumer fan-out to settle,
 *   - consumers created, routers/workers used, worker peak RSS.
 * Usage: npx tsx bench/sfu/room-fill.ts [participants=100] [maxParticipantsPerRouter=40] [lastN=9]
 */
import pino from 'pino';
import { MediaService, mediaConfigSchema, type ParticipantMedia } from '../../sfu/src/index.js';
import { startTestPool } from '../../sfu/src/testing.js';
import { clientCapabilities, opusParameters, vp8Parameters } from '../../sfu/src/media/testing/rtp-fixtures.js';

const [n = 100, perRouter = 40, lastN = 9] = process.argv.slice(2).map(Number);
const logger = pino({ level: 'warn' });

const pool = await startTestPool(logger);
const media = new MediaService(pool, mediaConfigSchema.parse({ maxParticipantsPerRouter: perRouter, lastN }), logger);
const room = await media.openRoom('bench');
const caps = room.rtpCapabilities;

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;
const joinMs: number[] = [];
const produceMs: number[] = [];
const members: ParticipantMedia[] = [];
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const start = performance.now();
  const p = await room.addParticipant(`p${i}`, { mode: 'video', maxIncomingBitrateBps: 2_000_000, maxOutgoingBitrateBps: 4_000_000, rtpCapabilities: clientCapabilities(caps) });
  const send = await p.createTransport('send');
  await p.createTransport('recv');
  joinMs.push(performance.now() - start);
  const ps = performance.now();
  await p.produce({ transportId: send.id, kind: 'audio', source: 'mic', rtpParameters: opusParameters(caps) });
  await p.produce({ transportId: send.id, kind: 'video', source: 'camera', rtpParameters: vp8Parameters(caps) });
  produceMs.push((performance.now() - ps) / 2);
  members.push(p);
}
const joinedAt = performance.now();
for (let pass = 0; pass < 3; pass++) await Promise.all(members.map((p) => p.settled(120_000)));
const settledAt = performance.now();
const stats = await room.stats();
const usage = await pool.usage();
const f = (x: number) => x.toFixed(1);
console.log(`participants ${n}, maxParticipantsPerRouter ${perRouter}, lastN ${lastN}, workers ${pool.size}`);
console.log(`join (addParticipant + 2 transports) ms: p50 ${f(pct(joinMs, 50))} p95 ${f(pct(joinMs, 95))} max ${f(Math.max(...joinMs))}`);
console.log(`produce ms: p50 ${f(pct(produceMs, 50))} p95 ${f(pct(produceMs, 95))}`);
console.log(`all joined+producing after ${f(joinedAt - t0)} ms; consumer fan-out settled ${f(settledAt - joinedAt)} ms later`);
console.log(`consumers audio ${stats.consumers.audio} video ${stats.consumers.video}; routers ${JSON.stringify(stats.routers)}`);
console.log(`worker peak RSS MB: ${usage.map((u) => `w${u.index} ${(u.maxRssBytes / 1e6).toFixed(0)}`).join(', ')}`);
media.close();
pool.close();
