// k6 chat fan-out bench against Convene's WebSocket signalling (protocol-level, no media).
//
// P VUs join one room. VU 1 is the sender: once it sees all P participants in the roster (or
// after WAIT_ALL_MS), it sends MESSAGES chat messages, one every INTERVAL_MS, each carrying its
// send time. Every other VU records send → receipt latency for each `chat.message` it gets.
// Everyone sits in one k6 process, so sender and receivers share one clock.
// Bounded: P VUs, one iteration each, MESSAGES messages, and a hard deadline per VU.
//
// Env: WS_URL, ROOM (address), P, MESSAGES, INTERVAL_MS, WAIT_ALL_MS, SUMMARY_FILE.
import ws from 'k6/ws';
import { Counter, Rate, Trend } from 'k6/metrics';

const WS_URL = __ENV.WS_URL || 'ws://127.0.0.1:8080/ws';
const ROOM = __ENV.ROOM || '';
const P = Number(__ENV.P || 20);
const MESSAGES = Number(__ENV.MESSAGES || 20);
const INTERVAL_MS = Number(__ENV.INTERVAL_MS || 200);
const WAIT_ALL_MS = Number(__ENV.WAIT_ALL_MS || 30000);
/** Receivers give up this long after joining; the sender's whole run fits well inside it. */
const DEADLINE_MS = WAIT_ALL_MS + MESSAGES * INTERVAL_MS + 10000;

if (!ROOM) throw new Error('ROOM (a room address) is required');

/** Sender's send time → a receiver's receipt of that `chat.message`. */
const fanoutLatency = new Trend('chat_fanout_latency', true);
/** Sender's `chat.send` request → its ok response. */
const sendAckLatency = new Trend('chat_send_ack', true);
const delivered = new Counter('chat_delivered');
const missing = new Counter('chat_missing');
const sent = new Counter('chat_sent');
const joinErrors = new Rate('chat_join_errors');

export const options = {
  scenarios: {
    fanout: {
      executor: 'per-vu-iterations',
      vus: P,
      iterations: 1,
      maxDuration: `${Math.ceil(DEADLINE_MS / 1000) + 30}s`,
      gracefulStop: '5s',
    },
  },
  summaryTrendStats: ['min', 'avg', 'med', 'p(95)', 'p(99)', 'max', 'count'],
};

export default function () {
  const isSender = __VU === 1;
  const HELLO_ID = 1;
  const JOIN_ID = 2;
  const LEAVE_ID = 3;
  let chatId = 100;
  const sendTimes = {};
  const present = {};
  let joined = false;
  let sending = false;
  let received = 0;
  let finished = false;

  ws.connect(WS_URL, {}, (socket) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      if (!isSender && joined) missing.add(Math.max(0, MESSAGES - received));
      socket.send(JSON.stringify({ id: LEAVE_ID, method: 'leave', data: {} }));
      socket.setTimeout(() => socket.close(), 2000);
    };
    const rosterSize = () => Object.keys(present).length;
    const startSending = () => {
      if (sending) return;
      sending = true;
      let seq = 0;
      const sendOne = () => {
        seq += 1;
        const id = chatId++;
        const sentAt = Date.now();
        sendTimes[id] = sentAt;
        socket.send(JSON.stringify({ id, method: 'chat.send', data: { text: JSON.stringify({ bench: 1, seq, sentAt }) } }));
        sent.add(1);
        if (seq < MESSAGES) socket.setTimeout(sendOne, INTERVAL_MS);
        else socket.setTimeout(finish, 3000); // let the last messages land before leaving
      };
      sendOne();
    };

    socket.on('open', () => socket.send(JSON.stringify({ id: HELLO_ID, method: 'hello', data: { protocolVersion: 1 } })));
    socket.on('message', (raw) => {
      const msg = JSON.parse(raw);
      if (msg.notification === 'chat.message') {
        if (isSender) return;
        let body;
        try {
          body = JSON.parse(msg.data.text);
        } catch (_) {
          return;
        }
        if (!body || body.bench !== 1) return;
        fanoutLatency.add(Date.now() - body.sentAt);
        delivered.add(1);
        received += 1;
        if (received >= MESSAGES) finish();
        return;
      }
      if (msg.notification === 'roster.joined') {
        present[msg.data.participant.id] = true;
        if (isSender && joined && rosterSize() >= P) startSending();
        return;
      }
      if (msg.notification === 'roster.left') {
        delete present[msg.data.participantId];
        return;
      }
      if (msg.notification !== undefined) return;
      if (msg.id === HELLO_ID) {
        if (!msg.ok) {
          joinErrors.add(1);
          console.warn(`chat: hello failed: ${msg.error && msg.error.code}`);
          return socket.close();
        }
        socket.send(JSON.stringify({ id: JOIN_ID, method: 'join', data: { address: ROOM, displayName: isSender ? 'sender' : `rx-${__VU}`, mode: 'audio-only', bandwidthKbps: 256 } }));
      } else if (msg.id === JOIN_ID) {
        if (!msg.ok) {
          joinErrors.add(1);
          console.warn(`chat: join failed: ${msg.error && msg.error.code}`);
          return socket.close();
        }
        joined = true;
        joinErrors.add(0);
        present[msg.data.participantId] = true;
        for (const p of msg.data.roster || []) present[p.id] = true;
        if (isSender) {
          if (rosterSize() >= P) startSending();
          else socket.setTimeout(startSending, WAIT_ALL_MS); // start anyway; missing receipts show it
        }
      } else if (msg.id === LEAVE_ID) {
        socket.close();
      } else if (sendTimes[msg.id] !== undefined) {
        if (msg.ok) sendAckLatency.add(Date.now() - sendTimes[msg.id]);
        else console.warn(`chat: chat.send refused: ${msg.error && msg.error.code}`);
        delete sendTimes[msg.id];
      }
    });
    socket.on('error', (e) => console.warn(`chat: socket error: ${e.error ? e.error() : 'error'}`));
    socket.setTimeout(finish, DEADLINE_MS);
  });
}

export function handleSummary(data) {
  const m = data.metrics;
  const v = (name, key) => (m[name] && m[name].values[key] !== undefined ? m[name].values[key] : 0);
  const line =
    `chat-fanout: P=${P} sent=${v('chat_sent', 'count')} delivered=${v('chat_delivered', 'count')} missing=${v('chat_missing', 'count')} ` +
    `latency p50=${v('chat_fanout_latency', 'med').toFixed(1)}ms p95=${v('chat_fanout_latency', 'p(95)').toFixed(1)}ms ` +
    `p99=${v('chat_fanout_latency', 'p(99)').toFixed(1)}ms\n`;
  const out = { stdout: line };
  if (__ENV.SUMMARY_FILE) out[__ENV.SUMMARY_FILE] = JSON.stringify(data, null, 2);
  return out;
}
