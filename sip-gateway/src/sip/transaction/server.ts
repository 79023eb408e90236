/**
 * Server transactions: INVITE (IST, RFC 3261 §17.2.1 with RFC 6026's Accepted state) and
 * non-INVITE (NIST, §17.2.2). Request retransmissions are absorbed here; one handler per state.
 */
import { Emitter } from '../../../../common/src/index.js';
import { createResponse, newTag, type SipRequest, type SipResponse } from '../message/index.js';
import { isReliable, type Flow } from '../transport/index.js';
import { Transaction, TransactionEnd, type TransactionContext } from './base.js';

export type ServerTransactionEvents = {
  /** A matching CANCEL arrived while no final response had been sent (a 487 follows automatically). */
  cancel: [cancel: SipRequest];
  /** IST only: the ACK for a 2xx (RFC 6026 Accepted state) or any ACK reaching the transaction. */
  ack: [ack: SipRequest];
  /** IST only: Timer H fired, no ACK for the non-2xx final response. */
  ackTimeout: [];
  /** A final response was sent. */
  final: [status: number];
  terminated: [];
};

export abstract class ServerTransaction extends Transaction {
  readonly reliable: boolean;
  readonly events = new Emitter<ServerTransactionEvents>();
  abstract state: string;
  /** The To tag this side uses in every response to the request. */
  readonly localTag: string;
  protected lastResponse: SipResponse | undefined;

  constructor(
    key: string,
    request: SipRequest,
    readonly flow: Flow,
    ctx: TransactionContext,
  ) {
    super(key, request, ctx);
    this.reliable = isReliable(flow.protocol);
    this.localTag = request.toTag ?? newTag();
  }

  /** True once a final response has been sent. */
  get finalSent(): boolean {
    return this.lastResponse !== undefined && this.lastResponse.status >= 200;
  }

  /** Builds a response to this request carrying this transaction's To tag. */
  makeResponse(status: number, reason?: string): SipResponse {
    return createResponse(this.request, status, reason, this.localTag);
  }

  abstract respond(res: SipResponse): void;
  abstract receiveRequest(req: SipRequest): void;

  protected transmit(res: SipResponse): void {
    if (res.status >= 200) this.events.emit('final', res.status);
    this.ctx.transport.sendResponse(res, this.flow).catch((err: unknown) => {
      this.ctx.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'response send failed');
      this.terminate(TransactionEnd.TransportError);
    });
  }

  protected retransmitLast(): void {
    if (!this.lastResponse) return;
    this.ctx.observer.retransmitted(this.kind, this.method);
    this.transmit(this.lastResponse);
  }

  protected override onTerminate(): void {
    this.events.emit('terminated');
    this.events.removeAllListeners();
  }
}

// ------------------------------------------------------------------------------------------ IST

export type IstState = 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export class InviteServerTransaction extends ServerTransaction {
  readonly kind = 'ist' as const;
  state: IstState = 'proceeding';

  private readonly requestHandlers: Record<IstState, (req: SipRequest) => void> = {
    proceeding: (req) => (req.method === 'INVITE' ? this.retransmitLast() : undefined),
    completed: (req) => {
      if (req.method === 'INVITE') this.retransmitLast();
      else if (req.method === 'ACK') {
        this.state = 'confirmed';
        this.stopTimer('G');
        this.stopTimer('H');
        this.events.emit('ack', req);
        if (this.reliable) this.terminate();
        else this.startTimer('I', this.ctx.timers.I, () => this.terminate());
      }
    },
    confirmed: () => undefined, // ACK retransmissions absorbed
    accepted: (req) => {
      // INVITE retransmissions are absorbed: the TU (dialog) retransmits the 2xx itself.
      if (req.method === 'ACK') this.events.emit('ack', req);
    },
    terminated: () => undefined,
  };

  private readonly responseHandlers: Record<IstState, (res: SipResponse) => void> = {
    proceeding: (res) => {
      this.lastResponse = res;
      this.transmit(res);
      if (res.status < 200) return;
      this.recordResult(res.status);
      if (res.status < 300) {
        this.state = 'accepted';
        this.startTimer('L', this.ctx.timers.L, () => this.terminate());
      } else {
        this.state = 'completed';
        if (!this.reliable) this.retransmitG(this.ctx.timers.T1);
        this.startTimer('H', this.ctx.timers.H, () => {
          this.events.emit('ackTimeout');
          this.terminate(TransactionEnd.Timeout);
        });
      }
    },
    completed: () => undefined,
    confirmed: () => undefined,
    // 2xx retransmissions from the TU pass straight through.
    accepted: (res) => (res.status >= 200 && res.status < 300 ? this.transmit(res) : undefined),
    terminated: () => undefined,
  };

  receiveRequest(req: SipRequest): void {
    this.requestHandlers[this.state](req);
  }

  respond(res: SipResponse): void {
    this.responseHandlers[this.state](res);
  }

  private retransmitG(interval: number): void {
    this.startTimer('G', interval, () => {
      if (this.state !== 'completed') return;
      this.retransmitLast();
      this.retransmitG(Math.min(interval * 2, this.ctx.timers.T2));
    });
  }

  protected override onTerminate(): void {
    this.state = 'terminated';
    super.onTerminate();
  }
}

// ----------------------------------------------------------------------------------------- NIST

export type NistState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export class NonInviteServerTransaction extends ServerTransaction {
  readonly kind = 'nist' as const;
  state: NistState = 'trying';

  private readonly requestHandlers: Record<NistState, () => void> = {
    trying: () => undefined, // nothing to resend yet
    proceeding: () => this.retransmitLast(),
    completed: () => this.retransmitLast(),
    terminated: () => undefined,
  };

  private readonly responseHandlers: Record<NistState, (res: SipResponse) => void> = {
    trying: (res) => this.send(res),
    proceeding: (res) => this.send(res),
    completed: () => undefined,
    terminated: () => undefined,
  };

  receiveRequest(_retransmission: SipRequest): void {
    this.requestHandlers[this.state]();
  }

  respond(res: SipResponse): void {
    this.responseHandlers[this.state](res);
  }

  private send(res: SipResponse): void {
    this.lastResponse = res;
    this.transmit(res);
    if (res.status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.recordResult(res.status);
    this.state = 'completed';
    if (this.reliable) this.terminate();
    else this.startTimer('J', this.ctx.timers.J, () => this.terminate());
  }

  protected override onTerminate(): void {
    this.state = 'terminated';
    super.onTerminate();
  }
}
