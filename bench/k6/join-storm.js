// k6 join storm against Convene's WebSocket signalling (protocol-level participants, no media).
//
// Every VU opens one WebSocket, says hello, joins one of the rooms listed in ROOMS_FILE
// (VU n joins room (n-1) mod M), holds the connection for HOLD_S seconds, sends `leave` and
// closes. One iteration per VU, so the run is bounded by VUS and by MAX_DURATION_S.
//
// Env: WS_URL (ws://127.0.0.1:PORT/ws), ROOMS_FILE (JSON array of addresses), VUS,
//      HOLD_S, RAMP_S (spread the VU starts over this many seconds; 0 = all at once),
//      JOIN_TIMEOUT_MS, MAX_DURATION_S, SUMMARY_FILE (JSON summary written here).
import ws from 'k6/ws';
import { sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';

const WS_URL = __ENV.WS_URL || 'ws://127.0.0.1:8080/ws';
const ROOMS = JSON.parse(open(__ENV.ROOMS_FILE || './rooms.json'));
const VUS = Number(__ENV.VUS || 100);
const HOLD_S = Number(__ENV.HOLD_S || 10);
const RAMP_S = Number(__ENV.RAMP_S || 0);
const JOIN_TIMEOUT_MS = Number(__ENV.JOIN_TIMEOUT_MS || 15000);
const MAX_DURATION_S = Number(__ENV.MAX_DURATION_S || RAMP_S + HOLD_S + JOIN_TIMEOUT_MS / 1000 + 30);

if (!Array.isArray(ROOMS) || ROOMS.length === 0) throw new Error('ROOMS_FILE must hold a non-empty JSON array of room addresses');

/** Socket open started → join response received (includes the WebSocket handshake and hello). */
const joinLatency = new Trend('join_latency', true);
/** Socket open started → WebSocket handshake done (TCP connect + HTTP upgrade). */
const connectLatency = new Trend('ws_connect_latency', true);
/** join request sent → join response received (the server's join work alone). */
const joinRequestLatency = new Trend('join_request_latency', true);
/** 1 per failed attempt: error response, timeout, socket error or close before joining. */
const joinErrors = new Rate('join_errors');
const joinsAttempted = new Counter('joins_attempted');
const joinsOk = new Counter('joins_ok');
const joinsFailed = new Counter('joins_failed');
/** Joined participants whose socket stayed up for the whole hold period. */
const heldOk = new Counter('held_ok');

export const options = {
  scenarios: {
    storm: {
      executor: 'per-vu-iterations',
      vus: VUS,
      iterations: 1,
      maxDuration: `${Math.ceil(MAX_DURATION_S)}s`,
      gracefulStop: '5s',
    },
  },
  summaryTrendStats: ['min', 'avg', 'med', 'p(95)', 'p(99)', 'max', 'count'],
  // Only loopback is used; nothing here needs TLS or DNS.
  noConnectionReuse: true,
};

export default function () {
  if (RAMP_S > 0) sleep(((__VU - 1) / VUS) * RAMP_S);
  const address = ROOMS[(__VU - 1) % ROOMS.length];
  const displayName = `bench-${__VU}`;
  const startedAt = Date.now();
  let joinSentAt = 0;
  let outcome = 'pending'; // pending → joined | failed
  let nextId = 1;
  const HELLO_ID = nextId++;
  const JOIN_ID = nextId++;
  const LEAVE_ID = nextId++;
  joinsAttempted.add(1);

  const fail = (socket, reason) => {
    if (outcome !== 'pending') return;
    outcome = 'failed';
    joinErrors.add(1);
    joinsFailed.add(1);
    // One line per failed VU at most; run.mjs tallies them by reason.
    console.warn(`join failed: ${reason}`);
    socket.close();
  };

  const res = ws.connect(WS_URL, { tags: { name: 'signaling' } }, (socket) => {
    socket.on('open', () => {
      connectLatency.add(Date.now() - startedAt);
      socket.send(JSON.stringify({ id: HELLO_ID, method: 'hello', data: { protocolVersion: 1 } }));
    });
    socket.on('message', (raw) => {
      let msg;
      try {
        msg = JSON.parse(raw);
      } catch (_) {
        return;
      }
      if (msg.notification !== undefined) return; // roster churn from the other joiners
      if (msg.id === HELLO_ID) {
        if (!msg.ok) return fail(socket, `hello:${msg.error && msg.error.code}`);
        joinSentAt = Date.now();
        socket.send(JSON.stringify({ id: JOIN_ID, method: 'join', data: { address, displayName, mode: 'audio-only', bandwidthKbps: 256 } }));
      } else if (msg.id === JOIN_ID) {
        if (!msg.ok) return fail(socket, `join:${msg.error && msg.error.code}`);
        const now = Date.now();
        outcome = 'joined';
        joinLatency.add(now - startedAt);
        joinRequestLatency.add(now - joinSentAt);
        joinErrors.add(0);
        joinsOk.add(1);
        socket.setTimeout(() => {
          heldOk.add(1);
          socket.send(JSON.stringify({ id: LEAVE_ID, method: 'leave', data: {} }));
          // Give the leave a moment to be answered, then close regardless.
          socket.setTimeout(() => socket.close(), 2000);
        }, HOLD_S * 1000);
      } else if (msg.id === LEAVE_ID) {
        socket.close();
      }
    });
    socket.on('error', (e) => fail(socket, `socket:${e.error ? e.error() : 'error'}`));
    socket.on('close', () => {
      if (outcome === 'pending') fail(socket, 'closed_before_join');
    });
    socket.setTimeout(() => {
      if (outcome === 'pending') fail(socket, 'timeout');
    }, JOIN_TIMEOUT_MS);
  });
  // A refused upgrade (not 101) never reaches the open handler.
  if (outcome === 'pending') {
    outcome = 'failed';
    joinErrors.add(1);
    joinsFailed.add(1);
    console.warn(`join failed: upgrade:${res ? res.status : 'none'}`);
  }
}

export function handleSummary(data) {
  const out = { 'stdout': textLine(data) };
  if (__ENV.SUMMARY_FILE) out[__ENV.SUMMARY_FILE] = JSON.stringify(data, null, 2);
  return out;
}

function textLine(data) {
  const m = data.metrics;
  const v = (name, key) => (m[name] && m[name].values[key] !== undefined ? m[name].values[key] : 0);
  return (
    `join-storm: attempted=${v('joins_attempted', 'count')} ok=${v('joins_ok', 'count')} failed=${v('joins_failed', 'count')} ` +
    `join_latency p50=${v('join_latency', 'med').toFixed(1)}ms p95=${v('join_latency', 'p(95)').toFixed(1)}ms ` +
    `p99=${v('join_latency', 'p(99)').toFixed(1)}ms error_rate=${(v('join_errors', 'rate') * 100).toFixed(2)}%\n`
  );
}
