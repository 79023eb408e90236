/**
 * A SIP dialog (RFC 3261 §12) from either side: route set, remote target refresh, CSeq rules,
 * in-dialog requests (re-INVITE, UPDATE, BYE, ...), the UAS's 2xx retransmission until ACK
 * (§13.3.1.4; no ACK → BYE) and RFC 4028 session timers when the peer asked for them.
 */
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { Emitter, type TimerHandle } from '../../../../common/src/index.js';
import {
  formatNameAddr,
  isSipUri,
  SipRequest,
  type NameAddr,
  type SipResponse,
  type Uri,
} from '../message/index.js';
import type { ClientTransaction, ServerTransaction } from '../transaction/index.js';
import { defaultPort, isReliable, type Endpoint, type Flow, type TransportProtocol } from '../transport/index.js';
import type { IncomingRequest } from './incoming.js';
import { expiryDelayMs, readSessionExpires, refreshDelayMs } from './session-timer.js';
import {
  applyParts,
  DialogEndReason,
  SipStackError,
  SipStackErrorCode,
  failureCode,
  type DialogServices,
  type DialogState,
  type MessageParts,
} from './types.js';

export type DialogEvents = {
  /** In-dialog requests other than ACK and BYE (re-INVITE, UPDATE, INFO, ...). Unhandled ones get a default answer. */
  request: [incoming: IncomingRequest];
  /** The ACK for our 2xx (its body is the SDP answer when our 200 carried the offer). */
  ack: [ack: SipRequest];
  terminated: [reason: DialogEndReason];
};

export interface DialogInit {
  role: 'uac' | 'uas';
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: NameAddr;
  remoteUri: NameAddr;
  remoteTarget: Uri;
  routeSet: NameAddr[];
  localSeq: number;
  remoteSeq: number | undefined;
  localContact: string;
  /** How the dialog's first request travelled; in-dialog requests reuse a stream connection. */
  flow: Flow;
}

export class Dialog {
  readonly events = new Emitter<DialogEvents>();
  state: DialogState = 'confirmed';
  readonly role: 'uac' | 'uas';
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: NameAddr;
  readonly remoteUri: NameAddr;
  remoteTarget: Uri;
  readonly routeSet: NameAddr[];
  localSeq: number;
  remoteSeq: number | undefined;
  readonly localContact: string;
  readonly flow: Flow;
  /** Last SDP (or other body) we sent; re-used for session refreshes. */
  localBody: Buffer | undefined;
  remoteBody: Buffer | undefined;
  readonly logger: Logger;

  private pending2xx: { res: SipResponse; seq: number; flow: Flow; timer: TimerHandle | undefined; giveUp: TimerHandle } | undefined;
  private pendingInvite = false;
  private sessionTimer: TimerHandle | undefined;
  private session: { seconds: number; weRefresh: boolean } | undefined;

  constructor(
    init: DialogInit,
    private readonly services: DialogServices,
  ) {
    this.role = init.role;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.localUri = init.localUri;
    this.remoteUri = init.remoteUri;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.localContact = init.localContact;
    this.flow = init.flow;
    this.logger = services.logger.child({ callId: this.callId, dialog: this.role });
  }

  get id(): string {
    return dialogId(this.callId, this.localTag, this.remoteTag);
  }

  /** UAS: our 2xx is still waiting for its ACK. */
  get awaitingAck(): boolean {
    return this.pending2xx !== undefined;
  }

  get terminated(): boolean {
    return this.state === 'terminated';
  }

  // -------------------------------------------------------------------------------- UAS 2xx

  /** UAS: retransmit our 2xx (to the INVITE or a re-INVITE) with T1 doubling to T2 until its ACK. */
  startRetransmitting2xx(res: SipResponse, flow: Flow): void {
    this.stop2xx();
    const { T1, T2 } = this.services.timers;
    const seq = res.cseq.seq;
    const giveUp = this.services.clock.setTimeout(() => {
      this.stop2xx();
      this.logger.info('no ACK for 2xx; ending the session with BYE');
      void this.bye(DialogEndReason.AckTimeout);
    }, 64 * T1);
    this.pending2xx = { res, seq, flow, timer: undefined, giveUp };
    // Retransmitted over reliable transports too (§13.3.1.4): a later hop may be UDP.
    const schedule = (interval: number) => {
      if (!this.pending2xx) return;
      this.pending2xx.timer = this.services.clock.setTimeout(() => {
        if (!this.pending2xx || this.terminated) return;
        this.services.transactions.retransmitted2xx();
        this.services.transactions.respondStateless(res, flow).catch(() => undefined);
        schedule(Math.min(interval * 2, T2));
      }, interval);
    };
    schedule(T1);
  }

  private stop2xx(): void {
    this.pending2xx?.timer?.cancel();
    this.pending2xx?.giveUp.cancel();
    this.pending2xx = undefined;
  }

  /** The ACK for a 2xx we sent. */
  receiveAck(ack: SipRequest): void {
    if (this.pending2xx && ack.cseq.seq === this.pending2xx.seq) {
      this.stop2xx();
      if (ack.body.length > 0) this.remoteBody = ack.body;
      this.events.emit('ack', ack);
    }
  }

