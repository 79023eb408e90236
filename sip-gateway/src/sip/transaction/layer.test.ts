/**
 * Transaction matching on a real UDP socket: §17.2.3 (branch + sent-by + method) and the RFC 2543
 * fallback, retransmission absorption, CANCEL (200 + 487, or 481 with no INVITE), and the ACK for a
 * non-2xx final staying inside the transaction.
 */
import dgram from 'node:dgram';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../common/src/index.js';
import { parseMessage, type SipRequest } from '../message/index.js';
import { TransportLayer } from '../transport/index.js';
import { TransactionLayer, makeTimers, type ServerTransaction } from './index.js';

let transport: TransportLayer;
let layer: TransactionLayer;
let clock: ManualClock;
let peer: dgram.Socket;
let replies: string[];
let requests: ServerTransaction[];
let acks: SipRequest[];

beforeEach(async () => {
  clock = new ManualClock();
  transport = new TransportLayer({ listen: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }] }, pino({ level: 'silent' }));
  layer = new TransactionLayer(transport, {
    clock,
    timers: makeTimers({ T1: 100 }),
    logger: pino({ level: 'silent' }),
    observer: { retransmitted: () => undefined, ended: () => undefined },
  });
  requests = [];
  acks = [];
  layer.setUser({ onRequest: (tx) => void requests.push(tx), onAck: (ack) => void acks.push(ack) });
  await transport.start();
  replies = [];
  peer = dgram.createSocket('udp4');
  peer.on('message', (m) => replies.push(m.toString()));
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
});

afterEach(async () => {
  layer.stop();
  peer.close();
  await transport.stop();
});

function send(lines: string[]): void {
  const port = transport.transports[0]?.local.port ?? 0;
  peer.send(Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`), port, '127.0.0.1');
}

async function until(cond: () => boolean): Promise<void> {
  const end = Date.now() + 5_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function req(method: string, branch: string, opts: { cseqMethod?: string; toTag?: string; uri?: string } = {}): string[] {
  return [
    `${method} ${opts.uri ?? 'sip:room@127.0.0.1'} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.address().port};branch=${branch}`,
    'Max-Forwards: 70',
    `To: <sip:room@127.0.0.1>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    'From: <sip:a@example.org>;tag=from1',
    `Call-ID: layer-${branch}`,
    `CSeq: 1 ${opts.cseqMethod ?? method}`,
  ];
}

const statuses = () => replies.map((r) => Number(r.slice(8, 11)));

describe('transaction matching', () => {
  it('absorbs INVITE retransmissions (one TU request, 100 Trying re-sent)', async () => {
    send(req('INVITE', 'z9hG4bKabs1'));
    send(req('INVITE', 'z9hG4bKabs1'));
    await until(() => replies.length === 2);
    expect(requests).toHaveLength(1);
    expect(statuses()).toEqual([100, 100]);
  });

  it('treats the same branch from a different sent-by as a different transaction', async () => {
    const a = req('OPTIONS', 'z9hG4bKsame');
    const b = a.map((l) => (l.startsWith('Via:') ? 'Via: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKsame;rport' : l));
    send(a);
    send(b);
    await until(() => requests.length === 2);
  });

  it('matches RFC 2543 requests (no magic cookie) by Request-URI, tags, Call-ID, CSeq and Via', async () => {
    send(req('OPTIONS', 'old1'));
    send(req('OPTIONS', 'old1'));
    send(req('OPTIONS', 'old1', { uri: 'sip:other@127.0.0.1' }));
    await until(() => requests.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(requests).toHaveLength(2);
  });

  it('keeps the ACK for a non-2xx inside the INVITE transaction, also for RFC 2543 peers', async () => {
    for (const branch of ['z9hG4bKack1', 'oldack1']) {
      send(req('INVITE', branch));
      await until(() => requests.some((r) => r.request.topVia.params.get('branch') === branch));
      const tx = requests.find((r) => r.request.topVia.params.get('branch') === branch)!;
      tx.respond(tx.makeResponse(486));
      send(req('ACK', branch, { toTag: tx.localTag }));
      await until(() => tx.state === 'confirmed');
    }
    expect(acks).toHaveLength(0);
  });

  it('passes an ACK with a new branch (the 2xx ACK) to the TU', async () => {
    send(req('ACK', 'z9hG4bKnewack', { toTag: 'abc' }));
    await until(() => acks.length === 1);
  });
});

describe('CANCEL', () => {
  it('answers 200 to the CANCEL and 487 to the pending INVITE, telling the TU', async () => {
    send(req('INVITE', 'z9hG4bKcan1'));
    await until(() => requests.length === 1);
    const cancelled: string[] = [];
    requests[0]!.events.on('cancel', () => cancelled.push('cancel'));
    send(req('CANCEL', 'z9hG4bKcan1'));
    await until(() => replies.length === 3);
    expect(statuses()).toEqual([100, 200, 487]);
    expect(replies[1]).toMatch(/^CSeq: 1 CANCEL\r$/m);
    expect(replies[2]).toMatch(/^CSeq: 1 INVITE\r$/m);
    expect(cancelled).toEqual(['cancel']);
    expect(requests).toHaveLength(1); // the CANCEL never reaches the TU as a request
  });

  it('answers 481 to a CANCEL that matches no INVITE, and 200 without 487 once the INVITE was answered', async () => {
    send(req('CANCEL', 'z9hG4bKnothing'));
    await until(() => replies.length === 1);
    expect(statuses()).toEqual([481]);
    send(req('INVITE', 'z9hG4bKdone'));
    await until(() => requests.length === 1);
    requests[0]!.respond(requests[0]!.makeResponse(603));
    send(req('CANCEL', 'z9hG4bKdone'));
    await until(() => replies.length === 4);
    expect(statuses()).toEqual([481, 100, 603, 200]);
  });
});
