/**
 * A request handed to the TU with the ways to answer it: `respond()` for any status (except a 2xx
 * to INVITE), `accept()` for a 2xx to INVITE/UPDATE, which creates or updates the dialog.
 */
import { Emitter } from '../../../../common/src/index.js';
import type { SipRequest } from '../message/index.js';
import type { ServerTransaction } from '../transaction/index.js';
import type { Flow } from '../transport/index.js';
import type { Dialog } from './dialog.js';
import { applyParts, SipStackError, SipStackErrorCode, type RespondOptions } from './types.js';

export interface IncomingHost {
  /** Sends the 2xx to an initial INVITE and returns the new dialog. */
  acceptInvite(incoming: IncomingRequest, opts: RespondOptions): Dialog;
}

export class IncomingRequest {
  /** `cancel`: the caller sent CANCEL before our final response; a 487 has been sent for us. */
  readonly events = new Emitter<{ cancel: [] }>();
  private answeredFlag = false;

  constructor(
    readonly tx: ServerTransaction,
    private readonly host: IncomingHost,
    /** Set for requests inside an existing dialog. */
    readonly dialog?: Dialog,
  ) {
    tx.events.on('cancel', () => {
      this.answeredFlag = true;
      this.events.emit('cancel');
    });
  }

  get request(): SipRequest {
    return this.tx.request;
  }

  get method(): string {
    return this.tx.request.method;
  }

  get flow(): Flow {
    return this.tx.flow;
  }

  /** True once a final response went out (or a CANCEL made the stack answer 487). */
  get answered(): boolean {
    return this.answeredFlag || this.tx.finalSent;
  }

  /** Sends a provisional or final response. A 2xx to INVITE must go through `accept()`. */
  respond(status: number, opts: RespondOptions = {}): void {
    if (this.answered) throw new SipStackError(SipStackErrorCode.AlreadyAnswered, 'request already answered');
    if (status >= 200 && status < 300 && (this.method === 'INVITE' || (this.dialog && this.method === 'UPDATE'))) {
      this.accept(opts);
      return;
    }
    const res = this.tx.makeResponse(status, opts.reason);
    applyParts(res, opts);
    if (status >= 200 && status < 300 && this.dialog) this.dialog.decorate2xx(this.request, res);
    this.tx.respond(res);
  }

  /** 2xx to INVITE (new or re-INVITE) or in-dialog UPDATE. Returns the dialog. */
  accept(opts: RespondOptions = {}): Dialog {
    if (this.answered) throw new SipStackError(SipStackErrorCode.AlreadyAnswered, 'request already answered');
    if (this.method !== 'INVITE' && !(this.dialog && this.method === 'UPDATE')) {
      throw new SipStackError(SipStackErrorCode.NotInvite, 'accept() is for INVITE and in-dialog UPDATE');
    }
    if (!this.dialog) return this.host.acceptInvite(this, opts);
    const res = this.tx.makeResponse(200, opts.reason);
    applyParts(res, opts);
    if (opts.body !== undefined) this.dialog.localBody = res.body;
    this.dialog.decorate2xx(this.request, res);
    this.tx.respond(res);
    if (this.method === 'INVITE') this.dialog.startRetransmitting2xx(res, this.tx.flow);
    return this.dialog;
  }
}
