import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ManualClock } from '../../../../common/src/index.js';
import { DAY_MS, dueInvitationAction, invitationExpiresAt, InvitationJob, type Invitation, type ReminderKind } from './index.js';

const HOUR = 60 * 60 * 1000;

describe('dueInvitationAction (pure rules)', () => {
  const t0 = Date.UTC(2026, 0, 1);
  const inv = (sent: ReminderKind[] = []): Invitation => ({ id: 'i1', createdAt: t0, remindersSent: sent });

  it('does nothing before day 10', () => {
    expect(dueInvitationAction(inv(), t0)).toBeNull();
    expect(dueInvitationAction(inv(), t0 + 10 * DAY_MS - 1)).toBeNull();
  });

  it('re-sends at day 10 exactly, once', () => {
    expect(dueInvitationAction(inv(), t0 + 10 * DAY_MS)).toEqual({ kind: 'resend', which: 'day10' });
    expect(dueInvitationAction(inv(['day10']), t0 + 10 * DAY_MS)).toBeNull();
    expect(dueInvitationAction(inv(['day10']), t0 + 30 * DAY_MS - 1)).toBeNull();
  });

  it('re-sends at day 30 exactly, once; a missed day-10 reminder is not sent late', () => {
    expect(dueInvitationAction(inv(['day10']), t0 + 30 * DAY_MS)).toEqual({ kind: 'resend', which: 'day30' });
    expect(dueInvitationAction(inv([]), t0 + 31 * DAY_MS)).toEqual({ kind: 'resend', which: 'day30' });
    expect(dueInvitationAction(inv(['day10', 'day30']), t0 + 60 * DAY_MS - 1)).toBeNull();
  });

  it('expires at day 60 exactly, whatever was sent', () => {
    expect(dueInvitationAction(inv(['day10', 'day30']), t0 + 60 * DAY_MS)).toEqual({ kind: 'expire' });
    expect(dueInvitationAction(inv([]), t0 + 90 * DAY_MS)).toEqual({ kind: 'expire' });
    expect(invitationExpiresAt({ createdAt: new Date(t0) }).toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });

  it('never touches an accepted invitation', () => {
    expect(dueInvitationAction({ ...inv(), acceptedAt: t0 + DAY_MS }, t0 + 61 * DAY_MS)).toBeNull();
  });
});

/** A small persisted store of invitations, as the admin model would keep them (copies, not shared objects). */
function invitationStore(clock: ManualClock) {
  const rows = new Map<string, Invitation>();
  const mails: { id: string; which: ReminderKind; at: number }[] = [];
  const expired: { id: string; at: number }[] = [];
  return {
    rows,
    mails,
    expired,
    add(id: string) {
      rows.set(id, { id, createdAt: clock.now(), remindersSent: [] });
    },
    listPending: async () => [...rows.values()].map((r) => ({ ...r, remindersSent: [...(r.remindersSent ?? [])] })),
    resend: async (inv: Invitation, which: ReminderKind) => {
      mails.push({ id: inv.id, which, at: clock.now() });
      const row = rows.get(inv.id);
      if (row) row.remindersSent = [...(row.remindersSent ?? []), which];
    },
    expire: async (inv: Invitation) => {
      expired.push({ id: inv.id, at: clock.now() });
      rows.delete(inv.id);
    },
  };
}

describe('InvitationJob on a manual clock', () => {
  it('walks one invitation through days 9, 10, 29, 30, 59 and 60', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = invitationStore(clock);
    const t0 = clock.now();
    store.add('alice');
    const registry = new Registry();
    const job = new InvitationJob({ clock, intervalMs: HOUR, ...store, registry });
    job.start();
    const at = async (day: number) => {
      clock.advance(t0 + day * DAY_MS - clock.now());
      await job.idle();
    };

    await at(9);
    expect(store.mails).toEqual([]);
    await at(10);
    expect(store.mails).toEqual([{ id: 'alice', which: 'day10', at: t0 + 10 * DAY_MS }]);
    await at(29);
    expect(store.mails).toHaveLength(1);
    await at(30);
    expect(store.mails.map((m) => m.which)).toEqual(['day10', 'day30']);
    expect(store.mails[1]!.at).toBe(t0 + 30 * DAY_MS);
    await at(59);
    expect(store.expired).toEqual([]);
    expect(store.rows.has('alice')).toBe(true);
    await at(60);
    expect(store.expired).toEqual([{ id: 'alice', at: t0 + 60 * DAY_MS }]);
    expect(store.rows.has('alice')).toBe(false);
    await at(70);
    expect(store.mails).toHaveLength(2);
    expect(store.expired).toHaveLength(1);
    job.stop();
    expect(clock.pendingTimers).toBe(0);

    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find((m) => m.name === name)?.values.reduce((s, v) => s + v.value, 0);
    expect(value('convene_invitation_reminders_total')).toBe(2);
    expect(value('convene_invitations_expired_total')).toBe(1);
  });

  it('handles staggered invitations independently', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1));
    const store = invitationStore(clock);
    const job = new InvitationJob({ clock, intervalMs: HOUR, ...store });
    job.start();
    store.add('a');
    clock.advance(5 * DAY_MS);
    await job.idle();
    store.add('b');
    clock.advance(5 * DAY_MS); // a at day 10, b at day 5
    await job.idle();
    expect(store.mails.map((m) => `${m.id}:${m.which}`)).toEqual(['a:day10']);
    clock.advance(5 * DAY_MS); // a at 15, b at 10
    await job.idle();
    expect(store.mails.map((m) => `${m.id}:${m.which}`)).toEqual(['a:day10', 'b:day10']);
    clock.advance(50 * DAY_MS); // a at 65, b at 60
    await job.idle();
    // The day-30 reminders were due inside that jump, but the invitations are now past 60 days: deleted, not reminded.
    expect(store.expired.map((e) => e.id).sort()).toEqual(['a', 'b']);
    expect(store.mails).toHaveLength(2);
    job.stop();
  });

  it('is idempotent on the objects it is given when the callbacks do not persist', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const inv: Invitation = { id: 'x', createdAt: clock.now() };
    const sent: ReminderKind[] = [];
    const job = new InvitationJob({
      clock,
      intervalMs: HOUR,
      listPending: async () => [inv],
      resend: async (_i, which) => void sent.push(which),
      expire: async () => undefined,
    });
    clock.advance(11 * DAY_MS);
    const first = await job.runOnce();
    const second = await job.runOnce();
    expect(first.resent).toEqual([{ id: 'x', which: 'day10' }]);
    expect(second.resent).toEqual([]);
    expect(sent).toEqual(['day10']);
    expect(inv.remindersSent).toEqual(['day10']);
  });

  it('retries a reminder whose mail failed, on the next tick, without double-sending', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = invitationStore(clock);
    store.add('flaky');
    let failuresLeft = 1;
    const job = new InvitationJob({
      clock,
      intervalMs: HOUR,
      listPending: store.listPending,
      expire: store.expire,
      resend: async (inv, which) => {
        if (failuresLeft-- > 0) throw new Error('SMTP down');
        await store.resend(inv, which);
      },
    });
    const errors: unknown[] = [];
    job.on('error', (err) => errors.push(err));
    clock.advance(10 * DAY_MS);
    const failed = await job.runOnce();
    expect(failed.failed).toEqual([{ id: 'flaky', action: 'resend', error: 'SMTP down' }]);
    expect(store.mails).toEqual([]);
    expect(errors).toHaveLength(1);
    clock.advance(HOUR);
    expect((await job.runOnce()).resent).toEqual([{ id: 'flaky', which: 'day10' }]);
    clock.advance(5 * HOUR);
    expect((await job.runOnce()).resent).toEqual([]);
    expect(store.mails.map((m) => m.which)).toEqual(['day10']);
  });

  it('survives a failing listPending and goes on at the next tick', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const store = invitationStore(clock);
    store.add('z');
    let down = true;
    const job = new InvitationJob({ clock, intervalMs: HOUR, ...store, listPending: async () => (down ? Promise.reject(new Error('store down')) : store.listPending()) });
    job.on('error', () => undefined);
    job.start();
    clock.advance(10 * DAY_MS);
    await job.idle();
    expect(store.mails).toEqual([]);
    down = false;
    clock.advance(HOUR);
    await job.idle();
    expect(store.mails.map((m) => m.id)).toEqual(['z']);
    job.stop();
  });

  it('rejects a non-positive interval', () => {
    const clock = new ManualClock();
    expect(() => new InvitationJob({ clock, intervalMs: 0, listPending: async () => [], resend: async () => undefined, expire: async () => undefined })).toThrow();
  });
});
