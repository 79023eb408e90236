import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../../../common/src/index.js';
import { startTestRedis, type TestRedis } from '../../../../test/support/redis.js';
import {
  callingDomainEmail,
  createMailer,
  invitationEmail,
  invitationReminderEmail,
  MailError,
  readOutbox,
  type ConfiguredMailer,
} from './index.js';

interface Received {
  from: string;
  to: string[];
  user?: string;
  raw: string;
}

/** Body text as a reader sees it: undo quoted-printable soft breaks and =XX escapes. */
function decodeQp(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** A real SMTP server on loopback, port 0, that records what it accepted. */
async function startSmtp(opts: { requireAuth?: boolean; rejectRcpt?: string } = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: opts.requireAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.requireAuth,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'convene' && auth.password === 's3cret') cb(null, { user: auth.username });
      else cb(new Error('bad credentials'));
    },
    onRcptTo(address, _session, cb) {
      if (opts.rejectRcpt && address.address === opts.rejectRcpt) {
        const err = new Error('mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        cb(err);
      } else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const invitation = invitationEmail({
  to: 'alice.smith@acme.com',
  companyName: 'Acme Corp',
  inviteeName: 'Alice Smith',
  inviterName: 'Bob Admin',
  acceptUrl: 'https://portal.convene.example/accept?token=abc123def456',
  expiresAt: new Date(Date.UTC(2026, 2, 2)),
});

describe('SMTP delivery (real smtp-server on loopback)', () => {
  it('delivers the invitation with its accept link to the SMTP server', async () => {
    const smtp = await startSmtp();
    const mailer = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port, from: 'Convene <no-reply@convene.example>' }, redis: redis.client, from: 'fallback@convene.example' });
    try {
      expect(mailer.transport).toBe('smtp');
      await mailer.send(invitation);
      expect(smtp.received).toHaveLength(1);
      const got = smtp.received[0]!;
      expect(got.from).toBe('no-reply@convene.example');
      expect(got.to).toEqual(['alice.smith@acme.com']);
      expect(got.raw).toMatch(/^Subject: You are invited to join Acme Corp on Convene\r?$/m);
      expect(got.raw).toMatch(/multipart\/alternative/);
      expect(decodeQp(got.raw)).toContain('https://portal.convene.example/accept?token=abc123def456');
      // Nothing went to the outbox.
      expect(await readOutbox(redis.client, { to: 'alice.smith@acme.com' })).toEqual([]);
    } finally {
      mailer.close();
      await smtp.close();
    }
  });

  it('authenticates with the configured user and password', async () => {
    const smtp = await startSmtp({ requireAuth: true });
    const good = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port, user: 'convene', pass: 's3cret' }, redis: redis.client, from: 'no-reply@convene.example' });
    const bad = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port, user: 'convene', pass: 'wrong' }, redis: redis.client, from: 'no-reply@convene.example' });
    try {
      await good.send({ to: 'x@acme.com', subject: 'hi', text: 'hello' });
      expect(smtp.received.map((r) => [r.user, r.from])).toEqual([['convene', 'no-reply@convene.example']]);
      const err = await bad.send({ to: 'x@acme.com', subject: 'hi', text: 'hello' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MailError);
      expect((err as MailError).code).toBe('mail_send_failed');
      expect(smtp.received).toHaveLength(1);
    } finally {
      good.close();
      bad.close();
      await smtp.close();
    }
  });

  it('turns a refused recipient into mail_send_failed with the SMTP response code', async () => {
    const smtp = await startSmtp({ rejectRcpt: 'gone@acme.com' });
    const mailer = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port }, redis: redis.client, from: 'no-reply@convene.example' });
    try {
      const err = await mailer.send({ to: 'gone@acme.com', subject: 's', text: 't' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MailError);
      expect((err as MailError).code).toBe('mail_send_failed');
      expect((err as MailError).details).toMatchObject({ responseCode: 550 });
      expect(smtp.received).toHaveLength(0);
    } finally {
      mailer.close();
      await smtp.close();
    }
  });

  it('refuses header injection and bad recipients before talking to the server', async () => {
    const smtp = await startSmtp();
    const mailer = createMailer({ smtp: { host: '127.0.0.1', port: smtp.port }, redis: redis.client, from: 'no-reply@convene.example' });
    try {
      for (const bad of [
        { to: 'x@acme.com', subject: 'hi\r\nBcc: victim@evil.com', text: 't' },
        { to: 'not-an-address', subject: 'hi', text: 't' },
        { to: 'a@acme.com, b@acme.com', subject: 'hi', text: 't' },
      ]) {
        const err = await mailer.send(bad).catch((e: unknown) => e);
        expect((err as MailError).code).toBe('mail_invalid');
      }
      expect(smtp.received).toHaveLength(0);
    } finally {
      mailer.close();
      await smtp.close();
    }
  });
});

