import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { currentThreadId, threadNice } from './thread-priority.js';

/** Runs setCurrentThreadNice in a fresh worker thread and reports what /proc says afterwards. */
function inWorker(nice: number): Promise<{ result: { nice: number | null; applied: boolean; reason?: string }; tid: number }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./testing/thread-priority-worker.mjs', import.meta.url), { workerData: { nice } });
    w.once('message', (m) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

describe('media thread priority', () => {
  it('changes only the calling thread, as /proc shows it', async () => {
    const mainTid = currentThreadId()!;
    const mainNiceBefore = threadNice(mainTid);
    // Raising nice (lower priority) is allowed without privileges, so this runs anywhere.
    const { result, tid } = await inWorker(7);
    expect(tid).not.toBe(mainTid);
    expect(result).toEqual({ nice: 7, applied: true });
    expect(threadNice(mainTid)).toBe(mainNiceBefore);
  });

  it('reports a refused change instead of throwing', async () => {
    // Below the current value needs CAP_SYS_NICE; as root it is applied, otherwise refused with a reason.
    const { result } = await inWorker(-5);
    if (result.applied) expect(result.nice).toBe(-5);
    else expect(result.reason).toMatch(/EACCES|EPERM/);
  });
});