  // --------------------------------------------------------------------- incoming requests

  /** An in-dialog request (not ACK, not CANCEL) in its server transaction. */
  receive(tx: ServerTransaction, incoming: IncomingRequest): void {
    const req = tx.request;
    if (this.terminated) {
      tx.respond(tx.makeResponse(481));
      return;
    }
    // §12.2.2: lower or equal CSeq is out of order.
    if (this.remoteSeq !== undefined && req.cseq.seq <= this.remoteSeq) {
      tx.respond(tx.makeResponse(500, 'Out of Order'));
      return;
    }
    this.remoteSeq = req.cseq.seq;
    if (req.method === 'BYE') {
      tx.respond(tx.makeResponse(200));
      this.terminate(DialogEndReason.RemoteBye);
      return;
    }
    if (req.method === 'INVITE' && (this.pendingInvite || this.pending2xx)) {
      tx.respond(tx.makeResponse(491));
      return;
    }
    const se = req.method === 'INVITE' || req.method === 'UPDATE' ? readSessionExpires(req) : undefined;
    if (se && se.seconds < this.services.minSessionExpires) {
      const res = tx.makeResponse(422);
      res.set('Min-SE', String(this.services.minSessionExpires));
      tx.respond(res);
      return;
    }
    if (req.method === 'INVITE' || req.method === 'UPDATE') {
      this.refreshTarget(req);
      if (req.body.length > 0) this.remoteBody = req.body;
    }
    if (this.events.listenerCount('request') > 0) this.events.emit('request', incoming);
    if (!incoming.answered) {
      if (req.method === 'INVITE' || req.method === 'UPDATE') incoming.accept(this.localBody ? { body: this.localBody } : {});
      else if (['INFO', 'NOTIFY', 'OPTIONS', 'MESSAGE'].includes(req.method)) incoming.respond(200);
      else incoming.respond(501);
    }
  }

  /** Remote target refresh (§12.2.2) from a request or a 2xx's Contact. */
  refreshTarget(msg: SipRequest | SipResponse): void {
    const contacts = msg.contacts;
    if (contacts !== '*' && contacts[0]) this.remoteTarget = contacts[0].uri;
  }

  /**
   * Decorates our 2xx to an INVITE/UPDATE with Contact, Allow/Supported and, when the peer
   * asked for a session timer, Session-Expires/Require; then (re)arms the session timer.
   */
  decorate2xx(req: SipRequest, res: SipResponse): void {
    res.set('Contact', this.localContact);
    res.set('Allow', this.services.allow.join(', '));
    res.set('Supported', this.services.supported.join(', '));
    const se = readSessionExpires(req);
    if (!se) return;
    const peerSupportsTimer = req.optionTags('Supported').includes('timer') || req.optionTags('Require').includes('timer');
    const seconds = Math.max(se.seconds, this.services.minSessionExpires);
    // The request's sender is the "uac" of this transaction; without its support we must refresh.
    const refresher: 'uac' | 'uas' = se.refresher ?? (peerSupportsTimer ? 'uac' : 'uas');
    res.set('Session-Expires', `${seconds};refresher=${refresher}`);
    if (peerSupportsTimer) res.set('Require', 'timer');
    this.armSessionTimer(seconds, refresher === 'uas');
  }

  /** UAC: the 2xx to our INVITE/UPDATE says who refreshes. */
  applySessionTimerFromResponse(res: SipResponse): void {
    const se = readSessionExpires(res);
    if (se) this.armSessionTimer(se.seconds, se.refresher !== 'uas');
  }

  private armSessionTimer(seconds: number, weRefresh: boolean): void {
    this.sessionTimer?.cancel();
    this.session = { seconds, weRefresh };
    if (weRefresh) {
      this.sessionTimer = this.services.clock.setTimeout(() => void this.refreshSession(), refreshDelayMs(seconds));
    } else {
      this.sessionTimer = this.services.clock.setTimeout(() => {
        this.logger.info('session timer expired without refresh');
        void this.bye(DialogEndReason.SessionExpired);
      }, expiryDelayMs(seconds));
    }
  }

  private async refreshSession(): Promise<void> {
    if (this.terminated || !this.session) return;
    const { seconds } = this.session;
    // UPDATE without a body refreshes the session without renegotiating media (RFC 4028 §9).
    const res = await this.request('UPDATE', {
      headers: { 'Session-Expires': `${seconds};refresher=uac`, Supported: 'timer' },
    }).catch(() => undefined);
    if (res && res.status >= 200 && res.status < 300) this.applySessionTimerFromResponse(res);
  }

  // --------------------------------------------------------------------- outgoing requests

