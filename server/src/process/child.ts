import type { ChildProcess } from 'node:child_process';

/**
 * Helpers the supervisors of our companion processes (embedded Redis, embedded coturn) share, so
 * both restart and stop their child the same way.
 */

/** Restart delay after `consecutiveCrashes` crashes in a row: doubles from `baseMs`, capped at `maxMs`. */
export function restartDelayMs(baseMs: number, maxMs: number, consecutiveCrashes: number): number {
  return Math.min(baseMs * 2 ** consecutiveCrashes, maxMs);
}

/** SIGTERM, then SIGKILL if it has not exited after `killAfterMs`; resolves once it has exited. */
export async function terminateChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
