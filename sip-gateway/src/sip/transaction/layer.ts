/**
 * The transaction layer: matches incoming messages to transactions (RFC 3261 §17.1.3 / §17.2.3,
 * with the RFC 2543 fallback for branches without the magic cookie), creates server transactions
 * (sending 100 Trying for INVITE), handles CANCEL (200 to the CANCEL, 487 to the INVITE), and
 * creates client transactions for the layers above.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../../../common/src/index.js';
import {
  createResponse,
  formatUri,
  formatVia,
  newBranch,
  SipRequest,
  type SipMessage,
  type SipResponse,
} from '../message/index.js';
import type { Endpoint, Flow, TransportLayer, TransportUser } from '../transport/index.js';
import { TransactionEnd, type Transaction, type TransactionContext, type TransactionObserver } from './base.js';
import { InviteClientTransaction, NonInviteClientTransaction, type ClientTransaction, type ClientTransactionUser } from './client.js';
import { InviteServerTransaction, NonInviteServerTransaction, type ServerTransaction } from './server.js';
import type { SipTimers } from './timers.js';

const MAGIC = 'z9hG4bK';

/** A stateless refusal decided before a server transaction exists (limits, policy). */
export interface Refusal {
  status: number;
  reason?: string;
  headers?: Record<string, string>;
}

/** The transaction layer's upward interface (implemented by the stack core). */
export interface TransactionUser {
  /** Consulted for each new request (not ACK/CANCEL); a Refusal is answered statelessly. */
  admit?(req: SipRequest, flow: Flow): Refusal | undefined;
  onRequest(tx: ServerTransaction): void;
  /** An ACK that no INVITE server transaction absorbed (the ACK for a 2xx). */
  onAck(ack: SipRequest, flow: Flow): void;
  /** A 2xx that no client transaction matched (late retransmission): the dialog re-ACKs. */
  onStrayResponse?(res: SipResponse, flow: Flow): void;
}

export interface TransactionLayerDeps {
  clock: Clock;
  timers: SipTimers;
  logger: Logger;
  observer: TransactionObserver;
}

export class TransactionLayer implements TransportUser {
  private readonly client = new Map<string, ClientTransaction>();
  private readonly server = new Map<string, ServerTransaction>();
  private user: TransactionUser | undefined;
  private readonly ctx: TransactionContext;

  constructor(
    private readonly transport: TransportLayer,
    private readonly deps: TransactionLayerDeps,
  ) {
    this.ctx = {
      clock: deps.clock,
      timers: deps.timers,
      observer: deps.observer,
      logger: deps.logger,
      transport: {
        sendRequest: (req, target) => transport.send(req, target),
        sendResponse: (res, flow) => transport.sendResponse(res, flow),
      },
      onTerminated: (tx) => this.forget(tx),
    };
    transport.setUser(this);
  }

  setUser(user: TransactionUser): void {
    this.user = user;
  }

  get timers(): SipTimers {
    return this.deps.timers;
  }

  /** Live transactions (client + server). */
  get size(): number {
    return this.client.size + this.server.size;
  }

  get serverCount(): number {
    return this.server.size;
  }

  // ------------------------------------------------------------------------------------ inbound

  onMessage(msg: SipMessage, flow: Flow): void {
    if (msg.kind === 'response') this.onResponse(msg, flow);
    else this.onRequest(msg, flow);
  }

  private onResponse(res: SipResponse, flow: Flow): void {
    const branch = res.topVia.params.get('branch');
    const tx = branch ? this.client.get(clientKey(branch, res.cseq.method)) : undefined;
    if (tx) tx.receiveResponse(res);
    else if (res.status >= 200 && res.status < 300 && res.cseq.method === 'INVITE') this.user?.onStrayResponse?.(res, flow);
  }

  private onRequest(req: SipRequest, flow: Flow): void {
    const existing = this.server.get(serverKey(req));
    if (req.method === 'ACK') {
      const ist = existing ?? this.findIstForLegacyAck(req);
      if (ist instanceof InviteServerTransaction && ist.state !== 'accepted') ist.receiveRequest(req);
      else this.user?.onAck(req, flow);
      return;
    }
    if (existing) {
      existing.receiveRequest(req);
      return;
    }
    if (req.method === 'CANCEL') {
      this.onCancel(req, flow);
      return;
    }
    const refusal = this.user?.admit?.(req, flow);
    if (refusal) {
      const res = createResponse(req, refusal.status, refusal.reason);
      for (const [k, v] of Object.entries(refusal.headers ?? {})) res.append(k, v);
      this.transport.sendResponse(res, flow).catch(() => undefined);
      return;
    }
    const key = serverKey(req);
    const tx: ServerTransaction =
      req.method === 'INVITE'
        ? new InviteServerTransaction(key, req, flow, this.ctx)
        : new NonInviteServerTransaction(key, req, flow, this.ctx);
    this.server.set(key, tx);
    // Sent at once rather than after 200 ms: cheap, and it stops the caller's Timer A early.
    if (tx instanceof InviteServerTransaction) tx.respond(createResponse(req, 100));
    if (this.user) this.user.onRequest(tx);
    else tx.respond(tx.makeResponse(503));
  }

