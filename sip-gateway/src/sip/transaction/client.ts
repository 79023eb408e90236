/**
 * Client transactions: INVITE (ICT, RFC 3261 §17.1.1 with RFC 6026's Accepted state) and
 * non-INVITE (NICT, §17.1.2). One handler per state for incoming responses.
 */
import { SipRequest, type SipResponse } from '../message/index.js';
import { isReliable, type Endpoint } from '../transport/index.js';
import { Transaction, TransactionEnd, type TransactionContext } from './base.js';

export type ClientFailure = 'timeout' | 'transport_error' | 'stopped';

/** The transaction user's side of a client transaction. */
export interface ClientTransactionUser {
  onResponse(res: SipResponse, tx: ClientTransaction): void;
  /** Timer B/F fired, the transport failed, or the stack stopped; the TU should act as if a 408/503 arrived. */
  onFailure?(reason: ClientFailure, tx: ClientTransaction): void;
}

export abstract class ClientTransaction extends Transaction {
  readonly reliable: boolean;
  abstract state: string;

  constructor(
    key: string,
    request: SipRequest,
    readonly target: Endpoint,
    protected readonly user: ClientTransactionUser,
    ctx: TransactionContext,
  ) {
    super(key, request, ctx);
    this.reliable = isReliable(target.protocol);
  }

  abstract start(): void;
  abstract receiveResponse(res: SipResponse): void;

  protected send(): void {
    this.ctx.transport.sendRequest(this.request, this.target).catch(() => this.fail('transport_error'));
  }

  protected fail(reason: 'timeout' | 'transport_error'): void {
    if (this.terminated) return;
    this.user.onFailure?.(reason, this);
    this.terminate(reason === 'timeout' ? TransactionEnd.Timeout : TransactionEnd.TransportError);
  }

  /** Stopping the stack must still settle whoever waits on this transaction. */
  override terminate(end: TransactionEnd = TransactionEnd.Completed): void {
    if (this.terminated) return;
    const waiting = this.state === 'calling' || this.state === 'trying' || this.state === 'proceeding';
    if (end === TransactionEnd.Stopped && waiting) this.user.onFailure?.('stopped', this);
    super.terminate(end);
  }
}

// ------------------------------------------------------------------------------------------ ICT

export type IctState = 'calling' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export class InviteClientTransaction extends ClientTransaction {
  readonly kind = 'ict' as const;
  state: IctState = 'calling';
  private ack: SipRequest | undefined;

  private readonly handlers: Record<IctState, (res: SipResponse) => void> = {
    calling: (res) => this.inCallingOrProceeding(res),
    proceeding: (res) => this.inCallingOrProceeding(res),
    completed: (res) => {
      // Retransmitted final response: resend ACK, absorb.
      if (res.status >= 300 && this.ack) {
        this.ctx.observer.retransmitted(this.kind, 'ACK');
        this.ctx.transport.sendRequest(this.ack, this.target).catch(() => undefined);
      }
    },
    accepted: (res) => {
      // 2xx retransmissions (and 2xx from other forks) go to the TU, which re-sends its ACK.
      if (res.status >= 200 && res.status < 300) this.user.onResponse(res, this);
    },
    terminated: () => undefined,
  };

  start(): void {
    this.send();
    if (!this.reliable) this.retransmitA(this.ctx.timers.T1);
    this.startTimer('B', this.ctx.timers.B, () => this.fail('timeout'));
  }

  private retransmitA(interval: number): void {
    this.startTimer('A', interval, () => {
      if (this.state !== 'calling') return;
      this.ctx.observer.retransmitted(this.kind, this.method);
      this.send();
      this.retransmitA(interval * 2);
    });
  }

  receiveResponse(res: SipResponse): void {
    this.handlers[this.state](res);
  }

  private inCallingOrProceeding(res: SipResponse): void {
    this.stopTimer('A');
    if (res.status < 200) {
      this.state = 'proceeding';
      this.stopTimer('B');
      this.user.onResponse(res, this);
    } else if (res.status < 300) {
      this.recordResult(res.status);
      this.state = 'accepted';
      this.stopTimer('B');
      this.startTimer('M', this.ctx.timers.M, () => this.terminate());
      this.user.onResponse(res, this);
    } else {
      this.recordResult(res.status);
      this.state = 'completed';
      this.stopTimer('B');
      this.ack = buildNon2xxAck(this.request, res);
      this.ctx.transport.sendRequest(this.ack, this.target).catch(() => undefined);
      this.user.onResponse(res, this);
      if (this.reliable) this.terminate();
      else this.startTimer('D', this.ctx.timers.D, () => this.terminate());
    }
  }

  protected override onTerminate(): void {
    this.state = 'terminated';
  }
}

/** RFC 3261 §17.1.1.3: the ACK for a non-2xx final response belongs to the INVITE transaction. */
function buildNon2xxAck(invite: SipRequest, res: SipResponse): SipRequest {
  const ack = new SipRequest('ACK', invite.uri);
  const via = invite.get('Via');
  if (via !== undefined) ack.append('Via', via);
  ack.append('Max-Forwards', '70');
  for (const r of invite.getAll('Route')) ack.append('Route', r);
  ack.append('From', invite.get('From') ?? '');
  ack.append('To', res.get('To') ?? '');
  ack.append('Call-ID', invite.callId);
  ack.append('CSeq', `${invite.cseq.seq} ACK`);
  return ack;
}

// ----------------------------------------------------------------------------------------- NICT

export type NictState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteClientTransaction extends ClientTransaction {
  readonly kind = 'nict' as const;
  state: NictState = 'trying';

  private readonly handlers: Record<NictState, (res: SipResponse) => void> = {
    trying: (res) => this.inTryingOrProceeding(res),
    proceeding: (res) => this.inTryingOrProceeding(res),
    completed: () => undefined, // retransmitted finals are absorbed
    terminated: () => undefined,
  };

  start(): void {
    this.send();
    if (!this.reliable) this.retransmitE(this.ctx.timers.T1);
    this.startTimer('F', this.ctx.timers.F, () => this.fail('timeout'));
  }

  private retransmitE(interval: number): void {
    this.startTimer('E', interval, () => {
      if (this.state !== 'trying' && this.state !== 'proceeding') return;
      this.ctx.observer.retransmitted(this.kind, this.method);
      this.send();
      // In Proceeding the interval is T2; in Trying it doubles up to T2.
      this.retransmitE(this.state === 'proceeding' ? this.ctx.timers.T2 : Math.min(interval * 2, this.ctx.timers.T2));
    });
  }

  receiveResponse(res: SipResponse): void {
    this.handlers[this.state](res);
  }

  private inTryingOrProceeding(res: SipResponse): void {
    if (res.status < 200) {
      this.state = 'proceeding';
      this.user.onResponse(res, this);
      return;
    }
    this.recordResult(res.status);
    this.state = 'completed';
    this.stopTimer('E');
    this.stopTimer('F');
    this.user.onResponse(res, this);
    if (this.reliable) this.terminate();
    else this.startTimer('K', this.ctx.timers.K, () => this.terminate());
  }

  protected override onTerminate(): void {
    this.state = 'terminated';
  }
}
