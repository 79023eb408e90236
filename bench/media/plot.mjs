// Renders the media bench's results as one SVG: per scenario, server CPU (% of one core) and
// loss (%) against load (participants), one line per server — where each server bends.
const COLORS = { convene: '#1f77b4', mediasoup: '#2ca02c', janus: '#d62728' };
const esc = (s) => String(s).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

function chart(x0, y0, w, h, title, series, yKey, yLabel) {
  const pts = series.flatMap((s) => s.rows);
  const maxX = Math.max(1, ...pts.map((r) => r.load));
  const maxY = Math.max(yKey === 'lossPct' ? 1 : 10, ...pts.map((r) => r[yKey] ?? 0)) * 1.1;
  const sx = (v) => x0 + 40 + (v / maxX) * (w - 50);
  const sy = (v) => y0 + h - 25 - (v / maxY) * (h - 45);
  const out = [`<text x="${x0 + w / 2}" y="${y0 + 12}" text-anchor="middle" font-size="12">${esc(title)}</text>`];
  out.push(`<line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(maxX)}" y2="${sy(0)}" stroke="#333"/><line x1="${sx(0)}" y1="${sy(0)}" x2="${sx(0)}" y2="${sy(maxY)}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 4) * i;
    out.push(`<text x="${sx(0) - 4}" y="${sy(v) + 4}" text-anchor="end" font-size="9">${v < 10 ? v.toFixed(1) : Math.round(v)}</text>`);
  }
  out.push(`<text x="${sx(maxX)}" y="${sy(0) + 14}" text-anchor="end" font-size="9">participants (max ${maxX})</text>`);
  out.push(`<text x="${x0 + 48}" y="${y0 + 26}" font-size="9" fill="#555">${esc(yLabel)}</text>`);
  for (const s of series) {
    const rows = [...s.rows].sort((a, b) => a.load - b.load);
    const d = rows.map((r, i) => `${i ? 'L' : 'M'}${sx(r.load).toFixed(1)},${sy(r[yKey] ?? 0).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${COLORS[s.server] ?? '#555'}" stroke-width="2"/>`);
    for (const r of rows) out.push(`<circle cx="${sx(r.load).toFixed(1)}" cy="${sy(r[yKey] ?? 0).toFixed(1)}" r="3" fill="${COLORS[s.server] ?? '#555'}"/>`);
  }
  return out.join('\n');
}

export function renderSvg(summary) {
  const keys = Object.keys(summary.scenarios);
  const W = 900;
  const H = 190;
  const parts = [];
  keys.forEach((k, i) => {
    const rows = summary.results.filter((r) => r.scenario === k && !r.failed);
    const servers = [...new Set(rows.map((r) => r.server))];
    const series = servers.map((server) => ({ server, rows: rows.filter((r) => r.server === server) }));
    const y = 40 + i * H;
    const title = summary.scenarios[k].split(':')[0];
    parts.push(chart(0, y, W / 2, H - 10, `${title}: server CPU`, series, 'serverCpuPct', '% of one core'));
    parts.push(chart(W / 2, y, W / 2, H - 10, `${title}: loss at subscribers`, series, 'lossPct', 'loss %'));
  });
  const legend = Object.entries(COLORS)
    .map(([name, color], i) => `<rect x="${20 + i * 130}" y="12" width="12" height="12" fill="${color}"/><text x="${36 + i * 130}" y="22" font-size="11">${name === 'mediasoup' ? 'raw mediasoup' : name}</text>`)
    .join('');
  const height = 50 + keys.length * H;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${legend}<text x="${W - 10}" y="22" text-anchor="end" font-size="10">${esc(`${summary.kind} run ${summary.at}, ${summary.machine.cores} cores`)}</text>
${parts.join('\n')}
</svg>
`;
}
