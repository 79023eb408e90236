#!/usr/bin/env node
// Fallback load driver for machines without k6: the same two scenarios as join-storm.js and
// chat-fanout.js, over the `ws` package, reading the same env variables and writing a summary
// JSON in the shape k6's handleSummary gives (metrics.<name>.values.{med,p(95),p(99),count,rate}),
// so run.mjs reads either. Usage: node bench/k6/node-driver.mjs storm|chat
// Note: all sockets share one Node event loop here, whereas k6 spreads VUs over goroutines.
import fs from 'node:fs';
import WebSocket from 'ws';

const mode = process.argv[2];
const env = process.env;
const WS_URL = env.WS_URL ?? 'ws://127.0.0.1:8080/ws';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function trendValues(xs) {
  const s = [...xs].sort((a, b) => a - b);
  // Same nearest-rank-with-interpolation idea as k6's percentiles.
  const pct = (p) => {
    if (s.length === 0) return 0;
    const rank = (p / 100) * (s.length - 1);
    const lo = Math.floor(rank);
    const hi = Math.ceil(rank);
    return s[lo] + (s[hi] - s[lo]) * (rank - lo);
  };
  return { min: s[0] ?? 0, max: s.at(-1) ?? 0, avg: s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0, med: pct(50), 'p(95)': pct(95), 'p(99)': pct(99), count: s.length };
}

/** One protocol-level participant: hello + join, then hands the socket to `onJoined`. */
function participant(address, displayName, timeoutMs, onMessage) {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    let joinSentAt = 0;
    let settled = false;
    const ws = new WebSocket(WS_URL);
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!result.ok) ws.terminate();
      resolve({ ...result, ws });
    };
    const timer = setTimeout(() => done({ ok: false, reason: 'timeout' }), timeoutMs);
    let connectLatency = 0;
    ws.on('open', () => {
      connectLatency = performance.now() - startedAt;
      ws.send(JSON.stringify({ id: 1, method: 'hello', data: { protocolVersion: 1 } }));
    });
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.notification !== undefined) return onMessage?.(msg);
      if (msg.id === 1) {
        if (!msg.ok) return done({ ok: false, reason: `hello:${msg.error?.code}` });
        joinSentAt = performance.now();
        ws.send(JSON.stringify({ id: 2, method: 'join', data: { address, displayName, mode: 'audio-only', bandwidthKbps: 256 } }));
      } else if (msg.id === 2) {
        if (!msg.ok) return done({ ok: false, reason: `join:${msg.error?.code}` });
        const now = performance.now();
        done({ ok: true, latency: now - startedAt, connectLatency, requestLatency: now - joinSentAt, join: msg.data });
      } else onMessage?.(msg);
    });
    ws.on('error', (err) => done({ ok: false, reason: `socket:${err.code ?? err.message}` }));
    ws.on('close', () => done({ ok: false, reason: 'closed_before_join' }));
  });
}

async function leave(ws) {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(JSON.stringify({ id: 3, method: 'leave', data: {} }));
  await Promise.race([new Promise((r) => ws.once('message', r)), sleep(2000)]);
  ws.close();
}