  /** Builds an in-dialog request per §12.2.1.1 (loose and strict routing). */
  buildRequest(method: string, seq?: number): SipRequest {
    if (method !== 'ACK' && seq === undefined) this.localSeq += 1;
    const cseq = seq ?? this.localSeq;
    const first = this.routeSet[0];
    const strict = first && isSipUri(first.uri) && !first.uri.params.has('lr');
    const req = new SipRequest(method, strict ? first.uri : this.remoteTarget);
    req.append('Max-Forwards', '70');
    const routes = strict ? [...this.routeSet.slice(1), { displayName: undefined, uri: this.remoteTarget, params: new Map() }] : this.routeSet;
    for (const r of routes) req.append('Route', formatNameAddr(r));
    req.append('From', formatNameAddr({ ...this.localUri, params: new Map([...this.localUri.params, ['tag', this.localTag]]) }));
    req.append('To', formatNameAddr({ ...this.remoteUri, params: new Map([...this.remoteUri.params, ['tag', this.remoteTag]]) }));
    req.append('Call-ID', this.callId);
    req.append('CSeq', `${cseq} ${method}`);
    if (method === 'INVITE' || method === 'UPDATE') {
      req.append('Contact', this.localContact);
      req.append('Allow', this.services.allow.join(', '));
      req.append('Supported', this.services.supported.join(', '));
    }
    return req;
  }

  /** Where in-dialog requests go: the open stream connection, else the first route or remote target. */
  nextHop(): Endpoint {
    if (isReliable(this.flow.protocol)) return { protocol: this.flow.protocol, ...this.flow.remote };
    const uri = this.routeSet[0]?.uri ?? this.remoteTarget;
    if (isSipUri(uri) && isIP(uri.host)) {
      const tp = uri.params.get('transport')?.toLowerCase();
      const protocol: TransportProtocol = uri.scheme === 'sips' || tp === 'tls' ? 'tls' : tp === 'tcp' ? 'tcp' : 'udp';
      return { protocol, address: uri.host, port: uri.port ?? defaultPort(protocol) };
    }
    return { protocol: this.flow.protocol, ...this.flow.remote };
  }

  /**
   * Sends a request in this dialog and resolves with its final response. A 2xx to a re-INVITE
   * is ACKed here. 481/408/timeouts end the dialog (§12.2.1.2).
   */
  request(method: string, parts?: MessageParts): Promise<SipResponse> {
    if (this.terminated && method !== 'BYE') {
      return Promise.reject(new SipStackError(SipStackErrorCode.DialogTerminated, 'dialog is terminated'));
    }
    if (method === 'INVITE' && (this.pendingInvite || this.pending2xx)) {
      return Promise.reject(new SipStackError(SipStackErrorCode.RequestPending, 'an INVITE is already pending'));
    }
    const req = this.buildRequest(method);
    applyParts(req, parts);
    if (parts?.body !== undefined && (method === 'INVITE' || method === 'UPDATE')) this.localBody = req.body;
    if (method === 'INVITE') this.pendingInvite = true;
    const target = this.nextHop();
    return new Promise((resolve, reject) => {
      const done = () => {
        if (method === 'INVITE') this.pendingInvite = false;
      };
      const onFinal = (res: SipResponse, tx: ClientTransaction) => {
        if (res.status < 200) return;
        done();
        if (method === 'INVITE' && res.status < 300) {
          const ack = this.buildRequest('ACK', tx.request.cseq.seq);
          this.services.transactions.sendAck(ack, target).catch(() => undefined);
        }
        if ((method === 'INVITE' || method === 'UPDATE') && res.status < 300) {
          this.refreshTarget(res);
          if (res.body.length > 0) this.remoteBody = res.body;
          this.applySessionTimerFromResponse(res);
        }
        if ((res.status === 481 || res.status === 408) && method !== 'BYE') this.terminate(DialogEndReason.PeerGone);
        resolve(res);
      };
      try {
        this.services.transactions.sendRequest(req, target, {
          onResponse: onFinal,
          onFailure: (reason) => {
            done();
            if (method !== 'BYE') this.terminate(DialogEndReason.PeerGone);
            reject(new SipStackError(failureCode(reason), `${method} failed: ${reason}`));
          },
        });
      } catch (err) {
        done();
        reject(err);
      }
    });
  }

  /** Re-INVITE with a new offer. */
  reinvite(parts?: MessageParts): Promise<SipResponse> {
    return this.request('INVITE', parts);
  }

  /** Ends the dialog with BYE (idempotent). Resolves when the BYE transaction completes or fails. */
  async bye(reason: DialogEndReason = DialogEndReason.LocalBye, opts: { reasonHeader?: string } = {}): Promise<void> {
    if (this.terminated) return;
    this.terminate(reason);
    // The TU may say why in its own words (RFC 3326), e.g. the refusal or end reason of a call.
    const header = opts.reasonHeader ?? `SIP;cause=200;text="${reason}"`;
    await this.request('BYE', { headers: { Reason: header } }).catch(() => undefined);
  }

  /** Idempotent local teardown: timers stopped, listeners told, layer forgets us. */
  terminate(reason: DialogEndReason): void {
    if (this.terminated) return;
    this.state = 'terminated';
    this.stop2xx();
    this.sessionTimer?.cancel();
    this.sessionTimer = undefined;
    this.logger.info({ reason }, 'dialog terminated');
    this.services.onDialogTerminated(this.id);
    this.events.emit('terminated', reason);
  }
}

export function dialogId(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}|${localTag}|${remoteTag}`;
}
