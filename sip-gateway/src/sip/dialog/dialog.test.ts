/** Building in-dialog requests (RFC 3261 §12.2.1.1): route sets, strict routing, CSeq, tags, next hop. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../common/src/index.js';
import { formatUri, parseMessage, type SipRequest, type SipResponse } from '../message/index.js';
import { makeTimers, TransactionLayer } from '../transaction/index.js';
import { TransportLayer } from '../transport/index.js';
import { DialogLayer } from './index.js';

function parse<T extends SipRequest | SipResponse>(lines: string[]): T {
  const r = parseMessage(Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`));
  if (!r.ok) throw new Error(r.error.code);
  return r.message as T;
}

function dialogs(): DialogLayer {
  const logger = pino({ level: 'silent' });
  const clock = new ManualClock();
  const timers = makeTimers();
  const transactions = new TransactionLayer(new TransportLayer({ listen: [] }, logger), {
    clock,
    timers,
    logger,
    observer: { retransmitted: () => undefined, ended: () => undefined },
  });
  return new DialogLayer({ transactions, clock, timers, logger, supported: ['timer'], allow: ['INVITE', 'ACK', 'BYE'], minSessionExpires: 90 });
}

const invite = parse<SipRequest>([
  'INVITE sip:bob@192.0.2.20 SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKd1',
  'Max-Forwards: 70',
  'From: "Us" <sip:convene@192.0.2.1>;tag=ours',
  'To: <sip:bob@192.0.2.20>',
  'Call-ID: dlg-1',
  'CSeq: 10 INVITE',
  'Contact: <sip:convene@192.0.2.1>',
]);

function ok(recordRoutes: string[], contact = '<sip:bob@192.0.2.30:5070>'): SipResponse {
  return parse<SipResponse>([
    'SIP/2.0 200 OK',
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKd1',
    ...recordRoutes.map((r) => `Record-Route: ${r}`),
    'From: "Us" <sip:convene@192.0.2.1>;tag=ours',
    'To: <sip:bob@192.0.2.20>;tag=theirs',
    'Call-ID: dlg-1',
    'CSeq: 10 INVITE',
    `Contact: ${contact}`,
  ]);
}

const target = { protocol: 'udp' as const, address: '192.0.2.20', port: 5060 };

describe('in-dialog requests', () => {
  it('UAC: reverses Record-Route into the route set, targets the Contact, and numbers CSeq upward', () => {
    const { dialog } = dialogs().dialogFor2xx(invite, ok(['<sip:p2.example.com;lr>', '<sip:192.0.2.9:5080;lr>']), target);
    const bye = dialog.buildRequest('BYE');
    expect(formatUri(bye.uri)).toBe('sip:bob@192.0.2.30:5070');
    expect(bye.getAll('Route')).toEqual(['<sip:192.0.2.9:5080;lr>', '<sip:p2.example.com;lr>']);
    expect([bye.fromTag, bye.toTag, bye.callId]).toEqual(['ours', 'theirs', 'dlg-1']);
    expect(bye.cseq).toEqual({ seq: 11, method: 'BYE' });
    expect(dialog.buildRequest('INFO').cseq.seq).toBe(12);
    // The ACK for the INVITE keeps the INVITE's number.
    expect(dialog.buildRequest('ACK', 10).cseq).toEqual({ seq: 10, method: 'ACK' });
    // Next hop is the first route (loose routing), not the Request-URI.
    expect(dialog.nextHop()).toEqual({ protocol: 'udp', address: '192.0.2.9', port: 5080 });
  });

  it('strict routing: a first route without lr becomes the Request-URI and the target goes last', () => {
    const { dialog } = dialogs().dialogFor2xx(invite, ok(['<sip:192.0.2.50;lr>', '<sip:192.0.2.40>']), target);
    const bye = dialog.buildRequest('BYE');
    expect(formatUri(bye.uri)).toBe('sip:192.0.2.40');
    expect(bye.getAll('Route')).toEqual(['<sip:192.0.2.50;lr>', '<sip:bob@192.0.2.30:5070>']);
  });

  it('without a route set sends to the remote target, honouring its transport parameter', () => {
    const { dialog } = dialogs().dialogFor2xx(invite, ok([], '<sip:bob@192.0.2.31:5090;transport=tcp>'), target);
    expect(dialog.buildRequest('BYE').has('Route')).toBe(false);
    // The dialog began over UDP, but the target asks for TCP.
    expect(dialog.nextHop()).toEqual({ protocol: 'tcp', address: '192.0.2.31', port: 5090 });
  });

  it('refreshes the remote target from a later Contact', () => {
    const { dialog } = dialogs().dialogFor2xx(invite, ok([]), target);
    dialog.refreshTarget(ok([], '<sip:bob@192.0.2.99:6000>'));
    expect(formatUri(dialog.buildRequest('BYE').uri)).toBe('sip:bob@192.0.2.99:6000');
  });

  it('returns the same dialog for a retransmitted 2xx', () => {
    const layer = dialogs();
    const first = layer.dialogFor2xx(invite, ok([]), target);
    const again = layer.dialogFor2xx(invite, ok([]), target);
    expect(first.created).toBe(true);
    expect(again).toEqual({ dialog: first.dialog, created: false });
    expect(layer.size).toBe(1);
  });
});
