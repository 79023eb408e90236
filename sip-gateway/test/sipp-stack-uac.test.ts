/**
 * Acceptance: the stack as the caller (UAC) against real sipp callees, and the stack as callee
 * against a sipp caller that never ACKs. Retransmissions are asserted by counting what sipp saw
 * and by the stack's own metrics, never by timing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import type { SipStack } from '../src/sip/index.js';
import { countMessages, freePort, runSipp, startSipp, waitForUdpPort } from './support/sipp.js';
import { fastTimers, metricValue, port, startStack, waitUntil } from './support/stack.js';

const SDP = 'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';
const scenario = (name: string) => ({ file: join(import.meta.dirname, 'sipp', name) });

let stack: SipStack;
let registry: Registry;

beforeAll(async () => {
  ({ stack, registry } = await startStack());
});
afterAll(async () => {
  await stack.stop();
});

async function sippCallee(name: { builtin: string } | { file: string }, calls: number, extra: string[] = []) {
  const sippPort = await freePort();
  const sipp = startSipp({ scenario: name, localPort: sippPort, calls, timeoutSeconds: 30, extra });
  await waitForUdpPort(sippPort);
  return { sipp, uri: `sip:callee@127.0.0.1:${sippPort}` };
}

describe('stack UAC → sipp UAS', () => {
  it('places calls: INVITE, 200, ACK, then BYE from our side', async () => {
    const { sipp, uri } = await sippCallee({ builtin: 'uas' }, 3);
    for (let i = 0; i < 3; i++) {
      const call = stack.invite({ uri, body: SDP });
      const result = await call.result;
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(result.response.status).toBe(200);
      expect(result.dialog.remoteBody?.toString()).toContain('m=audio');
      await result.dialog.bye();
    }
    const run = await sipp.done;
    expect(run.code, run.stderr).toBe(0);
    expect(countMessages(run.messages, 'received', /^ACK /)).toBe(3);
    expect(countMessages(run.messages, 'received', /^BYE /)).toBe(3);
  });

  it('retransmits INVITE and BYE while the callee stays silent (Timer A / Timer E)', async () => {
    const ictBefore = await metricValue(registry, 'sip_retransmissions_total', { kind: 'ict', method: 'INVITE' });
    const nictBefore = await metricValue(registry, 'sip_retransmissions_total', { kind: 'nict', method: 'BYE' });
    // Silent for 5*T1: Timer A fires at T1, 3*T1 (doubling), so at least two INVITE copies follow.
    const { sipp, uri } = await sippCallee(scenario('uas-slow.xml'), 1, ['-d', String(fastTimers.T1 * 5)]);
    const result = await stack.invite({ uri, body: SDP }).result;
    expect(result.ok).toBe(true);
    if (result.ok) await result.dialog.bye();
    const run = await sipp.done;
    expect(run.code, run.stderr).toBe(0);
    expect(countMessages(run.messages, 'received', /^INVITE /)).toBeGreaterThanOrEqual(2);
    expect(countMessages(run.messages, 'received', /^BYE /)).toBeGreaterThanOrEqual(2);
    expect(await metricValue(registry, 'sip_retransmissions_total', { kind: 'ict', method: 'INVITE' })).toBeGreaterThan(ictBefore);
    expect(await metricValue(registry, 'sip_retransmissions_total', { kind: 'nict', method: 'BYE' })).toBeGreaterThan(nictBefore);
  });

  it('cancels a ringing call: the callee answers 200 to CANCEL and 487 to the INVITE, which we ACK', async () => {
    const { sipp, uri } = await sippCallee(scenario('uas-cancel.xml'), 1);
    const call = stack.invite({ uri, body: SDP });
    call.events.on('provisional', (res) => {
      if (res.status === 180) call.cancel();
    });
    const result = await call.result;
    expect(result).toMatchObject({ ok: false, reason: 'cancelled', status: 487 });
    const run = await sipp.done;
    expect(run.code, run.stderr).toBe(0);
    expect(countMessages(run.messages, 'received', /^CANCEL /)).toBe(1);
    expect(countMessages(run.messages, 'received', /^ACK /)).toBe(1);
  });
});

describe('stack UAS ← sipp UAC that never ACKs', () => {
  it('retransmits the 200 until 64*T1, then ends the call with BYE', async () => {
    const ended: string[] = [];
    stack.handle('INVITE', (req) => {
      const dialog = req.accept({ body: SDP });
      dialog.events.on('terminated', (reason) => ended.push(reason));
    });
    const before = await metricValue(registry, 'sip_retransmissions_total', { kind: 'ist', method: 'INVITE' });
    const run = await runSipp({
      scenario: scenario('uac-no-ack.xml'),
      remote: `127.0.0.1:${port(stack, 'udp')}`,
      localPort: await freePort(),
      calls: 1,
      timeoutSeconds: 30,
      extra: ['-s', 'room'],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(countMessages(run.messages, 'received', /^SIP\/2\.0 200 /)).toBeGreaterThanOrEqual(3);
    expect(countMessages(run.messages, 'received', /^BYE /)).toBe(1);
    expect(ended).toEqual(['ack_timeout']);
    expect(await metricValue(registry, 'sip_retransmissions_total', { kind: 'ist', method: 'INVITE' })).toBeGreaterThanOrEqual(before + 2);
    await waitUntil(() => stack.dialogCount === 0);
  });
});