describe('Redis outbox (no SMTP configured)', () => {
  it('keeps mail in the outbox, newest first, filterable by recipient (case-insensitive)', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
    const key = 'test:outbox:1';
    const mailer: ConfiguredMailer = createMailer({ redis: redis.client, from: 'no-reply@convene.example', clock, outboxKey: key });
    expect(mailer.transport).toBe('outbox');
    await mailer.send(invitation);
    clock.advance(1000);
    await mailer.send({ to: 'bob@acme.com', subject: 'second', text: 'two' });
    clock.advance(1000);
    await mailer.send({ to: 'Alice.Smith@acme.com', subject: 'third', text: 'three' });

    const all = await readOutbox(redis.client, { key });
    expect(all.map((m) => m.subject)).toEqual(['third', 'second', invitation.subject]);
    expect(all[2]).toMatchObject({ from: 'no-reply@convene.example', to: 'alice.smith@acme.com', queuedAt: Date.UTC(2026, 0, 5, 12) });
    expect(all[2]!.text).toContain('https://portal.convene.example/accept?token=abc123def456');

    const alice = await readOutbox(redis.client, { key, to: 'ALICE.smith@acme.com' });
    expect(alice.map((m) => m.subject)).toEqual(['third', invitation.subject]);
    expect((await readOutbox(redis.client, { key, limit: 1 })).map((m) => m.subject)).toEqual(['third']);
    expect(await readOutbox(redis.client, { key, to: 'nobody@acme.com' })).toEqual([]);
  });

  it('caps the outbox and skips entries it cannot read', async () => {
    const key = 'test:outbox:2';
    const mailer = createMailer({ redis: redis.client, from: 'no-reply@convene.example', outboxKey: key, outboxMax: 3 });
    for (let i = 0; i < 5; i++) await mailer.send({ to: 'x@acme.com', subject: `m${i}`, text: String(i) });
    expect(await redis.client.lLen(key)).toBe(3);
    await redis.client.lPush(key, ['{not json', JSON.stringify({ hello: 'world' })]);
    expect((await readOutbox(redis.client, { key })).map((m) => m.subject)).toEqual(['m4', 'm3', 'm2']);
  });

  it('validates mail on the outbox path too', async () => {
    const key = 'test:outbox:3';
    const mailer = createMailer({ redis: redis.client, from: 'no-reply@convene.example', outboxKey: key });
    const err = await mailer.send({ to: 'x@acme.com', subject: 'a\nb', text: 't' }).catch((e: unknown) => e);
    expect((err as MailError).code).toBe('mail_invalid');
    expect(await redis.client.lLen(key)).toBe(0);
  });
});

describe('templates', () => {
  it('escapes names in HTML and keeps subjects on one line', () => {
    const m = invitationEmail({
      to: 'a@b.com',
      companyName: 'Evil <script>alert(1)</script>\r\nBcc: x@y.z',
      acceptUrl: 'https://p.example/accept?t=1&u="2"',
      expiresAt: new Date(Date.UTC(2026, 0, 1)),
    });
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('&lt;script&gt;');
    expect(m.html).toContain('href="https://p.example/accept?t=1&amp;u=&quot;2&quot;"');
    expect(m.subject).not.toMatch(/[\r\n]/);
  });

  it('reminders say which reminder they are and carry the accept link', () => {
    const base = { to: 'a@b.com', companyName: 'Acme', acceptUrl: 'https://p.example/a?t=9', expiresAt: new Date(Date.UTC(2026, 2, 1)) };
    const first = invitationReminderEmail({ ...base, which: 'day10' });
    const last = invitationReminderEmail({ ...base, which: 'day30' });
    expect(first.subject).toBe('Reminder: join Acme on Convene');
    expect(last.subject).toBe('Last reminder: join Acme on Convene');
    expect(first.text).toContain('https://p.example/a?t=9');
    expect(last.html).toContain('Last reminder: your invitation to join Acme');
  });

  it('the calling domain email shows the TXT record to create, or says none is needed', () => {
    const record = { name: '_convene-verification.acme.com', type: 'TXT' as const, value: 'convene-verify-0123abcd' };
    const m = callingDomainEmail({ to: 'it@acme.com', companyName: 'Acme', domain: 'acme.com', record, sipTarget: 'sip.convene.example' });
    expect(m.subject).toBe('New calling domain acme.com: DNS instructions');
    expect(m.text).toContain('Name:  _convene-verification.acme.com');
    expect(m.text).toContain('Value: convene-verify-0123abcd');
    expect(m.html).toContain('<code>convene-verify-0123abcd</code>');
    const auto = callingDomainEmail({ to: 'it@acme.com', companyName: 'Acme', domain: 'acme.convene.example', record: null });
    expect(auto.text).toContain('verified automatically');
    expect(auto.text).not.toContain('_convene-verification');
  });
});
