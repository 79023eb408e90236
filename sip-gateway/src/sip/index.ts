/**
 * The SIP stack's public face. Layers: message → transport → transaction → dialog → (your call
 * logic). Higher layers use `SipStack` and the types below; nothing here exposes sockets.
 *
 * Start it:
 * ```ts
 * const stack = new SipStack(
 *   { transports: [{ protocol: 'udp', host: '127.0.0.1', port: 5060 }], hostedDomains: ['example.com'] },
 *   { logger, registry },                         // pino Logger, prom-client Registry (clock optional)
 * );
 * await stack.start();
 * ```
 *
 * Answer requests (one handler per method; unhandled methods get 405, OPTIONS gets a default 200):
 * ```ts
 * stack.handle('REGISTER', async (req) => {         // req: IncomingRequest
 *   const aor = req.request.to.uri;                  // typed accessors on SipRequest
 *   req.respond(200, { headers: [['Contact', '<sip:a@192.0.2.1>;expires=3600']] });
 * });
 * stack.handle('INVITE', (req) => {
 *   req.respond(180);
 *   req.events.on('cancel', () => { ... });         // the stack already sent 200 to CANCEL + 487
 *   const dialog = req.accept({ body: sdpAnswer }); // 200 OK, retransmitted until the ACK
 *   dialog.events.on('ack', (ack) => { ... });       // ack.body = SDP answer for an offerless INVITE
 *   dialog.events.on('terminated', (reason) => { ... });
 * });
 * ```
 *
 * Send requests:
 * ```ts
 * const res = await stack.request('OPTIONS', { uri: 'sip:peer@192.0.2.9:5060' });   // final SipResponse
 * const call = stack.invite({ uri: 'sip:bob@192.0.2.9;transport=tcp', body: sdpOffer });
 * call.events.on('provisional', (r) => ...);        // call.cancel() sends CANCEL (after a 1xx)
 * const result = await call.result;                 // { ok: true, dialog } | { ok: false, reason, status }
 * if (result.ok) await result.dialog.bye();
 * ```
 */
export { SipStack, RefusalReason, sipConfigSchema, stackOptionsFromConfig, defaultLimits } from './stack/index.js';
export type { CallAdmission, RequestHandler, SipStackDeps, SipStackEvents, SipConfig, SipLimits, SipStackOptions } from './stack/index.js';
export {
  Dialog,
  IncomingRequest,
  OutgoingInvite,
  DialogEndReason,
  SipStackError,
  SipStackErrorCode,
  type InviteResult,
  type DialogEvents,
  type DialogState,
  type MessageParts,
  type RespondOptions,
  type OutgoingRequestOptions,
  type OutgoingInviteOptions,
} from './dialog/index.js';
export {
  SipRequest,
  SipResponse,
  SipParseError,
  SipParseErrorCode,
  parseMessage,
  serializeMessage,
  parseUri,
  formatUri,
  parseNameAddr,
  formatNameAddr,
  isSipUri,
  unquote,
  type SipMessage,
  type Uri,
  type SipUri,
  type NameAddr,
  type Via,
  type CSeq,
} from './message/index.js';
export { makeTimers, type SipTimers, type TimerOverrides } from './transaction/index.js';
export { TransportError, TransportErrorCode, type TransportProtocol, type Endpoint, type Flow, type ListenSpec, type TlsOptions } from './transport/index.js';