async function storm() {
  const rooms = JSON.parse(fs.readFileSync(env.ROOMS_FILE, 'utf8'));
  const vus = Number(env.VUS ?? 100);
  const holdS = Number(env.HOLD_S ?? 10);
  const rampS = Number(env.RAMP_S ?? 0);
  const timeoutMs = Number(env.JOIN_TIMEOUT_MS ?? 15000);
  const latencies = [];
  const requestLatencies = [];
  const connectLatencies = [];
  let failed = 0;
  let held = 0;
  await Promise.all(
    Array.from({ length: vus }, async (_, i) => {
      if (rampS > 0) await sleep((i / vus) * rampS * 1000);
      const r = await participant(rooms[i % rooms.length], `bench-${i + 1}`, timeoutMs);
      if (!r.ok) {
        failed += 1;
        console.warn(`level=warning msg="join failed: ${r.reason}"`);
        return;
      }
      latencies.push(r.latency);
      requestLatencies.push(r.requestLatency);
      connectLatencies.push(r.connectLatency);
      await sleep(holdS * 1000);
      if (r.ws.readyState === WebSocket.OPEN) held += 1;
      await leave(r.ws);
    }),
  );
  const ok = latencies.length;
  const metrics = {
    join_latency: { values: trendValues(latencies) },
    join_request_latency: { values: trendValues(requestLatencies) },
    ws_connect_latency: { values: trendValues(connectLatencies) },
    join_errors: { values: { rate: vus ? failed / vus : 0 } },
    joins_attempted: { values: { count: vus } },
    joins_ok: { values: { count: ok } },
    joins_failed: { values: { count: failed } },
    held_ok: { values: { count: held } },
  };
  const j = metrics.join_latency.values;
  console.log(`join-storm: attempted=${vus} ok=${ok} failed=${failed} join_latency p50=${j.med.toFixed(1)}ms p95=${j['p(95)'].toFixed(1)}ms p99=${j['p(99)'].toFixed(1)}ms error_rate=${((failed / vus) * 100).toFixed(2)}%`);
  return { metrics };
}

async function chat() {
  const room = env.ROOM;
  const p = Number(env.P ?? 20);
  const messages = Number(env.MESSAGES ?? 20);
  const intervalMs = Number(env.INTERVAL_MS ?? 200);
  const latencies = [];
  const receivers = [];
  let joinFailures = 0;
  for (let i = 0; i < p - 1; i++) {
    const rx = { received: 0 };
    const r = await participant(room, `rx-${i + 2}`, 15000, (msg) => {
      if (msg.notification !== 'chat.message') return;
      let body;
      try {
        body = JSON.parse(msg.data.text);
      } catch {
        return;
      }
      if (body?.bench !== 1) return;
      latencies.push(Date.now() - body.sentAt);
      rx.received += 1;
    });
    if (!r.ok) {
      joinFailures += 1;
      console.warn(`level=warning msg="chat: join failed: ${r.reason}"`);
      continue;
    }
    rx.ws = r.ws;
    receivers.push(rx);
  }
  const acks = [];
  const sendTimes = new Map();
  const sender = await participant(room, 'sender', 15000, (msg) => {
    const t = sendTimes.get(msg.id);
    if (t !== undefined && msg.ok) acks.push(performance.now() - t);
  });
  let sent = 0;
  if (sender.ok) {
    for (let seq = 1; seq <= messages; seq++) {
      sendTimes.set(100 + seq, performance.now());
      sender.ws.send(JSON.stringify({ id: 100 + seq, method: 'chat.send', data: { text: JSON.stringify({ bench: 1, seq, sentAt: Date.now() }) } }));
      sent += 1;
      await sleep(intervalMs);
    }
  } else joinFailures += 1;
  // Wait (bounded) for the last messages to land.
  for (let i = 0; i < 30 && latencies.length < receivers.length * sent; i++) await sleep(100);
  const missing = receivers.reduce((sum, rx) => sum + Math.max(0, sent - rx.received), 0);
  await Promise.all([...receivers.map((rx) => leave(rx.ws)), ...(sender.ok ? [leave(sender.ws)] : [])]);
  const metrics = {
    chat_fanout_latency: { values: trendValues(latencies) },
    chat_send_ack: { values: trendValues(acks) },
    chat_delivered: { values: { count: latencies.length } },
    chat_missing: { values: { count: missing } },
    chat_sent: { values: { count: sent } },
    chat_join_errors: { values: { rate: joinFailures / p } },
  };
  const l = metrics.chat_fanout_latency.values;
  console.log(`chat-fanout: P=${p} sent=${sent} delivered=${latencies.length} missing=${missing} latency p50=${l.med.toFixed(1)}ms p95=${l['p(95)'].toFixed(1)}ms p99=${l['p(99)'].toFixed(1)}ms`);
  return { metrics };
}

const summary = mode === 'storm' ? await storm() : mode === 'chat' ? await chat() : null;
if (!summary) {
  console.error('usage: node-driver.mjs storm|chat');
  process.exit(2);
}
if (env.SUMMARY_FILE) fs.writeFileSync(env.SUMMARY_FILE, JSON.stringify(summary, null, 2));
