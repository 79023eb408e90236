/**
 * Calls per CPU-second of `step`: run it for about `seconds` of this process's CPU time (after a
 * 200 ms warm-up) in batches of `batch`, bounded in wall time too. CPU time, not wall time, because
 * the machine is shared and wall time would measure the neighbours as well.
 */
export function callsPerCpuSecond(step: () => void, seconds: number, batch = 200): number {
  const warmUntil = performance.now() + 200;
  while (performance.now() < warmUntil) step();
  let calls = 0;
  const start = process.cpuUsage();
  const budgetUs = seconds * 1e6;
  const wallEnd = performance.now() + seconds * 10_000;
  let usedUs = 0;
  while (usedUs < budgetUs && performance.now() < wallEnd) {
    for (let i = 0; i < batch; i++) step();
    calls += batch;
    const d = process.cpuUsage(start);
    usedUs = d.user + d.system;
  }
  return calls / (usedUs / 1e6);
}
