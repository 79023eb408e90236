import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MeetingErrors, refusalTable } from '../meetings/errors.js';
import { requestSchemas } from './requests.js';

const doc = fs.readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'signaling-protocol.md'),
  'utf8',
);

describe('docs/signaling-protocol.md stays in step with the code', () => {
  it('documents every request method', () => {
    const missing = Object.keys(requestSchemas).filter((m) => !doc.includes(`\`${m}\``) && !doc.includes(`${m} {`));
    expect(missing).toEqual([]);
  });

  it('lists every meeting error code in its table', () => {
    const missing = Object.keys(MeetingErrors).filter((code) => !doc.includes(`| \`${code}\` |`));
    expect(missing).toEqual([]);
  });

  it('gives every refusal its HTTP status and SIP response as the table in errors.ts does', () => {
    const wrong = refusalTable().filter((r) => {
      const row = `| \`${r.code}\` | ${r.http} | ${r.sip ? `${r.sip.status} ${r.sip.reason}` : '—'} |`;
      return !doc.includes(row);
    });
    expect(wrong.map((r) => r.code)).toEqual([]);
  });

  it('documents the participant kinds the roster carries', () => {
    for (const kind of ['browser', 'sip', 'phone', 'interop']) expect(doc).toContain(`\`${kind}\``);
  });

  it('documents the ICE servers every hello answer carries', () => {
    for (const field of ['iceServers', 'iceTransportPolicy']) expect(doc).toContain(`\`${field}\``);
  });
});
