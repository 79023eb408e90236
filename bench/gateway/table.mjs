// The side-by-side table: one row per server per step, steps in order, Convene above Janus.

const fmt = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : Number(x).toFixed(d));

export const COLUMNS = ['server', 'N callers', 'mixed legs', 'server CPU %core', 'of it Node %', 'of it media thread %', 'CPU %/mixed leg', 'deadline misses', 'loss % at callers', 'legs hearing the mix', 'browser packets (voice)', 'signalling p50/p95 ms', 'server RSS MB', 'load CPU %', 'load avg 1m'];

function signalling(r) {
  // Convene: SIP OPTIONS and HTTP /healthz; Janus: HTTP info.
  return Object.entries(r.signalling ?? {})
    .map(([name, s]) => `${name} ${fmt(s.p50Ms)}/${fmt(s.p95Ms)}${s.failures ? ` (${s.failures} failed)` : ''}`)
    .join(', ');
}

export function stepRow(r) {
  return [r.server, String(r.legs), r.mixedLegs === null || r.mixedLegs === undefined ? '—' : String(r.mixedLegs), fmt(r.serverCpuPct), r.server === 'janus' ? '—' : fmt(r.serverMainProcessCpuPct), r.server === 'janus' ? '—' : fmt(r.serverBusiestThreadCpuPct), fmt(r.cpuPerLegPct, 2), misses(r), fmt(r.lossPct, 2), `${r.legsHearingAudio}/${r.legs}`, browser(r), signalling(r), fmt(r.serverRssMb, 0), fmt(r.clientCpuPct), fmt(r.loadAverage1m)];
}

/** Markdown table (also readable on a terminal). */
export function stepTable(results, steps) {
  const order = ['convene', 'janus'];
  const rows = [...results].sort((a, b) => steps.indexOf(a.legs) - steps.indexOf(b.legs) || order.indexOf(a.server) - order.indexOf(b.server)).map(stepRow);
  if (rows.length === 0) return '(no results)';
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((b) => b[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(COLUMNS), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * What the one WebRTC browser received (Convene: the callers' streams; Janus: the room's mix):
 * packets, and of them Opus packets carrying sound rather than silence.
 */
function browser(r) {
  const b = r.browser;
  if (!b) return '—';
  if (!b.joined) return 'not joined';
  return `${b.packets} (${b.voicePackets ?? '—'})`;
}

/** "misses (busy b, overruns o; tick t ms)" where the node reports why, else the count alone. */
function misses(r) {
  if (r.deadlineMisses === null || r.deadlineMisses === undefined) return '—';
  if (r.busyDeadlineMisses === null || r.busyDeadlineMisses === undefined) return String(r.deadlineMisses);
  const tick = r.tickWorkMeanMs === null || r.tickWorkMeanMs === undefined ? '' : `; tick ${r.tickWorkMeanMs.toFixed(2)} ms`;
  return `${r.deadlineMisses} (busy ${r.busyDeadlineMisses}, overruns ${r.tickOverruns ?? '—'}${tick})`;
}
