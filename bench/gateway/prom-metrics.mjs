// Reads a node's /metrics (Prometheus text) and sums the samples of the gateway metrics the bench
// reports (all label sets of a name together).

/** The gateway's metric names (from the integrator's code on main; see README if they change). */
export const GATEWAY_METRICS = {
  deadlineMisses: 'gateway_mixer_deadline_misses_total',
  busyDeadlineMisses: 'gateway_mixer_busy_deadline_misses_total',
  tickOverruns: 'gateway_mixer_tick_overruns_total',
  ticks: 'gateway_mixer_ticks_total',
  tickWorkSeconds: 'gateway_mixer_tick_work_seconds_total',
  mixedLegs: 'gateway_mixer_legs',
  jitterLost: 'gateway_jitter_lost_packets_total',
  jitterLate: 'gateway_jitter_late_packets_total',
};

/** name → sum of its samples, for every metric in `names` present on the page (absent: missing). */
export async function scrapeMetrics(httpUrl, names = Object.values(GATEWAY_METRICS)) {
  const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`/metrics → ${res.status}`);
  const wanted = new Set(names);
  const out = {};
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || !wanted.has(m[1])) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) out[m[1]] = (out[m[1]] ?? 0) + v;
  }
  return out;
}

/** after − before per name (null where a side lacks it). */
export function metricDelta(before, after, name) {
  return before?.[name] === undefined || after?.[name] === undefined ? null : after[name] - before[name];
}
