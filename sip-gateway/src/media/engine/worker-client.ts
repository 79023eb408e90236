/**
 * The main thread's handle on one media worker thread: starts it (from TypeScript source under
 * tsx/vitest, or from the compiled .js), matches replies to requests by id, and reports events,
 * counters and the thread's death.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { MediaEngineError } from './port-allocator.js';
import type { CallEventMessage, Command, ReplyValues, RequestMessage, WorkerCounters, WorkerInit, WorkerMessage } from './protocol.js';

export interface WorkerClientHandlers {
  onCallEvent(callId: string, event: CallEventMessage): void;
  onCounters(counters: WorkerCounters): void;
  /** The thread is gone (crash, terminate, or close); every pending request has been rejected. */
  onExit(reason: string): void;
}

/** worker.js beside this file in the compiled build; from source, a bootstrap that registers tsx first. */
export function workerEntry(): URL {
  const fromSource = import.meta.url.endsWith('.ts');
  return new URL(fromSource ? './worker-from-source.mjs' : './worker.js', import.meta.url);
}

export class WorkerClient {
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private exited = false;
  private exitReason = 'worker exited';

  constructor(
    readonly index: number,
    init: WorkerInit & { workerCount: number },
    private readonly logger: Logger,
    private readonly handlers: WorkerClientHandlers,
  ) {
    this.worker = new Worker(workerEntry(), { workerData: init, name: `media-${index}` });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: WorkerMessage): void => {
        if (m.kind === 'ready') {
          this.worker.off('message', onMessage);
          resolve();
        }
      };
      this.worker.on('message', onMessage);
      this.worker.once('exit', () => reject(new MediaEngineError('worker_failed', `media worker ${index} exited before it was ready: ${this.exitReason}`)));
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    this.worker.on('error', (err) => {
      this.exitReason = `worker error: ${err.message}`;
      this.logger.error({ err, worker: index }, 'media worker crashed');
    });
    this.worker.on('exit', (code) => {
      this.exited = true;
      if (this.exitReason === 'worker exited') this.exitReason = `worker exited with code ${code}`;
      const err = new MediaEngineError('worker_failed', `media worker ${index}: ${this.exitReason}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      this.handlers.onExit(this.exitReason);
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get threadId(): number {
    return this.worker.threadId;
  }

  request<C extends Command>(command: C): Promise<ReplyValues[C['op']]> {
    if (this.exited) return Promise.reject(new MediaEngineError('worker_failed', `media worker ${this.index}: ${this.exitReason}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const msg: RequestMessage = { id, command };
      this.worker.postMessage(msg);
    });
  }

  /** Event-loop utilisation of the thread as seen from outside (works even while it is busy). */
  eventLoopUtilization(): { idle: number; active: number; utilization: number } {
    return this.worker.performance.eventLoopUtilization();
  }

  async terminate(reason = 'terminated'): Promise<void> {
    if (this.exited) return;
    this.exitReason = reason;
    await this.worker.terminate();
  }

  private onMessage(m: WorkerMessage): void {
    switch (m.kind) {
      case 'reply': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.ok) p.resolve(m.value);
        else p.reject(new MediaEngineError(m.error.code as never, m.error.message));
        return;
      }
      case 'callEvent':
        this.handlers.onCallEvent(m.callId, m.event);
        return;
      case 'counters':
        this.handlers.onCounters(m.counters);
        return;
      case 'log':
        this.logger[m.level]({ worker: this.index, ...m.fields }, m.msg);
        return;
      case 'ready':
        return;
    }
  }
}
