/**
 * Test UAS for the call bench, built on the SIP stack's public face: answers every INVITE with
 * 200 + SDP, lets the stack absorb ACK and answer BYE. Run by run-call-bench.ts as a child
 * process (so its CPU and memory are its own) and driven over IPC:
 *   → { type: 'ready', port }        once listening on udp 127.0.0.1:<port>
 *   ← { type: 'stats' }  → { type: 'stats', dialogs, transactions, rss, heapUsed }   (after a full GC)
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { SipStack } from '../../sip-gateway/src/sip/index.js';

const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'warn' });
const stack = new SipStack(
  {
    transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }],
    hostedDomains: ['bench.invalid'],
    // The bench is one source sending thousands of calls: the per-source rate limit would be
    // the thing measured, and the dialog cap must admit the held dialogs.
    limits: { ratePerSecond: 0, maxDialogs: 100_000, maxServerTransactions: 100_000 },
  },
  { logger, registry: new Registry() },
);

const answer = (address: string) =>
  ['v=0', `o=convene 1 1 IN IP4 ${address}`, 's=-', `c=IN IP4 ${address}`, 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

stack.handle('INVITE', (req) => {
  req.accept({ body: answer('127.0.0.1') });
});

const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (m: unknown) => {
  if ((m as { type?: string }).type !== 'stats') return;
  gc?.();
  const mem = process.memoryUsage();
  process.send?.({ type: 'stats', dialogs: stack.dialogCount, transactions: stack.transactionCount, rss: mem.rss, heapUsed: mem.heapUsed });
});

const stop = () => {
  void stack.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

await stack.start();
process.send?.({ type: 'ready', port: stack.transports[0]?.local.port });
