/**
 * Dialog behaviour between two stacks over real loopback UDP: re-INVITE, UPDATE, BYE from either
 * side, offerless INVITE (offer in 200, answer in ACK), RFC 4028 session timers (refresh and
 * expiry, time moved with ManualClock), CSeq ordering and 481 for unknown dialogs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/src/index.js';
import type { Dialog, IncomingRequest, SipStack } from '../src/sip/index.js';
import { port, startStack, waitUntil } from './support/stack.js';

const OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=offer\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const ANSWER = 'v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=answer\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n';

const stacks: SipStack[] = [];
afterEach(async () => {
  await Promise.all(stacks.splice(0).map((s) => s.stop()));
});

async function pair(opts: { calleeClock?: ManualClock; callerClock?: ManualClock } = {}) {
  const { stack: callee } = await startStack({}, opts.calleeClock);
  const { stack: caller } = await startStack({}, opts.callerClock);
  stacks.push(callee, caller);
  const uasDialogs: Dialog[] = [];
  const invites: IncomingRequest[] = [];
  callee.handle('INVITE', (req) => {
    invites.push(req);
    uasDialogs.push(req.accept({ body: req.request.body.length > 0 ? ANSWER : OFFER }));
  });
  return { callee, caller, uasDialogs, invites, uri: `sip:room@127.0.0.1:${port(callee, 'udp')}` };
}

async function call(caller: SipStack, uri: string, extra: Parameters<SipStack['invite']>[0] = { uri }) {
  const result = await caller.invite({ ...extra, uri }).result;
  if (!result.ok) throw new Error(`call failed: ${result.reason} ${result.status ?? ''}`);
  return result.dialog;
}

describe('dialogs', () => {
  it('runs a re-INVITE and an UPDATE in both directions and hangs up from the callee side', async () => {
    const { caller, uri, uasDialogs } = await pair();
    const uac = await call(caller, uri, { uri, body: OFFER });
    await waitUntil(() => uasDialogs.length === 1);
    const uas = uasDialogs[0]!;
    const seen: string[] = [];
    uas.events.on('request', (req) => {
      seen.push(`${req.method}:${req.request.body.toString().includes('s=reoffer')}`);
      req.accept({ body: ANSWER.replace('s=answer', 's=reanswer') });
    });
    const re = await uac.reinvite({ body: OFFER.replace('s=offer', 's=reoffer') });
    expect(re.status).toBe(200);
    expect(uac.remoteBody?.toString()).toContain('s=reanswer');
    const upd = await uac.request('UPDATE');
    expect(upd.status).toBe(200);
    expect(seen).toEqual(['INVITE:true', 'UPDATE:false']);
    // The callee sends its own in-dialog request: its CSeq space is separate from the caller's.
    const info = await uas.request('INFO', { body: 'signal=1', contentType: 'application/dtmf-relay' });
    expect(info.status).toBe(200);
    const ended = uac.events.waitFor('terminated', 5_000);
    await uas.bye();
    expect(await ended).toEqual(['remote_bye']);
    await waitUntil(() => caller.dialogCount === 0);
  });

  it('handles an INVITE without SDP: offer in the 200, answer in the ACK', async () => {
    const { caller, uri, uasDialogs } = await pair();
    const offers: string[] = [];
    const uac = await call(caller, uri, {
      uri,
      answer: (offer) => {
        offers.push(offer.toString());
        return ANSWER;
      },
    });
    expect(offers).toEqual([OFFER]);
    await waitUntil(() => uasDialogs.length === 1);
    await waitUntil(() => !uasDialogs[0]!.awaitingAck);
    expect(uasDialogs[0]!.remoteBody?.toString()).toBe(ANSWER);
    await uac.bye();
  });

  it('answers an out-of-order CSeq with 500 and an unknown dialog with 481 (which ends the caller dialog)', async () => {
    const { caller, uri, uasDialogs } = await pair();
    const uac = await call(caller, uri, { uri, body: OFFER });
    await waitUntil(() => uasDialogs.length === 1);
    uac.localSeq = 0; // next request reuses CSeq 1, already used by the INVITE
    expect((await uac.request('INFO')).status).toBe(500);
    uasDialogs[0]!.terminate('stopped'); // the callee forgets the call without a BYE
    const res = await uac.request('INFO');
    expect(res.status).toBe(481);
    expect(uac.terminated).toBe(true);
  });

  it('refreshes the session with UPDATE at half the interval when we are the refresher (RFC 4028)', async () => {
    const callerClock = new ManualClock(Date.now());
    const { caller, uri, uasDialogs } = await pair({ callerClock });
    const uac = await call(caller, uri, { uri, body: OFFER, headers: { 'Session-Expires': '120;refresher=uac', Supported: 'timer' } });
    await waitUntil(() => uasDialogs.length === 1);
    const updates: string[] = [];
    uasDialogs[0]!.events.on('request', (req) => {
      updates.push(req.request.get('Session-Expires') ?? '');
      req.accept();
    });
    callerClock.advance(59_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(updates).toEqual([]);
    callerClock.advance(1_000);
    await waitUntil(() => updates.length === 1);
    expect(updates[0]).toMatch(/^120;refresher=uac/);
    expect(uac.terminated).toBe(false);
  });

  it('sends BYE when the refresher never refreshes (RFC 4028 expiry)', async () => {
    const calleeClock = new ManualClock(Date.now());
    const { caller, uri, uasDialogs } = await pair({ calleeClock });
    const uac = await call(caller, uri, { uri, body: OFFER, headers: { 'Session-Expires': '90;refresher=uac', Supported: 'timer' } });
    await waitUntil(() => uasDialogs.length === 1 && !uasDialogs[0]!.awaitingAck);
    const ended = uac.events.waitFor('terminated', 5_000);
    const uasEnded = uasDialogs[0]!.events.waitFor('terminated', 5_000);
    // 200 carried Session-Expires with the caller as refresher; it never refreshes (its clock is frozen).
    calleeClock.advance(90_000 - 30_000);
    expect(await uasEnded).toEqual(['session_expired']);
    expect(await ended).toEqual(['remote_bye']);
  });

  it('refuses a session interval below Min-SE with 422, and confirms an acceptable one with Require: timer', async () => {
    const { stack: callee } = await startStack();
    stacks.push(callee);
    callee.handle('INVITE', (req) => void req.accept({ body: ANSWER }));
    const { stack: caller } = await startStack();
    stacks.push(caller);
    const uri = `sip:room@127.0.0.1:${port(callee, 'udp')}`;
    const tooSmall = await caller.invite({ uri, body: OFFER, headers: { 'Session-Expires': '30', Supported: 'timer' } }).result;
    expect(tooSmall).toMatchObject({ ok: false, status: 422 });
    expect(!tooSmall.ok && tooSmall.response?.get('Min-SE')).toBe('90');
    const result = await caller.invite({ uri, body: OFFER, headers: { 'Session-Expires': '120', Supported: 'timer' } }).result;
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // No refresher named by the caller, who supports timers: the caller refreshes.
    expect(result.response.get('Session-Expires')).toBe('120;refresher=uac');
    expect(result.response.get('Require')).toBe('timer');
    await result.dialog.bye();
  });

  it('settles a pending outgoing INVITE with reason "stopped" when the stack stops', async () => {
    const { stack: callee } = await startStack();
    stacks.push(callee);
    callee.handle('INVITE', (req) => req.respond(180));
    const { stack: caller } = await startStack();
    const call = caller.invite({ uri: `sip:room@127.0.0.1:${port(callee, 'udp')}`, body: OFFER });
    await call.events.waitFor('provisional', 5_000);
    await caller.stop();
    expect(await call.result).toMatchObject({ ok: false, reason: 'stopped' });
  });
});
