// CPU and memory of server processes from /proc, shared by the benches (media, gateway).
// Linux only: utime + stime ticks of a process tree, so a server's workers and helpers count too.
import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
export const CLK_TCK = 100;

/** ppid and CPU ticks (user + system) of one process, or null when it is gone. */
export function procStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

export function rssKb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** pid and all its descendants (Convene: node, its mediasoup workers, its embedded redis). */
export function processTree(root) {
  const byParent = new Map();
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = procStat(Number(e));
    if (!s) continue;
    if (!byParent.has(s.ppid)) byParent.set(s.ppid, []);
    byParent.get(s.ppid).push(Number(e));
  }
  const out = [];
  const walk = (pid) => {
    out.push(pid);
    for (const c of byParent.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** The direct children of pid (not pid itself, not their children). */
export function childPids(pid) {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e) && procStat(Number(e))?.ppid === pid)
    .map(Number);
}

export const treeTicks = (pids) => pids.reduce((sum, p) => sum + (procStat(p)?.ticks ?? 0), 0);
export const treeRssKb = (pids) => pids.reduce((sum, p) => sum + rssKb(p), 0);

/** % of one core used between two tick readings taken `seconds` apart. */
export const cpuPct = (ticksBefore, ticksAfter, seconds) => ((ticksAfter - ticksBefore) / CLK_TCK / seconds) * 100;

/** Command name of a process or thread (/proc/…/comm), '' when gone. */
export function commOf(pid, tid = pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** CPU ticks per thread of one process: Map tid → ticks (worker threads show up here). */
export function threadTicks(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(f[11]) + Number(f[12]));
    } catch {
      // thread ended
    }
  }
  return out;
}

/**
 * UDP datagrams the kernel dropped machine-wide because a socket's receive buffer was full
 * (`RcvbufErrors` in /proc/net/snmp). Loss that shows here happened before any process read the
 * packet: a server or client that was not scheduled in time, with too small a buffer to ride it out.
 */
export function udpReceiveBufferDrops() {
  try {
    const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0].trim().split(/\s+/);
    const values = lines[1].trim().split(/\s+/);
    return Number(values[names.indexOf('RcvbufErrors')]);
  } catch {
    return null;
  }
}

/** The receive buffer every new UDP socket gets (mediasoup 3.12's worker sets none of its own). */
export function udpDefaultReceiveBufferBytes() {
  try {
    return Number(fs.readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim());
  } catch {
    return null;
  }
}

/**
 * Time the hypervisor ran something else while this VM's vCPUs wanted to run (`steal` in the
 * `cpu` line of /proc/stat), in ticks summed over all CPUs, or null off Linux. A thread can wake
 * late on an otherwise idle guest because of it, and nothing inside the guest can prevent that.
 */
export function stealTicks() {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    return Number(cpu[8]);
  } catch {
    return null;
  }
}
