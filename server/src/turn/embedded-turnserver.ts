import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { Logger } from 'pino';
import { Emitter } from '../../../common/src/index.js';
import { waitForStun } from './stun-probe.js';
import { turnserverConf, type EmbeddedTurnConfig } from './turnserver-conf.js';
import { SupervisedChild } from '../process/index.js';

export interface EmbeddedTurnOptions {
  config: EmbeddedTurnConfig;
  /** The TURN REST shared secret. */
  secret: string;
  /** This node's SFU media address(es): the only peers the relay may reach (plus config.allowedPeerIps). */
  sfuAddresses: string[];
  logger: Logger;
  /** First restart delay; doubles per consecutive crash up to `maxRestartDelayMs`. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  startTimeoutMs?: number;
}

type EmbeddedTurnEvents = {
  ready: [pid: number];
  exit: [code: number | null, signal: NodeJS.Signals | null];
  restarting: [delayMs: number];
  /** A TURN allocation succeeded (a browser got a relay address). */
  allocation: [];
};

// coturn's line for a successful Allocate, e.g.
// "session 001000000000000001: realm <convene> user <1700000000:abc>: incoming packet ALLOCATE processed, success"
const ALLOCATION_SUCCESS = /incoming packet ALLOCATE processed, success/;

/**
 * A supervised `turnserver` (coturn) child, like the embedded Redis: started from a config file
 * Convene writes into its data dir, ready once it answers a STUN Binding request, restarted
 * with backoff if it dies, stopped on `stop()`.
 */
export class EmbeddedTurnServer extends Emitter<EmbeddedTurnEvents> {
  private readonly dataDir: string;
  private readonly confFile: string;
  private readonly pidFile: string;
  private readonly supervisor: SupervisedChild;
  /** The last lines coturn printed, for start-up error messages. */
  private readonly recent: string[] = [];
  up = false;

  constructor(private readonly opts: EmbeddedTurnOptions) {
    super((event, err) => opts.logger.error({ err, event }, 'embedded turnserver listener failed'));
    this.dataDir = path.resolve(opts.config.dataDir);
    this.confFile = path.join(this.dataDir, 'turnserver.conf');
    this.pidFile = path.join(this.dataDir, 'turnserver.pid');
    const { turnserverBin: bin, listenIp, port } = opts.config;
    this.supervisor = new SupervisedChild({
      name: 'embedded turnserver',
      logger: opts.logger,
      restartDelayMs: opts.restartDelayMs ?? 200,
      maxRestartDelayMs: opts.maxRestartDelayMs ?? 10_000,
      killAfterMs: 5_000,
      spawn: () => this.spawnTurnserver(),
      waitReady: (_child, isCurrent) => waitForStun(this.probeHost, port, opts.startTimeoutMs ?? 15_000, isCurrent),
      cannotStart: (err) => `cannot start ${bin}: ${err.message} (install Debian's coturn, or set turn.embedded.enabled: false)`,
      exitedDuringStart: (code) => `turnserver exited (${code}) during start: ${this.recent.slice(-8).join(' | ')}`,
      onReady: (child) => {
        this.up = true;
        opts.logger.info({ turnPid: child.pid, listen: `${listenIp}:${port}`, dataDir: this.dataDir }, 'embedded turnserver ready');
        this.emit('ready', child.pid ?? 0);
      },
      onExit: (code, signal) => {
        this.up = false;
        this.emit('exit', code, signal);
      },
      onRestarting: (delayMs) => this.emit('restarting', delayMs),
    });
  }

  get pid(): number | undefined {
    return this.supervisor.pid;
  }

  get restarts(): number {
    return this.supervisor.restarts;
  }

  /** Where a local probe reaches the server (a wildcard listen address is probed on loopback). */
  private get probeHost(): string {
    const ip = this.opts.config.listenIp;
    return ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  }

  async start(): Promise<void> {
    fs.mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(this.confFile, turnserverConf(this.opts.config, this.opts.secret, this.opts.sfuAddresses, this.dataDir), { mode: 0o600 });
    fs.chmodSync(this.confFile, 0o600);
    this.killLeftover();
    await this.supervisor.start();
  }

  /** A turnserver left running by a Convene that was killed would hold the port: end it. */
  private killLeftover(): void {
    let pid: number;
    try {
      pid = Number(fs.readFileSync(this.pidFile, 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 1) return;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return; // not running
    }
    if (!cmdline.includes(this.confFile)) return; // the pid was reused by something else
    this.opts.logger.warn({ turnPid: pid }, 'stopping a turnserver left over from a previous run');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private spawnTurnserver(): ChildProcess {
    const child = spawn(this.opts.config.turnserverBin, ['-c', this.confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = this.opts.logger;
    const onLine = (line: string) => {
      this.recent.push(line);
      if (this.recent.length > 40) this.recent.shift();
      if (ALLOCATION_SUCCESS.test(line)) this.emit('allocation');
      log.debug({ turnPid: child.pid, line }, 'turnserver');
    };
    readline.createInterface({ input: child.stdout! }).on('line', onLine);
    readline.createInterface({ input: child.stderr! }).on('line', onLine);
    return child;
  }

  /** Stops the child (SIGTERM, SIGKILL after 5 s). Safe to call twice. */
  async stop(): Promise<void> {
    this.up = false;
    if (await this.supervisor.stop()) fs.rmSync(this.pidFile, { force: true });
  }
}
