/**
 * The dialog layer: creates UAS dialogs when the TU accepts an INVITE and UAC dialogs when a 2xx
 * arrives, routes in-dialog requests and ACKs to their dialog (481 when there is none), and builds
 * out-of-dialog requests (INVITE, OPTIONS, MESSAGE, ...) for the TU.
 */
import { isIP } from 'node:net';
import {
  formatHost,
  formatNameAddr,
  formatUri,
  isSipUri,
  newCallId,
  newTag,
  parseNameAddr,
  parseUri,
  SipRequest,
  type SipResponse,
  type Uri,
} from '../message/index.js';
import type { ServerTransaction, InviteClientTransaction } from '../transaction/index.js';
import { defaultPort, type Endpoint, type Flow, type TransportProtocol } from '../transport/index.js';
import { Dialog, dialogId } from './dialog.js';
import { IncomingRequest, type IncomingHost } from './incoming.js';
import { OutgoingInvite, type OutgoingInviteHost } from './outgoing.js';
import {
  applyParts,
  DialogEndReason,
  SipStackError,
  SipStackErrorCode,
  failureCode,
  type DialogServices,
  type MessageParts,
  type RespondOptions,
} from './types.js';

export interface OutgoingRequestOptions extends MessageParts {
  /** Request-URI, e.g. "sip:alice@127.0.0.1:5070". */
  uri: string | Uri;
  /** Where to send; defaults to the Request-URI's host/port/transport (must be an IP address). */
  target?: Endpoint;
  /** From as name-addr or URI; defaults to sip:convene@<our address>. A tag is added. */
  from?: string;
  /** To as name-addr or URI; defaults to the Request-URI. */
  to?: string;
  callId?: string;
}

export interface OutgoingInviteOptions extends OutgoingRequestOptions {
  /** When the INVITE carries no offer: build the answer (sent in the ACK) from the 2xx's offer. */
  answer?: (offer: Buffer, res: SipResponse) => Buffer | string;
}

export class DialogLayer implements IncomingHost, OutgoingInviteHost {
  private readonly dialogs = new Map<string, Dialog>();
  readonly services: DialogServices;

  constructor(
    services: Omit<DialogServices, 'onDialogTerminated'>,
    private readonly onDialogCreated: (d: Dialog) => void = () => undefined,
  ) {
    this.services = { ...services, onDialogTerminated: (id) => this.dialogs.delete(id) };
  }

  get transactions() {
    return this.services.transactions;
  }

  get size(): number {
    return this.dialogs.size;
  }

  find(callId: string, localTag: string | undefined, remoteTag: string | undefined): Dialog | undefined {
    if (!localTag || !remoteTag) return undefined;
    return this.dialogs.get(dialogId(callId, localTag, remoteTag));
  }

  /** Contact header value for our transport of this protocol and address family. */
  localContact(protocol: TransportProtocol, family: 4 | 6): string {
    const ep = this.transactions.localEndpoint(protocol, family) ?? this.transactions.localEndpoint(protocol, family === 4 ? 6 : 4);
    const host = ep ? `${formatHost(ep.address)}:${ep.port}` : '127.0.0.1';
    return `<sip:convene@${host}${protocol === 'udp' ? '' : `;transport=${protocol}`}>`;
  }

  // ---------------------------------------------------------------------------------- UAS side

  acceptInvite(incoming: IncomingRequest, opts: RespondOptions): Dialog {
    const tx = incoming.tx;
    const req = tx.request;
    const res = tx.makeResponse(200, opts.reason);
    applyParts(res, opts);
    for (const rr of req.getAll('Record-Route')) res.append('Record-Route', rr);
    const contacts = req.contacts;
    const family = isIP(tx.flow.remote.address) === 6 ? 6 : 4;
    const dialog = new Dialog(
      {
        role: 'uas',
        callId: req.callId,
        localTag: tx.localTag,
        remoteTag: req.fromTag ?? '',
        localUri: req.to,
        remoteUri: req.from,
        remoteTarget: contacts !== '*' && contacts[0] ? contacts[0].uri : req.from.uri,
        routeSet: req.recordRoutes,
        localSeq: 0,
        remoteSeq: req.cseq.seq,
        localContact: this.localContact(tx.flow.protocol, family),
        flow: tx.flow,
      },
      this.services,
    );
    if (res.body.length > 0) dialog.localBody = res.body;
    if (req.body.length > 0) dialog.remoteBody = req.body;
    dialog.decorate2xx(req, res);
    this.dialogs.set(dialog.id, dialog);
    dialog.logger.info('dialog established (uas)');
    this.onDialogCreated(dialog);
    tx.respond(res);
    dialog.startRetransmitting2xx(res, tx.flow);
    return dialog;
  }

  /** Wraps an in-dialog request; answers 481 itself when the dialog does not exist. */
  receiveInDialog(tx: ServerTransaction): IncomingRequest | undefined {
    const req = tx.request;
    const dialog = this.find(req.callId, req.toTag, req.fromTag);
    if (!dialog) {
      tx.respond(tx.makeResponse(481));
      return undefined;
    }
    const incoming = new IncomingRequest(tx, this, dialog);
    dialog.receive(tx, incoming);
    return incoming;
  }

  /** ACK outside an INVITE server transaction: the ACK for a 2xx. */
  receiveAck(ack: SipRequest): void {
    this.find(ack.callId, ack.toTag, ack.fromTag)?.receiveAck(ack);
  }

  // ---------------------------------------------------------------------------------- UAC side

