import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { companyWithPlans, startHarness, str, type Harness } from '../testing.js';

interface Received {
  to: string[];
  raw: string;
}

let smtp: SMTPServer;
let port = 0;
const received: Received[] = [];
let h: Harness;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const addr = smtp.server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  h = await startHarness({ smtp: { host: '127.0.0.1', port, secure: false }, publicBaseUrl: 'https://portal.test' });
});
afterAll(async () => {
  await h.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

/** Undo quoted-printable soft breaks and =XX escapes enough to read a URL. */
function decodeQp(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

describe('invitation over SMTP', () => {
  it('mails the accept link to a real SMTP server; the link accepts; the outbox route is off', async () => {
    const cid = await companyWithPlans(h, 'Smtp Co', [{ planType: 'enterprise_user', quantity: 1 }]);
    const inv = await h.call(h.partnerToken, 'POST', `/api/v1/companies/${cid}/users`, { name: 'Erin', email: 'erin@smtp.test', localPart: 'erin.e' });
    expect(inv.status, inv.text).toBe(201);
    expect(received).toHaveLength(1);
    expect(received[0]?.to).toEqual(['erin@smtp.test']);
    const m = /https:\/\/portal\.test\/portal\/accept\?token=([A-Za-z0-9_%-]+)/.exec(decodeQp(received[0]?.raw ?? ''));
    expect(m).not.toBeNull();
    const acc = await h.call(null, 'POST', '/api/v1/invitations/accept', { token: decodeURIComponent(m?.[1] ?? '') });
    expect(acc.status, acc.text).toBe(201);
    expect(str(acc.body.member.state)).toBe('active');
    expect((await h.call(h.partnerToken, 'GET', '/api/v1/outbox')).status).toBe(404);
  });
});
