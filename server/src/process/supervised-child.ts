import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { restartDelayMs, terminateChild } from './child.js';

export interface SupervisedChildOptions {
  /** What log lines call it, e.g. 'embedded redis'. */
  name: string;
  logger: Logger;
  /** First restart delay; doubles per consecutive crash up to `maxRestartDelayMs`. */
  restartDelayMs: number;
  maxRestartDelayMs: number;
  /** On stop, SIGKILL if SIGTERM has not ended it after this long. */
  killAfterMs: number;
  /** Spawns one child, its output already being read. */
  spawn: () => ChildProcess;
  /** Resolves once the child serves; `isCurrent()` turns false when it is no longer the supervised one. */
  waitReady: (child: ChildProcess, isCurrent: () => boolean) => Promise<void>;
  /** The start error when the binary cannot be run, and when the child exits while starting. */
  cannotStart: (err: Error) => string;
  exitedDuringStart: (code: number | null) => string;
  onReady: (child: ChildProcess) => void;
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
  onRestarting: (delayMs: number) => void;
}

/**
 * Keeps one companion process (embedded Redis, embedded coturn) running: `start()` resolves once
 * it is ready, a crash restarts it with backoff, `stop()` ends it and any pending restart.
 */
export class SupervisedChild {
  private child: ChildProcess | undefined;
  private stopping = false;
  private consecutiveCrashes = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  restarts = 0;

  constructor(private readonly opts: SupervisedChildOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.spawnOnce();
  }

  private async spawnOnce(): Promise<void> {
    const child = this.opts.spawn();
    this.child = child;
    const spawnError = new Promise<never>((_, reject) => child.once('error', (err) => reject(new Error(this.opts.cannotStart(err)))));
    const earlyExit = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(this.opts.exitedDuringStart(code)))));
    // Either may settle after the race is decided; that must not become an unhandled rejection.
    spawnError.catch(() => undefined);
    earlyExit.catch(() => undefined);
    try {
      await Promise.race([this.opts.waitReady(child, () => this.child === child), spawnError, earlyExit]);
    } catch (err) {
      // A child that never became ready must not linger beside the next attempt.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw err;
    }
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.consecutiveCrashes = 0;
    this.opts.onReady(child);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = undefined;
    this.opts.onExit(code, signal);
    if (this.stopping) return;
    const delay = restartDelayMs(this.opts.restartDelayMs, this.opts.maxRestartDelayMs, this.consecutiveCrashes);
    this.consecutiveCrashes++;
    this.opts.logger.error({ code, signal, restartInMs: delay }, `${this.opts.name} died; restarting`);
    this.opts.onRestarting(delay);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.restarts++;
      this.spawnOnce().catch((err: unknown) => {
        this.opts.logger.error({ err }, `${this.opts.name} restart failed`);
        this.onExit(child, null, null);
      });
    }, delay);
  }

  /** Stops the child and any pending restart; true when there was a running child to end. Safe to call twice. */
  async stop(): Promise<boolean> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return false;
    await terminateChild(child, this.opts.killAfterMs);
    return true;
  }
}
