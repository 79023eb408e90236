/** A named dependency check for /readyz. `ok` is read on every probe, so keep it cheap. */
export interface ReadinessCheck {
  name: string;
  ok(): boolean;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

export function evaluateReadiness(checks: readonly ReadinessCheck[]): ReadinessReport {
  const results: Record<string, boolean> = {};
  for (const c of checks) {
    try {
      results[c.name] = c.ok();
    } catch {
      results[c.name] = false;
    }
  }
  return { ready: Object.values(results).every(Boolean), checks: results };
}
