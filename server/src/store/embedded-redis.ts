import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { Emitter } from '../../../common/src/index.js';
import { restartDelayMs, terminateChild } from '../process/child.js';

export interface EmbeddedRedisOptions {
  /** Where the AOF lives. Created if missing. */
  dataDir: string;
  logger: Logger;
  redisServerBin?: string;
  /** First restart delay; doubles per consecutive crash up to `maxRestartDelayMs`. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

type EmbeddedRedisEvents = {
  ready: [pid: number];
  exit: [code: number | null, signal: NodeJS.Signals | null];
  restarting: [delayMs: number];
};

/**
 * A supervised `redis-server` child for the single-node default: unix socket only (no TCP port
 * to collide with or expose), AOF with fsync every second, restarted with backoff if it dies,
 * stopped (with a final AOF flush) on `stop()`.
 */
export class EmbeddedRedis extends Emitter<EmbeddedRedisEvents> {
  readonly socketPath: string;
  private child: ChildProcess | undefined;
  private stopping = false;
  private consecutiveCrashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly bin: string;
  private readonly dataDir: string;
  restarts = 0;

  constructor(private readonly opts: EmbeddedRedisOptions) {
    super((event, err) => opts.logger.error({ err, event }, 'embedded redis listener failed'));
    this.bin = opts.redisServerBin ?? 'redis-server';
    this.dataDir = path.resolve(opts.dataDir);
    const preferred = path.join(this.dataDir, 'redis.sock');
    // Unix socket paths are limited to ~107 bytes; fall back to a stable name in the temp dir.
    this.socketPath =
      Buffer.byteLength(preferred) < 100
        ? preferred
        : path.join(os.tmpdir(), `convene-redis-${createHash('sha256').update(this.dataDir).digest('hex').slice(0, 16)}.sock`);
  }

  get url(): string {
    return `unix://${this.socketPath}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.stopping = false;
    fs.mkdirSync(this.dataDir, { recursive: true });
    await this.spawnOnce();
  }

  private async spawnOnce(): Promise<void> {
    fs.rmSync(this.socketPath, { force: true });
    const args = [
      '--port', '0',
      '--unixsocket', this.socketPath,
      '--unixsocketperm', '700',
      '--dir', this.dataDir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--daemonize', 'no',
      '--loglevel', 'warning',
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const output: string[] = [];
    const keep = (b: Buffer) => {
      output.push(b.toString());
      if (output.length > 50) output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (err) =>
        reject(new Error(`cannot start ${this.bin}: ${err.message} (install Debian's redis-server, or set store.redisUrl)`)),
      ),
    );
    const earlyExit = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) during start: ${output.join('').trim()}`))),
    );
    await Promise.race([waitForPong(this.socketPath, 15_000), spawnError, earlyExit]);
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.consecutiveCrashes = 0;
    this.opts.logger.info({ redisPid: child.pid, socket: this.socketPath, dataDir: this.dataDir }, 'embedded redis ready');
    this.emit('ready', child.pid ?? 0);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = undefined;
    this.emit('exit', code, signal);
    if (this.stopping) return;
    const delay = restartDelayMs(this.opts.restartDelayMs ?? 100, this.opts.maxRestartDelayMs ?? 5_000, this.consecutiveCrashes);
    this.consecutiveCrashes++;
    this.opts.logger.error({ code, signal, restartInMs: delay }, 'embedded redis died; restarting');
    this.emit('restarting', delay);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.restarts++;
      this.spawnOnce().catch((err: unknown) => {
        this.opts.logger.error({ err }, 'embedded redis restart failed');
        this.onExit(child, null, null);
      });
    }, delay);
  }

  /** Stops the child; SIGTERM makes redis flush the AOF before exiting. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await terminateChild(child, 10_000);
    fs.rmSync(this.socketPath, { force: true });
  }
}

/** Polls the socket with a raw PING until redis answers +PONG. */
export async function waitForPong(socketPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(socketPath);
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => done(d.toString().startsWith('+PONG')));
      s.once('error', () => done(false));
      s.setTimeout(1000, () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis did not answer on ${socketPath} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
