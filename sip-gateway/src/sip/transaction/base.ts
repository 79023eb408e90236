/** What every transaction needs from its layer, and the timer bookkeeping they share. */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../../common/src/index.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import type { Endpoint, Flow } from '../transport/index.js';
import type { SipTimers } from './timers.js';

export type TransactionKind = 'ict' | 'nict' | 'ist' | 'nist';

/** Why a transaction ended; stable names used in logs and metric labels. */
export const TransactionEnd = {
  Completed: 'completed',
  Timeout: 'timeout',
  TransportError: 'transport_error',
  Stopped: 'stopped',
} as const;
export type TransactionEnd = (typeof TransactionEnd)[keyof typeof TransactionEnd];

/** The transaction layer's downward interface: how transactions put bytes on the wire. */
export interface TransactionTransport {
  sendRequest(req: SipRequest, target: Endpoint): Promise<void>;
  sendResponse(res: SipResponse, flow: Flow): Promise<void>;
}

/** Monitoring hooks, kept apart from behaviour. */
export interface TransactionObserver {
  retransmitted(kind: TransactionKind, method: string): void;
  ended(kind: TransactionKind, method: string, result: string): void;
}

export interface TransactionContext {
  clock: Clock;
  timers: SipTimers;
  transport: TransactionTransport;
  observer: TransactionObserver;
  logger: Logger;
  /** Called once when the transaction reaches Terminated, so the layer can forget it. */
  onTerminated(tx: Transaction): void;
}

export abstract class Transaction {
  abstract readonly kind: TransactionKind;
  abstract readonly reliable: boolean;
  private readonly timerHandles = new Map<string, TimerHandle>();
  terminated = false;
  /** Final status class ("2xx", "4xx", ...) or an end reason, for metrics. */
  protected result = 'none';

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    protected readonly ctx: TransactionContext,
  ) {}

  get method(): string {
    return this.request.method;
  }

  protected startTimer(name: string, ms: number, fire: () => void): void {
    this.stopTimer(name);
    this.timerHandles.set(
      name,
      this.ctx.clock.setTimeout(() => {
        this.timerHandles.delete(name);
        if (!this.terminated) fire();
      }, ms),
    );
  }

  protected stopTimer(name: string): void {
    this.timerHandles.get(name)?.cancel();
    this.timerHandles.delete(name);
  }

  protected recordResult(status: number): void {
    this.result = `${Math.floor(status / 100)}xx`;
  }

  /** Idempotent: cancels timers and tells the layer. */
  terminate(end: TransactionEnd = TransactionEnd.Completed): void {
    if (this.terminated) return;
    this.terminated = true;
    for (const h of this.timerHandles.values()) h.cancel();
    this.timerHandles.clear();
    this.ctx.observer.ended(this.kind, this.method, end === TransactionEnd.Completed ? this.result : end);
    this.onTerminate(end);
    this.ctx.onTerminated(this);
  }

  protected onTerminate(_end: TransactionEnd): void {}
}
