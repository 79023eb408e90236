/**
 * Runs the real sipp binary as a child process, loopback only, bounded by -m and -timeout, and
 * returns its exit code plus the message log (so tests can count what sipp saw).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SippRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every message sipp sent and received (-trace_msg). */
  messages: string;
  /** The final statistics (-trace_stat) as header→value of the last row. */
  stats: Record<string, string>;
}

export interface SippOptions {
  /** Scenario: built-in name (uac, uas, ...) or an XML file path. */
  scenario: { builtin: string } | { file: string };
  remote?: string;
  transport?: 'u1' | 't1';
  localPort: number;
  /** sipp's -i (default 127.0.0.1). */
  localIp?: string;
  calls: number;
  timeoutSeconds: number;
  extra?: string[];
}

/** A port free for both UDP and TCP on 127.0.0.1, from the OS. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, host, () => r()));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const ok = await new Promise<boolean>((r) => {
      udp.once('error', () => r(false));
      udp.bind(port, host, () => r(true));
    });
    await new Promise<void>((r) => udp.close(() => r()));
    // Skip the node's media ports (WebRTC 44444+, RTC 45000-49999, TURN relays 50000-54999), which
    // the OS's ephemeral range overlaps: a worker in a parallel test may bind them meanwhile.
    if (ok && (port < 44_000 || port > 55_000)) return port;
  }
  throw new Error('no free port found');
}

export interface SippProcess {
  /** Resolves when sipp exits (bounded by -timeout and a SIGKILL backstop). */
  done: Promise<SippRun>;
  kill(): void;
}

export function startSipp(opts: SippOptions): SippProcess {
  const dir = mkdtempSync(join(tmpdir(), 'sipp-'));
  const localIp = opts.localIp ?? '127.0.0.1';
  const args = [
    ...(opts.remote ? [opts.remote] : []),
    ...('builtin' in opts.scenario ? ['-sn', opts.scenario.builtin] : ['-sf', opts.scenario.file]),
    '-i', localIp,
    '-p', String(opts.localPort),
    '-t', opts.transport ?? 'u1',
    '-m', String(opts.calls),
    '-timeout', `${opts.timeoutSeconds}s`,
    '-timeout_error',
    '-nostdin',
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
    '-trace_stat', '-stf', join(dir, 'stats.csv'),
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    ...(opts.extra ?? []),
  ];
  const child = spawn('/usr/bin/sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Belt and braces: -timeout bounds sipp, this bounds the test if sipp misbehaves.
  const killer = setTimeout(() => child.kill('SIGKILL'), (opts.timeoutSeconds + 10) * 1000);
  const done = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c))).then((code) => {
    clearTimeout(killer);
    const read = (f: string) => {
      try {
        return readFileSync(join(dir, f), 'utf8');
      } catch {
        return '';
      }
    };
    const messages = read('messages.log');
    const csv = read('stats.csv').trim().split('\n');
    const header = (csv[0] ?? '').split(';');
    const last = (csv[csv.length - 1] ?? '').split(';');
    const stats = Object.fromEntries(header.map((h, i) => [h, last[i] ?? '']));
    const errors = read('errors.log');
    if (code !== 0 && errors) stderr += `\n--- sipp errors.log ---\n${errors.slice(0, 4000)}`;
    rmSync(dir, { recursive: true, force: true });
    return { code, stdout, stderr, messages, stats };
  });
  return { done, kill: () => child.kill('SIGTERM') };
}

export function runSipp(opts: SippOptions): Promise<SippRun> {
  return startSipp(opts).done;
}

/** Bounded wait until sipp has bound its UDP port (binding the same port then fails). */
export async function waitForUdpPort(port: number, host = '127.0.0.1', ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const inUse = await new Promise<boolean>((r) => {
      sock.once('error', () => r(true));
      sock.bind(port, host, () => r(false));
    });
    if (!inUse) await new Promise<void>((r) => sock.close(() => r()));
    else {
      try {
        sock.close();
      } catch {
        // never bound: nothing to close
      }
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`nothing bound UDP ${host}:${port}`);
}

/** Counts messages in a sipp -trace_msg log ("UDP message sent (N bytes):" + message) whose start line matches. */
export function countMessages(log: string, direction: 'sent' | 'received', startLine: RegExp): number {
  let n = 0;
  for (const block of log.split(/^-{10,} [^\n]*\n/m)) {
    const lines = block.split('\n');
    const head = lines[0] ?? '';
    if (!new RegExp(`message ${direction}`, 'i').test(head)) continue;
    const first = lines.slice(1).find((l) => l.trim() !== '') ?? '';
    if (startLine.test(first.trim())) n++;
  }
  return n;
}
