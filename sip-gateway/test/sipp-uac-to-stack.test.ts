/**
 * Acceptance: real sipp as the caller against a small UAS built on the stack, over UDP, TCP and
 * TLS (sipp → socat → our TLS listener, because Debian's sipp has no TLS), plus CANCEL before the
 * answer (our stack must send 200 to the CANCEL and 487 to the INVITE).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, SipStack } from '../src/sip/index.js';
import { countMessages, freePort, runSipp } from './support/sipp.js';
import { port, startStack, waitUntil } from './support/stack.js';
import { makeSelfSignedCert, startTlsBridge, type TestCert } from './support/tls.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';

let stack: SipStack;
let cert: TestCert;
let bridge: ChildProcess | undefined;
const ended: string[] = [];

beforeAll(async () => {
  cert = makeSelfSignedCert();
  ({ stack } = await startStack({
    transports: [
      { protocol: 'udp', host: '127.0.0.1', port: 0 },
      { protocol: 'tcp', host: '127.0.0.1', port: 0 },
      { protocol: 'tls', host: '127.0.0.1', port: 0 },
      { protocol: 'udp', host: '::1', port: 0 },
    ],
    tls: { cert: cert.cert, key: cert.key },
  }));
  stack.handle('INVITE', (req) => {
    // Request-URI user "slow" rings without answering, so the caller can CANCEL.
    const user = req.request.uri.scheme === 'sip' && 'user' in req.request.uri ? req.request.uri.user : undefined;
    req.respond(180);
    if (user === 'slow') return;
    const dialog: Dialog = req.accept({ body: SDP });
    dialog.events.on('terminated', (reason) => ended.push(reason));
  });
});

afterAll(async () => {
  bridge?.kill();
  await stack.stop();
  cert.remove();
});

describe('sipp UAC → stack UAS', () => {
  it.each([
    ['udp', 'u1'],
    ['tcp', 't1'],
  ] as const)('completes INVITE/200/ACK/BYE calls over %s', async (protocol, mode) => {
    const before = ended.filter((r) => r === 'remote_bye').length;
    const run = await runSipp({
      scenario: { builtin: 'uac' },
      remote: `127.0.0.1:${port(stack, protocol)}`,
      transport: mode,
      localPort: await freePort(),
      calls: 5,
      timeoutSeconds: 30,
      extra: ['-r', '10', '-s', 'room'],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stats['SuccessfulCall(C)']).toBe('5');
    expect(run.stats['FailedCall(C)']).toBe('0');
    await waitUntil(() => ended.filter((r) => r === 'remote_bye').length - before === 5);
  });

  it('completes calls over UDP on IPv6 (::1)', async () => {
    const before = ended.filter((r) => r === 'remote_bye').length;
    const run = await runSipp({
      scenario: { builtin: 'uac' },
      remote: `[::1]:${port(stack, 'udp', 6)}`,
      localIp: '::1',
      localPort: await freePort('::1'),
      calls: 3,
      timeoutSeconds: 30,
      extra: ['-r', '10', '-s', 'room'],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stats['SuccessfulCall(C)']).toBe('3');
    await waitUntil(() => ended.filter((r) => r === 'remote_bye').length - before === 3);
  });

  it('completes calls over TLS', async () => {
    const bridgePort = await freePort();
    bridge = await startTlsBridge(bridgePort, port(stack, 'tls'), cert.certFile);
    const before = ended.filter((r) => r === 'remote_bye').length;
    const run = await runSipp({
      scenario: { builtin: 'uac' },
      remote: `127.0.0.1:${bridgePort}`,
      transport: 't1',
      localPort: await freePort(),
      calls: 3,
      timeoutSeconds: 30,
      extra: ['-r', '5', '-s', 'room'],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stats['SuccessfulCall(C)']).toBe('3');
    await waitUntil(() => ended.filter((r) => r === 'remote_bye').length - before === 3);
  });

  it('answers CANCEL before the answer with 200, and the INVITE with 487', async () => {
    const run = await runSipp({
      scenario: { file: join(import.meta.dirname, 'sipp', 'uac-cancel.xml') },
      remote: `127.0.0.1:${port(stack, 'udp')}`,
      transport: 'u1',
      localPort: await freePort(),
      calls: 2,
      timeoutSeconds: 30,
      extra: ['-s', 'slow'],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(countMessages(run.messages, 'received', /^SIP\/2\.0 200 .*/)).toBe(2); // 200 to CANCEL
    expect(countMessages(run.messages, 'received', /^SIP\/2\.0 487 /)).toBe(2);
  });
});
