/**
 * The admin emails, each as plain text plus a simple HTML part. Every interpolated value is
 * HTML-escaped; subjects never contain line breaks (names are flattened to one line).
 */
import type { Mail } from './mailer.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ').trim().slice(0, 200);
const isoDay = (d: Date): string => d.toISOString().slice(0, 10);

function page(title: string, bodyHtml: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:Arial,Helvetica,sans-serif;line-height:1.5;color:#222;max-width:600px">${bodyHtml}<p style="color:#777;font-size:12px">Convene video service</p></body></html>`;
}

export interface InvitationMailData {
  to: string;
  companyName: string;
  inviteeName?: string;
  /** Who invited them (a company or partner admin), if known. */
  inviterName?: string;
  /** The link that accepts the invitation (carries the invitation token). */
  acceptUrl: string;
  /** When the invitation and the invitee's personal data are deleted if unanswered. */
  expiresAt: Date;
}

export function invitationEmail(d: InvitationMailData): Mail {
  const company = oneLine(d.companyName);
  const hello = d.inviteeName ? `Hello ${oneLine(d.inviteeName)},` : 'Hello,';
  const by = d.inviterName ? `${oneLine(d.inviterName)} has invited you` : 'You have been invited';
  const text = [
    hello,
    '',
    `${by} to join ${company} on Convene. Accepting gives you a personal video meeting room and a personal video address.`,
    '',
    `Accept the invitation: ${d.acceptUrl}`,
    '',
    `If you do not accept by ${isoDay(d.expiresAt)}, the invitation and your details are deleted.`,
  ].join('\n');
  const html = page(
    `Invitation to ${company}`,
    `<p>${escapeHtml(hello)}</p><p>${escapeHtml(by)} to join <strong>${escapeHtml(company)}</strong> on Convene. Accepting gives you a personal video meeting room and a personal video address.</p>` +
      `<p><a href="${escapeHtml(d.acceptUrl)}" style="background:#1456a0;color:#fff;padding:10px 16px;text-decoration:none;border-radius:4px">Accept invitation</a></p>` +
      `<p>Or open this link: ${escapeHtml(d.acceptUrl)}</p><p>If you do not accept by ${isoDay(d.expiresAt)}, the invitation and your details are deleted.</p>`,
  );
  return { to: d.to, subject: `You are invited to join ${company} on Convene`, text, html };
}

export interface InvitationReminderMailData extends InvitationMailData {
  which: 'day10' | 'day30';
}

export function invitationReminderEmail(d: InvitationReminderMailData): Mail {
  const company = oneLine(d.companyName);
  const nth = d.which === 'day10' ? 'Reminder' : 'Last reminder';
  const base = invitationEmail(d);
  const lead = `${nth}: your invitation to join ${company} on Convene is still open.`;
  return {
    to: d.to,
    subject: `${nth}: join ${company} on Convene`,
    text: `${lead}\n\n${base.text}`,
    html: (base.html ?? '').replace('<body', `<body data-reminder="${d.which}"`).replace(/(<body[^>]*>)/, `$1<p><strong>${escapeHtml(lead)}</strong></p>`),
  };
}

export interface CallingDomainMailData {
  to: string;
  companyName: string;
  domain: string;
  /** The TXT record to create, or null when the domain was verified automatically. */
  record: { name: string; type: 'TXT'; value: string } | null;
  /** Where calls to the domain must be routed (SIP SRV target), if the service publishes one. */
  sipTarget?: string;
}

export function callingDomainEmail(d: CallingDomainMailData): Mail {
  const company = oneLine(d.companyName);
  const domain = oneLine(d.domain);
  const lines: string[] = [`Hello,`, '', `The calling domain ${domain} was added for ${company} on Convene.`, ''];
  let html = `<p>Hello,</p><p>The calling domain <strong>${escapeHtml(domain)}</strong> was added for ${escapeHtml(company)} on Convene.</p>`;
  if (d.record) {
    lines.push(
      'Before it can be used, prove you control it by creating this DNS record:',
      '',
      `  Name:  ${d.record.name}`,
      `  Type:  ${d.record.type}`,
      `  Value: ${d.record.value}`,
      '',
      'When the record is published, tell your service partner so they can select "Verify" for the domain.',
    );
    html +=
      `<p>Before it can be used, prove you control it by creating this DNS record:</p>` +
      `<table style="border-collapse:collapse" cellpadding="6" border="1"><tr><th align="left">Name</th><td><code>${escapeHtml(d.record.name)}</code></td></tr>` +
      `<tr><th align="left">Type</th><td><code>${escapeHtml(d.record.type)}</code></td></tr>` +
      `<tr><th align="left">Value</th><td><code>${escapeHtml(d.record.value)}</code></td></tr></table>` +
      `<p>When the record is published, tell your service partner so they can select <em>Verify</em> for the domain.</p>`;
  } else {
    lines.push('The domain was verified automatically; no TXT record is needed.');
    html += `<p>The domain was verified automatically; no TXT record is needed.</p>`;
  }
  if (d.sipTarget) {
    lines.push('', `Route SIP calls for ${domain} to ${oneLine(d.sipTarget)} (DNS SRV record _sips._tcp.${domain}).`);
    html += `<p>Route SIP calls for ${escapeHtml(domain)} to <code>${escapeHtml(d.sipTarget)}</code> (DNS SRV record <code>_sips._tcp.${escapeHtml(domain)}</code>).</p>`;
  }
  return { to: d.to, subject: `New calling domain ${domain}: DNS instructions`, text: lines.join('\n'), html: page(`Calling domain ${domain}`, html) };
}