  dialogFor2xx(invite: SipRequest, res: SipResponse, target: Endpoint): { dialog: Dialog; created: boolean } {
    const existing = this.find(res.callId, res.fromTag, res.toTag);
    if (existing) return { dialog: existing, created: false };
    const contacts = res.contacts;
    const flow: Flow = { protocol: target.protocol, local: { address: '', port: 0 }, remote: { address: target.address, port: target.port } };
    const dialog = new Dialog(
      {
        role: 'uac',
        callId: res.callId,
        localTag: res.fromTag ?? '',
        remoteTag: res.toTag ?? '',
        localUri: invite.from,
        remoteUri: invite.to,
        remoteTarget: contacts !== '*' && contacts[0] ? contacts[0].uri : invite.uri,
        routeSet: [...res.recordRoutes].reverse(),
        localSeq: invite.cseq.seq,
        remoteSeq: undefined,
        localContact: invite.get('Contact') ?? this.localContact(target.protocol, isIP(target.address) === 6 ? 6 : 4),
        flow,
      },
      this.services,
    );
    if (invite.body.length > 0) dialog.localBody = invite.body;
    if (res.body.length > 0) dialog.remoteBody = res.body;
    dialog.applySessionTimerFromResponse(res);
    this.dialogs.set(dialog.id, dialog);
    dialog.logger.info('dialog established (uac)');
    this.onDialogCreated(dialog);
    return { dialog, created: true };
  }

  /** A 2xx no transaction matched (ICT gone): re-ACK if it belongs to one of our dialogs. */
  receiveStray2xx(res: SipResponse): void {
    const dialog = this.find(res.callId, res.fromTag, res.toTag);
    if (!dialog) return;
    const ack = dialog.buildRequest('ACK', res.cseq.seq);
    this.transactions.sendAck(ack, dialog.nextHop()).catch(() => undefined);
  }

  /** Builds an out-of-dialog request (§8.1.1). */
  buildRequest(method: string, opts: OutgoingRequestOptions): { req: SipRequest; target: Endpoint } {
    const uri = typeof opts.uri === 'string' ? parseUri(opts.uri) : opts.uri;
    const target = opts.target ?? targetFromUri(uri);
    const family = isIP(target.address) === 6 ? 6 : 4;
    const req = new SipRequest(method, uri);
    req.append('Max-Forwards', '70');
    const local = this.transactions.localEndpoint(target.protocol, family) ?? this.transactions.localEndpoint('udp', family);
    const from = parseNameAddr(opts.from ?? `<sip:convene@${local ? formatHost(local.address) : 'localhost'}>`, 'From');
    from.params.set('tag', newTag());
    req.append('From', formatNameAddr(from));
    req.append('To', opts.to ?? `<${formatUri(uri)}>`);
    req.append('Call-ID', opts.callId ?? newCallId());
    req.append('CSeq', `1 ${method}`);
    if (method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER') {
      req.append('Contact', this.localContact(target.protocol, family));
      req.append('Allow', this.services.allow.join(', '));
      req.append('Supported', this.services.supported.join(', '));
    }
    applyParts(req, opts);
    return { req, target };
  }

  invite(opts: OutgoingInviteOptions): OutgoingInvite {
    const { req, target } = this.buildRequest('INVITE', opts);
    const outgoing = new OutgoingInvite(this, opts.answer);
    const tx = this.transactions.sendRequest(req, target, {
      onResponse: (res) => outgoing.onResponse(res),
      onFailure: (reason) => outgoing.onFailure(reason),
    }) as InviteClientTransaction;
    outgoing.attach(tx);
    return outgoing;
  }

  /** Out-of-dialog non-INVITE request; resolves with the final response. */
  request(method: string, opts: OutgoingRequestOptions): Promise<SipResponse> {
    if (method === 'INVITE' || method === 'ACK' || method === 'CANCEL') {
      return Promise.reject(new SipStackError(SipStackErrorCode.BadTarget, `use invite()/cancel() for ${method}`));
    }
    const { req, target } = this.buildRequest(method, opts);
    return new Promise((resolve, reject) => {
      this.transactions.sendRequest(req, target, {
        onResponse: (res) => (res.status >= 200 ? resolve(res) : undefined),
        onFailure: (reason) =>
          reject(new SipStackError(failureCode(reason), `${method} failed: ${reason}`)),
      });
    });
  }

  /** Ends every dialog locally (shutdown); sends BYE when `sendBye`. */
  async stop(sendBye: boolean): Promise<void> {
    const all = [...this.dialogs.values()];
    if (sendBye) await Promise.all(all.map((d) => d.bye(DialogEndReason.Stopped)));
    for (const d of all) d.terminate(DialogEndReason.Stopped);
  }
}

/** Next hop from a SIP URI (no DNS: the host must be an IP address). */
export function targetFromUri(uri: Uri): Endpoint {
  if (!isSipUri(uri)) throw new SipStackError(SipStackErrorCode.BadTarget, 'only sip: and sips: URIs can be targets');
  const maddr = uri.params.get('maddr');
  const host = maddr ?? uri.host;
  if (isIP(host) === 0) throw new SipStackError(SipStackErrorCode.BadTarget, 'target host must be an IP address (no DNS)');
  const tp = uri.params.get('transport')?.toLowerCase();
  const protocol: TransportProtocol = uri.scheme === 'sips' || tp === 'tls' ? 'tls' : tp === 'tcp' ? 'tcp' : 'udp';
  return { protocol, address: host, port: uri.port ?? defaultPort(protocol) };
}
