import nodemailer from 'nodemailer';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../../../common/src/index.js';
import { DomainError, defineErrorCodes } from '../../errors.js';
import type { RedisClient } from '../../store/index.js';

export const MailErrors = defineErrorCodes({
  mail_invalid: { http: 400, description: 'The email to send is malformed (recipient, subject or size).' },
  mail_send_failed: { http: 502, description: 'The SMTP server did not accept the email.' },
});

export class MailError extends DomainError {
  constructor(code: keyof typeof MailErrors, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
    this.name = 'MailError';
  }
}

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(mail: Mail): Promise<void>;
}

export interface SmtpSettings {
  host: string;
  port: number;
  /** true: TLS from the first byte (port 465). false: plain, upgraded with STARTTLS when offered. */
  secure?: boolean;
  user?: string;
  pass?: string;
  /** Sender for SMTP mail; falls back to the mailer's `from`. */
  from?: string;
  /** Refuse to send unless STARTTLS succeeds (default false). */
  requireTLS?: boolean;
  /** Verify the server's certificate (default true). */
  rejectUnauthorized?: boolean;
}

export interface MailerOptions {
  /** When set (with a host), mail goes out through this SMTP server; otherwise to the Redis outbox. */
  smtp?: SmtpSettings | null;
  redis: RedisClient;
  /** Default sender, e.g. `Convene <no-reply@convene.example>`. */
  from: string;
  logger?: Logger;
  clock?: Clock;
  /** Redis list holding the outbox (default `conv:admin:outbox`). */
  outboxKey?: string;
  /** Newest entries kept in the outbox (default 1000); older ones are trimmed. */
  outboxMax?: number;
}

export interface OutboxEntry extends Mail {
  id: string;
  from: string;
  /** Epoch milliseconds when the mail was queued. */
  queuedAt: number;
}

export const DEFAULT_OUTBOX_KEY = 'conv:admin:outbox';
const MAX_BODY = 256 * 1024;

// Subjects are header values: CR/LF would let a caller inject headers.
const mailSchema = z.object({
  to: z.email().max(320),
  subject: z.string().min(1).max(998).regex(/^[^\r\n]*$/, 'subject must be one line'),
  text: z.string().max(MAX_BODY),
  html: z.string().max(MAX_BODY).optional(),
});

function validate(mail: Mail): Mail {
  const parsed = mailSchema.safeParse(mail);
  if (!parsed.success) {
    throw new MailError('mail_invalid', 'invalid email', { issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
  }
  return parsed.data;
}

export type ConfiguredMailer = Mailer & { readonly transport: 'smtp' | 'outbox'; close(): void };

/** nodemailer over SMTP when `smtp.host` is configured, otherwise a capped outbox list in Redis. */
export function createMailer(opts: MailerOptions): ConfiguredMailer {
  const clock = opts.clock ?? systemClock;
  if (opts.smtp?.host) {
    const smtp = opts.smtp;
    const from = smtp.from || opts.from;
    const transporter = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure ?? false,
      requireTLS: smtp.requireTLS ?? false,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
      tls: { rejectUnauthorized: smtp.rejectUnauthorized ?? true },
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    return {
      transport: 'smtp',
      async send(mail) {
        const m = validate(mail);
        try {
          const info = await transporter.sendMail({ from, to: m.to, subject: m.subject, text: m.text, ...(m.html ? { html: m.html } : {}) });
          opts.logger?.info({ to: m.to, subject: m.subject, messageId: info.messageId }, 'mail sent');
        } catch (err) {
          const e = err as Error & { code?: string; responseCode?: number };
          opts.logger?.warn({ err, to: m.to }, 'mail send failed');
          throw new MailError('mail_send_failed', `SMTP delivery failed: ${e.message}`, {
            ...(e.code ? { smtpCode: e.code } : {}),
            ...(e.responseCode ? { responseCode: e.responseCode } : {}),
          });
        }
      },
      close: () => transporter.close(),
    };
  }

  const key = opts.outboxKey ?? DEFAULT_OUTBOX_KEY;
  const max = Math.max(1, opts.outboxMax ?? 1000);
  return {
    transport: 'outbox',
    async send(mail) {
      const m = validate(mail);
      const entry: OutboxEntry = { id: randomUUID(), from: opts.from, queuedAt: clock.now(), ...m };
      // Push and trim in one transaction so the list never exceeds its cap.
      await opts.redis.multi().lPush(key, JSON.stringify(entry)).lTrim(key, 0, max - 1).exec();
      opts.logger?.info({ to: m.to, subject: m.subject, id: entry.id }, 'mail queued in outbox');
    },
    close: () => undefined,
  };
}

const entrySchema = z.object({
  id: z.string(),
  from: z.string(),
  queuedAt: z.number(),
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string().optional(),
});

/** Outbox mail, newest first, optionally only to one recipient (case-insensitive). */
export async function readOutbox(
  redis: RedisClient,
  opts: { to?: string; limit?: number; key?: string } = {},
): Promise<OutboxEntry[]> {
  const limit = Math.min(Math.max(1, Math.floor(opts.limit ?? 50)), 1000);
  // The list is capped (outboxMax), so reading it whole to filter by recipient is bounded.
  const raw = await redis.lRange(opts.key ?? DEFAULT_OUTBOX_KEY, 0, opts.to ? -1 : limit - 1);
  const to = opts.to?.toLowerCase();
  const out: OutboxEntry[] = [];
  for (const item of raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(item);
    } catch {
      continue; // a foreign or corrupt entry is skipped, never fatal
    }
    const e = entrySchema.safeParse(parsed);
    if (!e.success) continue;
    if (to && e.data.to.toLowerCase() !== to) continue;
    out.push(e.data);
    if (out.length >= limit) break;
  }
  return out;
}
