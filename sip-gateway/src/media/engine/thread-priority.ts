import fs from 'node:fs';
import os from 'node:os';

/**
 * Scheduling priority for a media worker thread. The mixer's 20 ms tick is late when its thread
 * waits for a core behind other work on the host (load generators, builds, other services);
 * a lower nice value makes the kernel's fair scheduler run it first (nice −10 weighs ≈ 10× a
 * nice-0 thread), as media servers do for their media threads. Only this thread is changed — on
 * Linux `setpriority(PRIO_PROCESS, tid)` acts on one thread — so signalling keeps its own.
 */
export interface ThreadPriorityResult {
  /** The nice value the thread runs at afterwards (null when unknown: not Linux). */
  nice: number | null;
  applied: boolean;
  /** Why it was not applied (e.g. EACCES without CAP_SYS_NICE). */
  reason?: string;
}

/** This thread's kernel id (Linux: /proc/thread-self → "<pid>/task/<tid>"), else null. */
export function currentThreadId(): number | null {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/** The nice value of thread `tid` of this process, from /proc (field 19 of its stat line). */
export function threadNice(tid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const nice = Number(fields[16]);
    return Number.isInteger(nice) ? nice : null;
  } catch {
    return null;
  }
}

/** Sets the calling thread's nice value; best effort (an unprivileged process may only raise it). */
export function setCurrentThreadNice(nice: number): ThreadPriorityResult {
  const tid = currentThreadId();
  if (tid === null) return { nice: null, applied: false, reason: 'thread ids are not available on this platform' };
  const before = threadNice(tid);
  if (before === nice) return { nice, applied: true };
  try {
    os.setPriority(tid, nice);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { nice: before, applied: false, reason: e.code ?? e.message ?? String(err) };
  }
  return { nice: threadNice(tid), applied: true };
}
