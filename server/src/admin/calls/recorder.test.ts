import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../common/src/index.js';
import type { ParticipantSummary } from '../../meetings/events.js';
import type { CallDetailRecord } from '../model.js';
import { CallRecorder } from './recorder.js';

const session = (id: string, joinedAt: number): ParticipantSummary => ({
  participantId: id, meetingId: 'vmr1', companyId: 'co1', roomAddress: 'room@convene.example', kind: 'browser', displayName: `P ${id}`, callerAddress: null,
  role: 'host', mode: 'video', bandwidthKbps: 1200, tier: null, source: '127.0.0.1', joinedAt, answeredAt: joinedAt + 100, call: null,
});

function recorder(clock: ManualClock, write: (cdr: CallDetailRecord) => Promise<void>, retryForMs = 60_000) {
  const registry = new Registry();
  const r = new CallRecorder({
    write, vmrOwner: async () => 'member-1', endpointAt: async () => null, clock, logger: pino({ level: 'silent' }), registry,
    config: { nodeName: 'n1', retryForMs, maxQueued: 100 },
  });
  return { r, metric: async (outcome: string) => (await registry.getSingleMetric('convene_call_records_total')!.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0 };
}

describe('call recorder', () => {
  it('record() returns at once while the store is down; records are stored in order once it is back', async () => {
    const clock = new ManualClock();
    const stored: CallDetailRecord[] = [];
    let storeUp = false;
    const { r, metric } = recorder(clock, async (cdr) => {
      if (!storeUp) throw new Error('ECONNREFUSED');
      stored.push(cdr);
    });
    const t = clock.now();
    r.record(session('a', t - 60_000), 'left', t);
    r.record(session('b', t - 30_000), 'meeting_ended', t);
    await new Promise((res) => setImmediate(res));
    expect(stored).toHaveLength(0);
    expect(r.queued).toBe(2);
    expect(await metric('retried')).toBe(1);
    // Backoff: nothing more is tried until time moves.
    clock.advance(400);
    await new Promise((res) => setImmediate(res));
    expect(await metric('retried')).toBe(1);
    storeUp = true;
    clock.advance(200);
    await r.idle();
    expect(stored.map((c) => c.id)).toEqual(['cdr_a', 'cdr_b']);
    expect(stored[0]).toMatchObject({ durationMs: 60_000, memberId: 'member-1', nodeId: 'n1', participantKind: 'browser', endReason: 'left', joinMode: 'video' });
    expect(await metric('written')).toBe(2);
  });

  it('gives a record up (logged, counted) after retryForMs, and goes on with the next', async () => {
    const clock = new ManualClock();
    const stored: string[] = [];
    const { r, metric } = recorder(clock, async (cdr) => {
      if (cdr.participantId === 'bad') throw new Error('rejected');
      stored.push(cdr.id);
    }, 5_000);
    r.record(session('bad', clock.now()), 'left', clock.now());
    r.record(session('good', clock.now()), 'left', clock.now());
    for (let i = 0; i < 20 && r.queued > 0; i++) {
      await new Promise((res) => setImmediate(res));
      clock.advance(1_000);
    }
    await r.idle();
    expect(stored).toEqual(['cdr_good']);
    expect(await metric('dropped')).toBe(1);
  });
});
