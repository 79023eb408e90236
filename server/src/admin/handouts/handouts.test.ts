import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHandoutHtml, renderHandoutPdf, type HandoutData } from './index.js';

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-handout-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const users = Array.from({ length: 45 }, (_, i) => {
  const n = String(i + 1).padStart(2, '0');
  return { name: `Test User ${n}`, personalAddress: `test.user${n}@acme.com`, vmrAddress: `test.user${n}.vmr@acme.com` };
});

const data: HandoutData = {
  company: { name: 'Acme & Sons <Oslo>' },
  endpoints: [
    { name: 'Boardroom', address: 'boardroom@acme.com', tier: 'premium' },
    { name: 'Huddle 2', address: 'huddle2@acme.com', tier: 'basic' },
    { name: 'Reception', address: 'reception.desk@acme.com', tier: 'plus' },
  ],
  users: [{ name: 'Łukasz Żółć', personalAddress: 'lukasz.zolc@acme.com', vmrAddress: 'lukasz.zolc.vmr@acme.com' }, ...users],
  teamVmrs: [
    { name: 'Sales weekly', address: 'sales.weekly@acme.com', numericId: 481516 },
    { name: 'Engineering', address: 'engineering@acme.com', numericId: '2342' },
  ],
  dialInNumbers: [
    { number: '+4721000000', label: 'Norway (IVR)' },
    { number: '+442030000000', label: 'United Kingdom (IVR)' },
  ],
  generatedAt: new Date(Date.UTC(2026, 0, 5, 14, 3)),
};

async function pdfText(pdf: Buffer, name: string): Promise<{ text: string; pages: number; pngs: string[] }> {
  const file = path.join(dir, `${name}.pdf`);
  fs.writeFileSync(file, pdf);
  const { stdout: text } = await run('pdftotext', ['-layout', file, '-']);
  const prefix = path.join(dir, name);
  await run('pdftoppm', ['-png', '-r', '70', file, prefix]);
  const pngs = fs.readdirSync(dir).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png'));
  const { stdout: info } = await run('pdfinfo', [file]);
  const pages = Number(/Pages:\s+(\d+)/.exec(info)?.[1]);
  return { text, pages, pngs };
}

describe('handout PDF (real poppler: pdftoppm, pdftotext)', () => {
  it('renders every page and lists the endpoints, users, team VMRs and dial-in numbers', async () => {
    // Debian's fonts-liberation (installed by scripts/setup.mjs for the browser tests).
    const pdf = await renderHandoutPdf(data, {
      fonts: { regular: '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf', bold: '/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf' },
    });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const { text, pages, pngs } = await pdfText(pdf, 'handout');
    expect(pages).toBeGreaterThanOrEqual(2); // 46 users do not fit on one A4 page
    expect(pngs).toHaveLength(pages);
    for (const png of pngs) expect(fs.statSync(path.join(dir, png)).size).toBeGreaterThan(5000);

    expect(text).toContain('Acme & Sons <Oslo>');
    expect(text).toContain('2026-01-05 14:03 UTC');
    for (const e of data.endpoints) expect(text).toContain(e.address);
    expect(text).toMatch(/boardroom@acme\.com\s+Premium \(4 Mbps\)/);
    expect(text).toMatch(/huddle2@acme\.com\s+Basic \(768 kbps\)/);
    expect(text).toContain('Łukasz Żółć');
    for (const u of data.users) {
      expect(text).toContain(u.personalAddress);
      expect(text).toContain(u.vmrAddress);
    }
    expect(text).toMatch(/Sales weekly\s+sales\.weekly@acme\.com\s+481516/);
    expect(text).toMatch(/\+4721000000\s+Norway \(IVR\)/);
    expect(text).toMatch(/\+442030000000\s+United Kingdom \(IVR\)/);
    expect(text).toContain(`page ${pages} of ${pages}`);
    // Each section heading shows its count.
    expect(text).toContain('Users (46)');
    expect(text).toContain('Endpoints (3)');
  });

  it('with the built-in font, characters it cannot show become "?" instead of garbage', async () => {
    const pdf = await renderHandoutPdf(data, { fonts: 'builtin' });
    const { text } = await pdfText(pdf, 'builtin');
    expect(text).toContain('?ukasz ?ó??'); // Ł, Ż, ł, ć are outside WinAnsi; ó is inside
    expect(text).toContain('test.user45.vmr@acme.com');
  });

  it('an empty company still renders, saying "None." per consumer section and nothing about dial-in numbers', async () => {
    const pdf = await renderHandoutPdf({ ...data, endpoints: [], users: [], teamVmrs: [], dialInNumbers: [] });
    const { text, pages } = await pdfText(pdf, 'empty');
    expect(pages).toBe(1);
    expect(text.match(/None\./g)).toHaveLength(3);
    expect(text).not.toMatch(/dial-in/i);
  });
});

describe('handout HTML', () => {
  const html = renderHandoutHtml(data);

  it('is one self-contained document with no scripts or external resources', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).toContain('@media print');
  });

  it('escapes every value', () => {
    const evil = renderHandoutHtml({
      ...data,
      users: [{ name: '<img src=x onerror=alert(1)>', personalAddress: 'a"b@acme.com', vmrAddress: "c'd@acme.com" }],
    });
    expect(evil).not.toContain('<img');
    expect(evil).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(evil).toContain('a&quot;b@acme.com');
    expect(evil).toContain('c&#39;d@acme.com');
    expect(html).toContain('<title>Acme &amp; Sons &lt;Oslo&gt; \u2014 video service handout</title>');
  });

  it('lists all consumers and dial-in numbers in their tables', () => {
    expect(html.match(/<tr><td>/g)).toHaveLength(3 + 46 + 2 + 2);
    expect(html).toContain('<td>Sales weekly</td><td>sales.weekly@acme.com</td><td>481516</td>');
    expect(html).toContain('<td>+4721000000</td><td>Norway (IVR)</td>');
    expect(html).toContain('<td>Boardroom</td><td>boardroom@acme.com</td><td>Premium (4 Mbps)</td>');
  });
});
