/**
 * The UAC side of an initial INVITE: provisional responses as events, CANCEL (sent only once a
 * provisional arrived, RFC 3261 §9.1), the ACK for the 2xx (carrying our answer when the INVITE
 * had no offer) and its re-sending on 2xx retransmissions.
 */
import { Emitter } from '../../../../common/src/index.js';
import type { SipRequest, SipResponse } from '../message/index.js';
import type { InviteClientTransaction, TransactionLayer } from '../transaction/index.js';
import type { Endpoint } from '../transport/index.js';
import type { Dialog } from './dialog.js';
import { DialogEndReason } from './types.js';

export type InviteResult =
  | { ok: true; dialog: Dialog; response: SipResponse }
  | { ok: false; reason: 'rejected' | 'cancelled' | 'timeout' | 'transport_error' | 'stopped'; status?: number; response?: SipResponse };

export interface OutgoingInviteHost {
  transactions: TransactionLayer;
  /** Creates (or finds, for a retransmitted 2xx) the dialog for a 2xx. */
  dialogFor2xx(invite: SipRequest, res: SipResponse, target: Endpoint): { dialog: Dialog; created: boolean };
}

export class OutgoingInvite {
  readonly events = new Emitter<{ provisional: [res: SipResponse] }>();
  readonly result: Promise<InviteResult>;
  private resolve!: (r: InviteResult) => void;
  private tx: InviteClientTransaction | undefined;
  private cancelRequested = false;
  private cancelSent = false;
  private gotProvisional = false;
  private settled = false;
  private readonly acks = new Map<string, SipRequest>();

  constructor(
    private readonly host: OutgoingInviteHost,
    /** Builds the ACK body from the 2xx's offer when our INVITE carried none. */
    private readonly answerFor?: (offer: Buffer, res: SipResponse) => Buffer | string,
  ) {
    this.result = new Promise((r) => (this.resolve = r));
  }

  get request(): SipRequest | undefined {
    return this.tx?.request;
  }

  /** @internal wired by the stack right after the transaction is created. */
  attach(tx: InviteClientTransaction): void {
    this.tx = tx;
  }

  /** Handles every response the ICT passes up. */
  onResponse(res: SipResponse): void {
    const tx = this.tx;
    if (!tx) return;
    if (res.status < 200) {
      this.gotProvisional = true;
      this.events.emit('provisional', res);
      if (this.cancelRequested) this.sendCancel();
      return;
    }
    if (res.status < 300) {
      this.on2xx(tx, res);
      return;
    }
    this.finish({ ok: false, reason: this.cancelRequested && res.status === 487 ? 'cancelled' : 'rejected', status: res.status, response: res });
  }

  onFailure(reason: 'timeout' | 'transport_error' | 'stopped'): void {
    this.finish({ ok: false, reason });
  }

  private on2xx(tx: InviteClientTransaction, res: SipResponse): void {
    const tag = res.toTag ?? '';
    const known = this.acks.get(tag);
    if (known) {
      // Retransmitted 2xx: our ACK was lost.
      this.host.transactions.resendAck(known, tx.target).catch(() => undefined);
      return;
    }
    const { dialog } = this.host.dialogFor2xx(tx.request, res, tx.target);
    const ack = dialog.buildRequest('ACK', tx.request.cseq.seq);
    if (tx.request.body.length === 0 && res.body.length > 0 && this.answerFor) {
      const answer = this.answerFor(res.body, res);
      ack.body = typeof answer === 'string' ? Buffer.from(answer) : answer;
      ack.set('Content-Type', 'application/sdp');
      dialog.localBody = ack.body;
    }
    this.acks.set(tag, ack);
    this.host.transactions.sendAck(ack, tx.target).catch(() => undefined);
    if (this.settled || this.cancelRequested) {
      // A second fork answered, or the callee answered despite our CANCEL: end that call.
      void dialog.bye(DialogEndReason.LocalBye);
      this.finish({ ok: false, reason: 'cancelled', status: res.status, response: res });
      return;
    }
    this.finish({ ok: true, dialog, response: res });
  }

  /** Cancels the call attempt; the CANCEL waits for a provisional response as §9.1 requires. */
  cancel(): void {
    if (this.settled || this.cancelRequested) return;
    this.cancelRequested = true;
    if (this.gotProvisional) this.sendCancel();
  }

  private sendCancel(): void {
    const tx = this.tx;
    if (!tx || this.cancelSent || this.settled) return;
    this.cancelSent = true;
    this.host.transactions.cancel(tx, { onResponse: () => undefined });
  }

  private finish(r: InviteResult): void {
    if (this.settled) return;
    this.settled = true;
    this.resolve(r);
  }
}
