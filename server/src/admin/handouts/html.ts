import { DIAL_IN_HINT, tierLabel, userName, utcStamp, type HandoutData } from './data.js';

function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function table(caption: string, headers: string[], rows: (string | number)[][]): string {
  const head = `<h2>${esc(caption)} <span class="count">(${rows.length})</span></h2>`;
  if (rows.length === 0) return `<section>${head}<p class="none">None.</p></section>`;
  const th = headers.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<section>${head}<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></section>`;
}

/** A self-contained, printable HTML handout (inline CSS, no scripts, no external resources). */
export function renderHandoutHtml(data: HandoutData): string {
  const title = `${data.company.name} \u2014 video service handout`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font-family: Arial, Helvetica, sans-serif; color: #1a1a1a; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; line-height: 1.4; }
  h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
  .meta { color: #555; margin-top: 0; }
  h2 { font-size: 1.15rem; border-bottom: 2px solid #1456a0; padding-bottom: 0.2rem; margin-top: 1.8rem; }
  .count { color: #777; font-weight: normal; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid #ddd; vertical-align: top; word-break: break-word; }
  th { background: #eef3f9; }
  .none { color: #777; font-style: italic; }
  .hint { background: #f6f6f6; padding: 0.5rem 0.75rem; border-left: 3px solid #1456a0; }
  @media print {
    body { margin: 0; max-width: none; font-size: 10.5pt; }
    tr, h2 { break-inside: avoid; page-break-inside: avoid; }
    h2 { break-after: avoid; page-break-after: avoid; }
    th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  }
</style>
</head>
<body>
<h1>${esc(data.company.name)}</h1>
<p class="meta">Video service handout \u00b7 generated ${esc(utcStamp(data.generatedAt))}</p>
${table('Endpoints', ['Name', 'Address', 'License'], data.endpoints.map((e) => [e.name, e.address, tierLabel(e.tier)]))}
${table('Users', ['Name', 'Personal address', 'Meeting room (VMR)', 'Numeric ID'], data.users.map((u) => [userName(u), u.personalAddress, u.vmrAddress, u.numericId ?? '']))}
${table('Team meeting rooms', ['Name', 'Address', 'Numeric ID'], data.teamVmrs.map((t) => [t.name, t.address, t.numericId]))}
${data.dialInNumbers.length > 0 ? `${table('PSTN dial-in numbers', ['Number', 'Description'], data.dialInNumbers.map((d) => [d.number, d.label]))}
<p class="hint">${esc(DIAL_IN_HINT)}</p>` : ''}
</body>
</html>
`;
}
