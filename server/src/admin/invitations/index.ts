/** Invitation reminders and expiry (seed 001: re-send at 10 and 30 days, delete at 60 days). */
export {
  DAY_MS,
  INVITATION_SCHEDULE,
  dueInvitationAction,
  invitationExpiresAt,
  type Invitation,
  type InvitationAction,
  type ReminderKind,
} from './schedule.js';
export { InvitationJob, type InvitationJobOptions, type InvitationTickReport } from './job.js';
