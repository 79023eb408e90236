/**
 * The four RFC 3261 transaction state machines driven by a ManualClock and a recording transport:
 * every timer (A, B, D, E, F, G, H, I, J, K, plus RFC 6026 L/M) is exercised by moving time.
 */
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../common/src/index.js';
import { createResponse, parseMessage, SipRequest, type SipMessage, type SipResponse } from '../message/index.js';
import type { Endpoint, Flow } from '../transport/index.js';
import type { TransactionContext, TransactionKind } from './base.js';
import { InviteClientTransaction, NonInviteClientTransaction, type ClientTransaction } from './client.js';
import { InviteServerTransaction, NonInviteServerTransaction } from './server.js';
import { makeTimers } from './timers.js';

const T = makeTimers({ T1: 100, T2: 400, T4: 500, D: 3200 });

function request(method: string): SipRequest {
  const r = parseMessage(
    Buffer.from(
      `${method} sip:room@convene.test SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKm1\r\nMax-Forwards: 70\r\n` +
        `To: <sip:room@convene.test>\r\nFrom: <sip:a@example.org>;tag=f1\r\nCall-ID: machines-1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`,
    ),
  );
  if (!r.ok || r.message.kind !== 'request') throw new Error('fixture');
  return r.message;
}

let clock: ManualClock;
let sent: SipMessage[];
let ended: [TransactionKind, string, string][];
let retransmits: number;
let ctx: TransactionContext;

beforeEach(() => {
  clock = new ManualClock();
  sent = [];
  ended = [];
  retransmits = 0;
  ctx = {
    clock,
    timers: T,
    logger: pino({ level: 'silent' }),
    observer: { retransmitted: () => void retransmits++, ended: (k, m, r) => void ended.push([k, m, r]) },
    transport: {
      sendRequest: async (req) => void sent.push(req),
      sendResponse: async (res) => void sent.push(res),
    },
    onTerminated: () => undefined,
  };
});

const udp: Endpoint = { protocol: 'udp', address: '192.0.2.9', port: 5060 };
const tcp: Endpoint = { protocol: 'tcp', address: '192.0.2.9', port: 5060 };
const flow = (protocol: 'udp' | 'tcp'): Flow => ({ protocol, local: { address: '192.0.2.2', port: 5060 }, remote: { address: '192.0.2.1', port: 5060 } });
const startLines = () => sent.map((m) => (m.kind === 'request' ? m.method : String(m.status)));

function client(kind: 'ict' | 'nict', target: Endpoint) {
  const responses: number[] = [];
  const failures: string[] = [];
  const user = { onResponse: (r: SipResponse) => void responses.push(r.status), onFailure: (f: string) => void failures.push(f) };
  const req = request(kind === 'ict' ? 'INVITE' : 'OPTIONS');
  const tx: ClientTransaction =
    kind === 'ict' ? new InviteClientTransaction('k', req, target, user, ctx) : new NonInviteClientTransaction('k', req, target, user, ctx);
  tx.start();
  return { tx, responses, failures, req };
}

describe('INVITE client transaction', () => {
  it('retransmits on Timer A (doubling) until Timer B times out', () => {
    const { tx, failures } = client('ict', udp);
    clock.advance(T.B - 1);
    // Sends at 0, T1, 3T1, 7T1, 15T1, 31T1 (63T1 is after B = 64T1? no: 63T1 < 64T1) → 7 copies.
    expect(startLines().filter((l) => l === 'INVITE')).toHaveLength(7);
    expect(failures).toEqual([]);
    clock.advance(1);
    expect(failures).toEqual(['timeout']);
    expect(tx.terminated).toBe(true);
    expect(ended).toEqual([['ict', 'INVITE', 'timeout']]);
  });

  it('stops retransmitting on a provisional response and does not time out in Proceeding', () => {
    const { tx, responses, req } = client('ict', udp);
    tx.receiveResponse(createResponse(req, 180, undefined, 't1'));
    clock.advance(T.B * 2);
    expect(startLines()).toEqual(['INVITE']);
    expect(responses).toEqual([180]);
    expect(tx.terminated).toBe(false);
  });

  it('ACKs a non-2xx final, re-ACKs its retransmissions, then ends on Timer D', () => {
    const { tx, responses, req } = client('ict', udp);
    const busy = createResponse(req, 486, undefined, 't1');
    tx.receiveResponse(busy);
    tx.receiveResponse(busy);
    expect(startLines()).toEqual(['INVITE', 'ACK', 'ACK']);
    const ack = sent[1];
    expect(ack?.kind === 'request' && [ack.get('Via'), ack.toTag, ack.cseq.method]).toEqual([req.get('Via'), 't1', 'ACK']);
    expect(responses).toEqual([486]); // the retransmission is absorbed
    clock.advance(T.D - 1);
    expect(tx.terminated).toBe(false);
    clock.advance(1);
    expect(tx.terminated).toBe(true);
    expect(ended).toEqual([['ict', 'INVITE', '4xx']]);
  });

  it('passes 2xx and its retransmissions to the TU in Accepted, ending on Timer M', () => {
    const { tx, responses, req } = client('ict', udp);
    const ok = createResponse(req, 200, undefined, 't1');
    tx.receiveResponse(ok);
    tx.receiveResponse(ok);
    expect(responses).toEqual([200, 200]);
    expect(startLines()).toEqual(['INVITE']); // no ACK from the transaction for 2xx
    clock.advance(T.M);
    expect(tx.terminated).toBe(true);
  });

  it('over a reliable transport sends once and ends at the final response', () => {
    const { tx, req } = client('ict', tcp);
    clock.advance(T.B - 1);
    expect(startLines()).toEqual(['INVITE']);
    tx.receiveResponse(createResponse(req, 603, undefined, 't'));
    expect(tx.terminated).toBe(true);
  });
});

