/**
 * Outgoing admin email: SMTP through nodemailer when configured, otherwise an outbox list in
 * Redis that the admin API can show (so a laptop install works without an SMTP server).
 */
export {
  createMailer,
  readOutbox,
  MailError,
  MailErrors,
  DEFAULT_OUTBOX_KEY,
  type Mail,
  type Mailer,
  type ConfiguredMailer,
  type MailerOptions,
  type OutboxEntry,
  type SmtpSettings,
} from './mailer.js';
export {
  invitationEmail,
  invitationReminderEmail,
  callingDomainEmail,
  escapeHtml,
  type InvitationMailData,
  type InvitationReminderMailData,
  type CallingDomainMailData,
} from './templates.js';
