/**
 * Acceptance: fast-check generated garbage and near-valid SIP thrown at a running stack over real
 * UDP and TCP sockets. The process must stay up, keep answering valid requests, answer 400 where
 * a response is possible, and let every transaction end (count back to 0 once timers run out).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import fc from 'fast-check';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidCases, raw, validCases } from '../src/sip/message/fixtures/torture.js';
import { parseMessage, type SipStack } from '../src/sip/index.js';
import { metricValue, port, startStack, waitUntil } from './support/stack.js';

let stack: SipStack;
let registry: Registry;
let udp: dgram.Socket;
const udpReplies: Buffer[] = [];

beforeAll(async () => {
  ({ stack, registry } = await startStack());
  // A TU that answers everything, so only the stack's own timers keep transactions alive.
  stack.handle('INVITE', (req) => req.respond(486));
  stack.handle('MESSAGE', (req) => req.respond(200));
  stack.handle('REGISTER', (req) => req.respond(403));
  udp = dgram.createSocket('udp4');
  udp.on('message', (m) => udpReplies.push(m));
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
});

afterAll(async () => {
  udp.close();
  await stack.stop();
});

const seeds = validCases.filter((c) => c.lines[0]?.includes('SIP/2.0') && !c.lines[0].startsWith('SIP/')).map(raw);
const mutatedSip = fc
  .record({ seed: fc.integer({ min: 0, max: seeds.length - 1 }), at: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) })
  .map(({ seed, at, bytes }) => {
    const buf = Buffer.from(seeds[seed] ?? Buffer.alloc(0));
    at.forEach((p, i) => (buf[p % buf.length] = bytes[i % bytes.length] ?? 0));
    return buf;
  });
const input = fc.oneof(mutatedSip, fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b)), fc.constantFrom(...seeds));

/** Sends one datagram, then yields so the stack (same process) drains its socket buffer. */
async function sendUdp(buf: Buffer): Promise<void> {
  await new Promise<void>((resolve) => udp.send(buf, port(stack, 'udp'), '127.0.0.1', () => resolve()));
  await new Promise((r) => setTimeout(r, 1));
}

/** A well-formed OPTIONS, re-sent like a UDP client would until answered (bounded by waitUntil). */
async function optionsStillAnswered(): Promise<void> {
  const before = udpReplies.length;
  const callId = `alive-${Math.random()}`;
  const probe = Buffer.from(
    `OPTIONS sip:room@convene.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${udp.address().port};branch=z9hG4bK${callId}\r\nMax-Forwards: 70\r\n` +
      `To: <sip:room@convene.test>\r\nFrom: <sip:probe@example.org>;tag=p\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
  let attempts = 0;
  await waitUntil(async () => {
    if (udpReplies.slice(before).some((m) => m.toString().includes(callId) && m.toString().startsWith('SIP/2.0 200'))) return true;
    if (attempts++ % 10 === 0) await sendUdp(probe);
    return false;
  });
}

describe('network fuzz against a running stack', () => {
  it('survives fuzzed UDP datagrams and lets every transaction end', async () => {
    const errorsBefore = await metricValue(registry, 'sip_parse_errors_total', { transport: 'udp' });
    await fc.assert(fc.asyncProperty(input, async (buf) => sendUdp(buf)), { numRuns: 600 });
    await optionsStillAnswered();
    expect(await metricValue(registry, 'sip_parse_errors_total', { transport: 'udp' })).toBeGreaterThan(errorsBefore);
    await waitUntil(() => stack.transactionCount === 0 && stack.dialogCount === 0, 20_000);
  });

  it('survives fuzzed TCP streams written in random chunks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(input, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 10 }), async (msgs, chunks) => {
        const data = Buffer.concat(msgs.map((m) => (m.includes('Content-Length') ? m : Buffer.concat([m, Buffer.from('\r\n\r\n')]))));
        const sock = net.connect(port(stack, 'tcp'), '127.0.0.1');
        sock.on('error', () => undefined);
        sock.on('data', () => undefined);
        await new Promise<void>((r) => sock.once('connect', () => r()));
        let off = 0;
        for (const c of chunks) {
          if (off >= data.length || sock.destroyed) break;
          sock.write(data.subarray(off, off + c));
          off += c;
        }
        if (off < data.length && !sock.destroyed) sock.write(data.subarray(off));
        sock.end();
        await new Promise<void>((r) => {
          sock.once('close', () => r());
          setTimeout(() => {
            sock.destroy();
            r();
          }, 500);
        });
      }),
      { numRuns: 120 },
    );
    await optionsStillAnswered();
    await waitUntil(() => stack.transactionCount === 0 && stack.dialogCount === 0, 20_000);
  });

  it('answers malformed-but-answerable requests with 400 over UDP and TCP, and never answers the unanswerable', async () => {
    const answerable = invalidCases.filter((c) => c.answerable);
    const before = udpReplies.length;
    for (const c of invalidCases) await sendUdp(raw(c));
    await waitUntil(() => udpReplies.length - before >= answerable.length);
    await new Promise((r) => setTimeout(r, 100)); // let any extra (wrong) replies arrive
    const replies = udpReplies.slice(before).map((m) => m.toString());
    expect(replies).toHaveLength(answerable.length);
    for (const r of replies) {
      expect(r.startsWith('SIP/2.0 400 ')).toBe(true);
      expect(r).not.toMatch(/at .*\.ts:\d+|Error:|node:internal/); // no stack traces
    }

    // Over TCP the 400 comes back on the same connection.
    const sock = net.connect(port(stack, 'tcp'), '127.0.0.1');
    let got = '';
    sock.on('data', (d) => (got += d.toString()));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const bad = invalidCases.find((c) => c.code === 'CSEQ_METHOD_MISMATCH');
    if (!bad) throw new Error('fixture missing');
    const lines = bad.lines.map((l) => (l.startsWith('Via:') ? 'Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKtcp400' : l));
    sock.write(Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`));
    await waitUntil(() => got.includes('\r\n\r\n'));
    const res = parseMessage(Buffer.from(got));
    expect(res.ok && res.message.kind === 'response' && res.message.status).toBe(400);
    sock.destroy();
  });
});
