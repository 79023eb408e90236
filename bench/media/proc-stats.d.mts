// Types of proc-stats.mjs, for the TypeScript benches that share it (bench/sfu, bench/sip).
export declare const CLK_TCK: number;
export declare function procStat(pid: number): { ppid: number; ticks: number } | null;
export declare function rssKb(pid: number): number;
export declare function processTree(root: number): number[];
export declare function childPids(pid: number): number[];
export declare const treeTicks: (pids: number[]) => number;
export declare const treeRssKb: (pids: number[]) => number;
export declare const cpuPct: (ticksBefore: number, ticksAfter: number, seconds: number) => number;
export declare function commOf(pid: number, tid?: number): string;
export declare function threadTicks(pid: number): Map<number, number>;
export declare function udpReceiveBufferDrops(): number | null;
export declare function udpDefaultReceiveBufferBytes(): number | null;
