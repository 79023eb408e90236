/**
 * Stack to stack over TLS (certificate verified against the self-signed CA made by openssl) and
 * over TCP on IPv6: the caller's INVITE opens one connection, and every later request in the
 * dialog, from either side, reuses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, SipStack } from '../src/sip/index.js';
import { port, startStack, waitUntil } from './support/stack.js';
import { makeSelfSignedCert, type TestCert } from './support/tls.js';

let cert: TestCert;
let callee: SipStack;
let caller: SipStack;
const uasDialogs: Dialog[] = [];

beforeAll(async () => {
  cert = makeSelfSignedCert();
  const transports = [
    { protocol: 'tls' as const, host: '127.0.0.1', port: 0 },
    { protocol: 'tcp' as const, host: '::1', port: 0 },
  ];
  const tls = { cert: cert.cert, key: cert.key, ca: cert.cert, rejectUnauthorized: true };
  ({ stack: callee } = await startStack({ transports, tls }));
  ({ stack: caller } = await startStack({ transports, tls }));
  callee.handle('INVITE', (req) => void uasDialogs.push(req.accept({ body: 'v=0\r\n' })));
});

afterAll(async () => {
  await caller.stop();
  await callee.stop();
  cert.remove();
});

describe('connection-oriented transports between two stacks', () => {
  it.each([
    ['TLS over IPv4', `sip:room@127.0.0.1:PORT;transport=tls`, 'tls', 4],
    ['TCP over IPv6', `sip:room@[::1]:PORT;transport=tcp`, 'tcp', 6],
  ] as const)('%s: call, in-dialog requests both ways, BYE, all on one connection', async (_name, uriTemplate, protocol, family) => {
    const before = uasDialogs.length;
    const connsBefore = [caller.connectionCount, callee.connectionCount];
    const uri = uriTemplate.replace('PORT', String(port(callee, protocol, family)));
    const result = await caller.invite({ uri, body: 'v=0\r\n' }).result;
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.response.topVia.transport).toBe(protocol.toUpperCase());
    await waitUntil(() => uasDialogs.length === before + 1 && !uasDialogs[before]!.awaitingAck);
    const uas = uasDialogs[before]!;
    expect((await result.dialog.request('INFO')).status).toBe(200);
    expect((await uas.request('INFO')).status).toBe(200);
    // One new connection, opened by the caller and accepted by the callee, carried everything.
    expect([caller.connectionCount, callee.connectionCount]).toEqual(connsBefore.map((n) => n + 1));
    const ended = result.dialog.events.waitFor('terminated', 5_000);
    await uas.bye();
    expect(await ended).toEqual(['remote_bye']);
  });
});