  private onCancel(cancel: SipRequest, flow: Flow): void {
    const key = serverKey(cancel);
    const tx = new NonInviteServerTransaction(key, cancel, flow, this.ctx);
    this.server.set(key, tx);
    const invite = this.server.get(serverKey(cancel, 'INVITE'));
    if (!(invite instanceof InviteServerTransaction)) {
      tx.respond(tx.makeResponse(481));
      return;
    }
    tx.respond(tx.makeResponse(200));
    if (invite.state === 'proceeding' && !invite.finalSent) {
      invite.events.emit('cancel', cancel);
      // The TU may already have answered from its listener; only then is the 487 skipped.
      if (invite.state === 'proceeding') invite.respond(invite.makeResponse(487));
    }
  }

  /** RFC 2543 peers: the ACK's To tag is the one our IST put in its response. */
  private findIstForLegacyAck(ack: SipRequest): ServerTransaction | undefined {
    const branch = ack.topVia.params.get('branch');
    if (branch?.startsWith(MAGIC)) return undefined;
    const tx = this.server.get(legacyKey(ack, 'INVITE', false));
    return tx && tx.localTag === ack.toTag ? tx : undefined;
  }

  // ----------------------------------------------------------------------------------- outbound

  /**
   * Sends a request in a new client transaction. A top Via with a fresh branch is added (the
   * transport fills in sent-by); the returned transaction reports responses to `user`.
   */
  sendRequest(req: SipRequest, target: Endpoint, user: ClientTransactionUser): ClientTransaction {
    if (req.method === 'ACK') throw new Error('ACK is not sent in a transaction; use sendAck');
    if (req.method !== 'CANCEL' || !req.has('Via')) {
      req.prepend('Via', formatVia({ transport: 'UDP', host: '0.0.0.0', port: undefined, params: new Map([['branch', newBranch()]]) }));
    }
    const finalTarget = this.transport.prepareRequest(req, target);
    const branch = req.topVia.params.get('branch') ?? '';
    const key = clientKey(branch, req.method);
    const tx =
      req.method === 'INVITE'
        ? new InviteClientTransaction(key, req, finalTarget, user, this.ctx)
        : new NonInviteClientTransaction(key, req, finalTarget, user, this.ctx);
    this.client.set(key, tx);
    tx.start();
    return tx;
  }

  /** The ACK for a 2xx is its own transaction-less request (RFC 3261 §13.2.2.4). */
  sendAck(ack: SipRequest, target: Endpoint): Promise<void> {
    if (!ack.has('Via')) {
      ack.prepend('Via', formatVia({ transport: 'UDP', host: '0.0.0.0', port: undefined, params: new Map([['branch', newBranch()]]) }));
    }
    const t = this.transport.prepareRequest(ack, target);
    return this.transport.send(ack, t);
  }

  /** Re-sends an already prepared ACK (2xx retransmission seen). */
  resendAck(ack: SipRequest, target: Endpoint): Promise<void> {
    return this.transport.send(ack, target);
  }

  /** CANCEL for a pending INVITE (RFC 3261 §9.1): same Via branch, Request-URI, Call-ID, From, To, Route. */
  cancel(invite: InviteClientTransaction, user: ClientTransactionUser): ClientTransaction {
    const req = invite.request;
    const cancel = new SipRequest('CANCEL', req.uri);
    cancel.append('Via', req.get('Via') ?? '');
    cancel.append('Max-Forwards', '70');
    for (const r of req.getAll('Route')) cancel.append('Route', r);
    cancel.append('From', req.get('From') ?? '');
    cancel.append('To', req.get('To') ?? '');
    cancel.append('Call-ID', req.callId);
    cancel.append('CSeq', `${req.cseq.seq} CANCEL`);
    return this.sendRequest(cancel, invite.target, user);
  }

  /** Sends a response outside any transaction (2xx retransmissions owned by a dialog). */
  respondStateless(res: SipResponse, flow: Flow): Promise<void> {
    return this.transport.sendResponse(res, flow);
  }

  /** Advertised address of our transport for a protocol/family (for Contact headers). */
  localEndpoint(protocol: Endpoint['protocol'], family: 4 | 6): { address: string; port: number } | undefined {
    return this.transport.localEndpoint(protocol, family);
  }

  /** Counts a 2xx retransmission made by a dialog (the IST no longer owns it). */
  retransmitted2xx(): void {
    this.deps.observer.retransmitted('ist', 'INVITE');
  }

  /** Ends every transaction (shutdown). */
  stop(): void {
    for (const tx of [...this.client.values(), ...this.server.values()]) tx.terminate(TransactionEnd.Stopped);
  }

  private forget(tx: Transaction): void {
    if (this.client.get(tx.key) === tx) this.client.delete(tx.key);
    if (this.server.get(tx.key) === tx) this.server.delete(tx.key);
  }
}

function clientKey(branch: string, method: string): string {
  return `${branch}|${method}`;
}

/** §17.2.3: branch + sent-by + method (ACK matches INVITE); otherwise the RFC 2543 rules. */
function serverKey(req: SipRequest, methodOverride?: string): string {
  const via = req.topVia;
  const method = methodOverride ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const branch = via.params.get('branch');
  if (branch?.startsWith(MAGIC)) return `${branch}|${via.host}:${via.port ?? ''}|${method}`;
  return legacyKey(req, method, method !== 'INVITE');
}

function legacyKey(req: SipRequest, method: string, withToTag: boolean): string {
  const via = req.topVia;
  return [
    '2543',
    formatUri(req.uri),
    withToTag ? (req.toTag ?? '') : '',
    req.fromTag ?? '',
    req.callId,
    req.cseq.seq,
    `${via.host}:${via.port ?? ''}|${via.params.get('branch') ?? ''}`,
    method,
  ].join('|');
}
