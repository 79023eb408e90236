import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { Emitter, type Clock, type TimerHandle } from '../../../../common/src/index.js';
import { dueInvitationAction, type Invitation, type ReminderKind } from './schedule.js';

export interface InvitationJobOptions<T extends Invitation> {
  clock: Clock;
  /** How often to look for due invitations (e.g. one hour). */
  intervalMs: number;
  /** All invitations not yet accepted or deleted. */
  listPending: () => Promise<T[]>;
  /**
   * Re-send the invitation mail and PERSIST that reminder `which` was sent (add it to the stored
   * invitation's `remindersSent`), ideally only if it was not already there (so two nodes never
   * both mail). Throw to have it retried on the next tick.
   */
  resend: (inv: T, which: ReminderKind) => Promise<void>;
  /** Delete the invitation and the invitee's personal data. Must tolerate an already-deleted one. */
  expire: (inv: T) => Promise<void>;
  logger?: Logger;
  /** Metrics go here (never the global registry). */
  registry?: Registry;
}

export interface InvitationTickReport {
  at: number;
  resent: { id: string; which: ReminderKind }[];
  expired: string[];
  failed: { id: string; action: 'resend' | 'expire'; error: string }[];
}

type InvitationJobEvents<T> = {
  resent: [inv: T, which: ReminderKind];
  expired: [inv: T];
  tick: [report: InvitationTickReport];
  error: [err: unknown, inv: T | undefined];
};

/**
 * Runs the invitation schedule every `intervalMs` on the injected clock.
 *
 * Idempotency: the `resend` callback persists the reminder (see its doc); the job ALSO records it
 * on the object it was given (`inv.remindersSent`), so a caller whose `listPending` returns the
 * same objects is idempotent as well. A failed action is not recorded and is retried next tick.
 * Runs never overlap: a timer that fires while a run is in progress asks for one more run after it.
 */
export class InvitationJob<T extends Invitation = Invitation> extends Emitter<InvitationJobEvents<T>> {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private started = false;
  private readonly metrics: { reminders: Counter<'which'>; expired: Counter; failures: Counter<'action'> } | undefined;

  constructor(private readonly opts: InvitationJobOptions<T>) {
    super((event, err) => opts.logger?.error({ err, event }, 'invitation job listener failed'));
    if (!(opts.intervalMs > 0)) throw new Error('intervalMs must be positive');
    if (opts.registry) {
      const registers = [opts.registry];
      this.metrics = {
        reminders: new Counter({ name: 'convene_invitation_reminders_total', help: 'Invitation reminders sent', labelNames: ['which'], registers }),
        expired: new Counter({ name: 'convene_invitations_expired_total', help: 'Unanswered invitations deleted at 60 days', registers }),
        failures: new Counter({ name: 'convene_invitation_job_failures_total', help: 'Invitation actions that failed (retried next tick)', labelNames: ['action'], registers }),
      };
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule();
  }

  stop(): void {
    this.started = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Resolves once no run is in progress or queued (tests: after `clock.advance()`). */
  async idle(): Promise<void> {
    // Bounded: each loop awaits one run; a run queues at most one rerun.
    for (let i = 0; i < 100 && this.running; i++) await this.running;
  }

  /** Runs one pass now (also what the timer does) and reports what it did. */
  async runOnce(): Promise<InvitationTickReport> {
    const { clock, listPending, resend, expire, logger } = this.opts;
    const pending = await listPending();
    // Read the time after listing: with a manual clock the pass sees the latest time.
    const now = clock.now();
    const report: InvitationTickReport = { at: now, resent: [], expired: [], failed: [] };
    for (const inv of pending) {
      const action = dueInvitationAction(inv, now);
      if (!action) continue;
      try {
        if (action.kind === 'resend') {
          await resend(inv, action.which);
          inv.remindersSent = [...(inv.remindersSent ?? []).filter((w) => w !== action.which), action.which];
          report.resent.push({ id: inv.id, which: action.which });
          this.metrics?.reminders.inc({ which: action.which });
          this.emit('resent', inv, action.which);
        } else {
          await expire(inv);
          report.expired.push(inv.id);
          this.metrics?.expired.inc();
          this.emit('expired', inv);
        }
      } catch (err) {
        const actionName = action.kind;
        report.failed.push({ id: inv.id, action: actionName, error: err instanceof Error ? err.message : String(err) });
        this.metrics?.failures.inc({ action: actionName });
        logger?.warn({ err, invitationId: inv.id, action: actionName }, 'invitation action failed; will retry');
        this.emit('error', err, inv);
      }
    }
    if (report.resent.length || report.expired.length || report.failed.length) {
      logger?.info({ resent: report.resent.length, expired: report.expired.length, failed: report.failed.length }, 'invitation job pass');
    }
    this.emit('tick', report);
    return report;
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      if (!this.started) return;
      this.schedule();
      this.trigger();
    }, this.opts.intervalMs);
  }

  private trigger(): void {
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = (async () => {
      try {
        do {
          this.rerun = false;
          await this.runOnce().catch((err: unknown) => {
            // listPending failed (store down): log and wait for the next tick.
            this.opts.logger?.warn({ err }, 'invitation job pass failed');
            this.emit('error', err, undefined);
          });
        } while (this.rerun);
      } finally {
        this.running = undefined;
      }
    })();
  }
}
