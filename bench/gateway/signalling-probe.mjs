// Signalling latency while mixing: the round-trip time of a cheap request on a server's signalling
// path, sampled every `everyMs` until stopped. A failed or timed-out request counts as a failure,
// not as a sample.

/** Starts sampling `probe()` (resolves to an RTT in ms); `stop()` resolves to the summary. */
export function startProbe(probe, { everyMs = 100 } = {}) {
  const samples = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    // Bounded by the caller's stop(); each probe has its own timeout.
    while (running) {
      const started = performance.now();
      try {
        samples.push(await probe());
      } catch {
        failures++;
      }
      const wait = everyMs - (performance.now() - started);
      if (wait > 0 && running) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples: samples.length, failures, p50Ms: percentile(samples, 50), p95Ms: percentile(samples, 95), maxMs: samples.length ? Math.max(...samples) : null };
    },
  };
}

/** Nearest-rank percentile, null for no samples. */
export function percentile(xs, p) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
