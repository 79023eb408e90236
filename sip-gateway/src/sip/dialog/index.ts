/** Public face of the dialog layer. */
export { DialogLayer, targetFromUri, type OutgoingRequestOptions, type OutgoingInviteOptions } from './layer.js';
export { Dialog, dialogId, type DialogEvents, type DialogInit } from './dialog.js';
export { IncomingRequest, type IncomingHost } from './incoming.js';
export { OutgoingInvite, type InviteResult } from './outgoing.js';
export {
  DialogEndReason,
  SipStackError,
  SipStackErrorCode,
  type DialogState,
  type DialogServices,
  type MessageParts,
  type RespondOptions,
} from './types.js';
export { readSessionExpires, type SessionExpires } from './session-timer.js';
