/**
 * Seed 001's invitation schedule as pure rules: an unanswered invitation is re-sent at 10 days
 * and again at 30 days, and deleted together with the invitee's personal data at 60 days.
 * Days are exact 24-hour periods after the invitation was first sent (no calendar/DST effects).
 */
export const DAY_MS = 24 * 60 * 60 * 1000;

export const INVITATION_SCHEDULE = {
  day10: 10 * DAY_MS,
  day30: 30 * DAY_MS,
  expire: 60 * DAY_MS,
} as const;

export type ReminderKind = 'day10' | 'day30';

/** The fields the schedule needs; the admin model's invitation record may carry more. */
export interface Invitation {
  id: string;
  /** When the original invitation was sent (epoch ms or Date). */
  createdAt: number | Date;
  /** Reminders already sent. Absent means none. */
  remindersSent?: ReminderKind[];
  /** Set once the invitee accepted; such an invitation is never reminded or expired. */
  acceptedAt?: number | Date | null;
}

export type InvitationAction = { kind: 'resend'; which: ReminderKind } | { kind: 'expire' };

const ms = (t: number | Date): number => (typeof t === 'number' ? t : t.getTime());

/**
 * What is due for `inv` at `now`, or null. At most one action per call:
 * - from day 60: expire (whatever reminders were or were not sent);
 * - from day 30, if the day-30 reminder is not sent: the day-30 reminder. A day-10 reminder that
 *   was missed (job down for weeks) is then skipped, not sent late: the invitee gets one mail.
 * - from day 10 (before day 30), if not sent: the day-10 reminder.
 */
export function dueInvitationAction(inv: Invitation, now: number): InvitationAction | null {
  if (inv.acceptedAt != null) return null;
  const age = now - ms(inv.createdAt);
  const sent = inv.remindersSent ?? [];
  if (age >= INVITATION_SCHEDULE.expire) return { kind: 'expire' };
  if (age >= INVITATION_SCHEDULE.day30) return sent.includes('day30') ? null : { kind: 'resend', which: 'day30' };
  if (age >= INVITATION_SCHEDULE.day10) return sent.includes('day10') ? null : { kind: 'resend', which: 'day10' };
  return null;
}

/** When the invitation (and the invitee's personal data) is deleted if still unanswered. */
export function invitationExpiresAt(inv: Pick<Invitation, 'createdAt'>): Date {
  return new Date(ms(inv.createdAt) + INVITATION_SCHEDULE.expire);
}
