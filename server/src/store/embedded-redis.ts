import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { Emitter } from '../../../common/src/index.js';
import { SupervisedChild } from '../process/index.js';

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
  private readonly bin: string;
  private readonly dataDir: string;
  private readonly supervisor: SupervisedChild;
  /** What the child being started printed last (raw chunks), for start-up error messages. */
  private output: string[] = [];

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
    this.supervisor = new SupervisedChild({
      name: 'embedded redis',
      logger: opts.logger,
      restartDelayMs: opts.restartDelayMs ?? 100,
      maxRestartDelayMs: opts.maxRestartDelayMs ?? 5_000,
      // SIGTERM makes redis flush the AOF before exiting; give it time to.
      killAfterMs: 10_000,
      spawn: () => this.spawnRedis(),
      waitReady: () => waitForPong(this.socketPath, 15_000),
      cannotStart: (err) => `cannot start ${this.bin}: ${err.message} (install Debian's redis-server, or set store.redisUrl)`,
      exitedDuringStart: (code) => `redis-server exited (${code}) during start: ${this.output.join('').trim()}`,
      onReady: (child) => {
        opts.logger.info({ redisPid: child.pid, socket: this.socketPath, dataDir: this.dataDir }, 'embedded redis ready');
        this.emit('ready', child.pid ?? 0);
      },
      onExit: (code, signal) => this.emit('exit', code, signal),
      onRestarting: (delayMs) => this.emit('restarting', delayMs),
    });
  }

  get url(): string {
    return `unix://${this.socketPath}`;
  }

  get pid(): number | undefined {
    return this.supervisor.pid;
  }

  get restarts(): number {
    return this.supervisor.restarts;
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.dataDir, { recursive: true });
    await this.supervisor.start();
  }

  private spawnRedis(): ChildProcess {
    fs.rmSync(this.socketPath, { force: true });
    const args = [
      '--port', '0',
      '--unixsocket', this.socketPath,
      '--unixsocketperm', '700',
      '--dir', this.dataDir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      // Background tasks (active expiry, stats, AOF checks) once a second instead of 10 times: an
      // idle Redis costs 0.03 % of a core instead of 0.27 % (a town-hall meeting's whole control
      // plane is ~1 %). Nothing here needs faster active expiry: leases are checked by their
      // scores in Lua, expired keys vanish on access, and no client blocks with a timeout.
      '--hz', '1',
      '--daemonize', 'no',
      '--loglevel', 'warning',
    ];
    const child = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    this.output = output;
    const keep = (b: Buffer) => {
      output.push(b.toString());
      if (output.length > 50) output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return child;
  }

  /** Stops the child; SIGTERM makes redis flush the AOF before exiting. Safe to call twice. */
  async stop(): Promise<void> {
    if (await this.supervisor.stop()) fs.rmSync(this.socketPath, { force: true });
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