describe('non-INVITE client transaction', () => {
  it('retransmits on Timer E doubling up to T2, and times out on Timer F', () => {
    const { failures } = client('nict', udp);
    // Sends at 0,100,300,700,1100,1500,... (interval caps at T2=400) until F=6400.
    clock.advance(1100);
    expect(startLines()).toHaveLength(5);
    clock.advance(T.F - 1100);
    expect(failures).toEqual(['timeout']);
    expect(ended).toEqual([['nict', 'OPTIONS', 'timeout']]);
  });

  it('in Proceeding retransmits every T2, and absorbs final retransmissions until Timer K', () => {
    const { tx, req, responses } = client('nict', udp);
    tx.receiveResponse(createResponse(req, 100));
    const before = sent.length;
    clock.advance(100); // E fires (first interval T1) and is re-armed at T2
    clock.advance(T.T2);
    expect(sent.length - before).toBe(2);
    const ok = createResponse(req, 200, undefined, 't');
    tx.receiveResponse(ok);
    tx.receiveResponse(ok);
    expect(responses).toEqual([100, 200]);
    clock.advance(T.K);
    expect(tx.terminated).toBe(true);
    const total = sent.length;
    clock.advance(10_000);
    expect(sent.length).toBe(total);
  });
});

describe('INVITE server transaction', () => {
  it('retransmits a non-2xx final on Timer G, stops on ACK, and ends on Timer I', () => {
    const req = request('INVITE');
    const tx = new InviteServerTransaction('k', req, flow('udp'), ctx);
    const acks: string[] = [];
    tx.events.on('ack', () => void acks.push('ack'));
    tx.respond(tx.makeResponse(486));
    clock.advance(T.T1 + 2 * T.T1); // G at T1 then 2T1
    expect(startLines()).toEqual(['486', '486', '486']);
    expect(retransmits).toBe(2);
    const ack = request('ACK');
    tx.receiveRequest(ack);
    tx.receiveRequest(ack); // absorbed in Confirmed
    expect(tx.state).toBe('confirmed');
    expect(acks).toEqual(['ack']);
    clock.advance(T.H);
    expect(startLines()).toHaveLength(3);
    expect(tx.terminated).toBe(true);
  });

  it('reports an ACK timeout on Timer H', () => {
    const tx = new InviteServerTransaction('k', request('INVITE'), flow('udp'), ctx);
    let timedOut = false;
    tx.events.on('ackTimeout', () => (timedOut = true));
    tx.respond(tx.makeResponse(500));
    clock.advance(T.H);
    expect(timedOut).toBe(true);
    expect(tx.terminated).toBe(true);
    expect(ended).toEqual([['ist', 'INVITE', 'timeout']]);
  });

  it('answers INVITE retransmissions with the last provisional, then absorbs them after a 2xx until Timer L', () => {
    const req = request('INVITE');
    const tx = new InviteServerTransaction('k', req, flow('udp'), ctx);
    tx.respond(tx.makeResponse(180));
    tx.receiveRequest(req);
    expect(startLines()).toEqual(['180', '180']);
    tx.respond(tx.makeResponse(200));
    tx.receiveRequest(req);
    expect(startLines()).toEqual(['180', '180', '200']);
    expect(tx.state).toBe('accepted');
    clock.advance(T.L);
    expect(tx.terminated).toBe(true);
  });

  it('uses one To tag for every response', () => {
    const tx = new InviteServerTransaction('k', request('INVITE'), flow('udp'), ctx);
    tx.respond(tx.makeResponse(180));
    tx.respond(tx.makeResponse(486));
    const tags = sent.map((m) => m.toTag);
    expect(tags[0]).toBeDefined();
    expect(tags[1]).toBe(tags[0]);
  });
});

describe('non-INVITE server transaction', () => {
  it('absorbs retransmissions in Trying, resends the final in Completed, ends on Timer J', () => {
    const req = request('OPTIONS');
    const tx = new NonInviteServerTransaction('k', req, flow('udp'), ctx);
    tx.receiveRequest(req);
    expect(sent).toHaveLength(0);
    tx.respond(tx.makeResponse(200));
    tx.receiveRequest(req);
    expect(startLines()).toEqual(['200', '200']);
    tx.respond(tx.makeResponse(500)); // a second final is ignored
    expect(startLines()).toEqual(['200', '200']);
    clock.advance(T.J);
    expect(tx.terminated).toBe(true);
  });

  it('over a reliable transport ends as soon as the final is sent', () => {
    const tx = new NonInviteServerTransaction('k', request('OPTIONS'), flow('tcp'), ctx);
    tx.respond(tx.makeResponse(200));
    expect(tx.terminated).toBe(true);
  });
});

describe('timer table', () => {
  it('derives timers from T1/T2/T4 and lets any single one be overridden', () => {
    const t = makeTimers({ T1: 200, K: 7 });
    expect(t).toMatchObject({ T1: 200, T2: 4000, T4: 5000, B: 12_800, F: 12_800, H: 12_800, J: 12_800, D: 32_000, I: 5000, K: 7 });
  });
});
