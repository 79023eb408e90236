/** Dialog-layer names shared by the dialog, incoming/outgoing helpers and the stack facade. */
import type { Clock } from '../../../../common/src/index.js';
import type { Logger } from 'pino';
import { canonicalHeaderName, type SipRequest, type SipResponse } from '../message/index.js';
import type { SipTimers, TransactionLayer } from '../transaction/index.js';

export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Why a dialog ended; stable wire/log/metric names. */
export const DialogEndReason = {
  LocalBye: 'local_bye',
  RemoteBye: 'remote_bye',
  AckTimeout: 'ack_timeout',
  SessionExpired: 'session_expired',
  /** A request in the dialog got 481/408 or timed out (RFC 3261 §12.2.1.2). */
  PeerGone: 'peer_gone',
  Stopped: 'stopped',
} as const;
export type DialogEndReason = (typeof DialogEndReason)[keyof typeof DialogEndReason];

export const SipStackErrorCode = {
  AlreadyAnswered: 'ALREADY_ANSWERED',
  NotInvite: 'NOT_INVITE',
  UseAccept: 'USE_ACCEPT_FOR_2XX',
  DialogTerminated: 'DIALOG_TERMINATED',
  RequestPending: 'REQUEST_PENDING',
  Timeout: 'TIMEOUT',
  TransportError: 'TRANSPORT_ERROR',
  Stopped: 'STOPPED',
  BadTarget: 'BAD_TARGET',
  NotStarted: 'NOT_STARTED',
} as const;
export type SipStackErrorCode = (typeof SipStackErrorCode)[keyof typeof SipStackErrorCode];

/** Maps a client transaction failure to the stack error code callers see. */
export function failureCode(reason: 'timeout' | 'transport_error' | 'stopped'): SipStackErrorCode {
  return reason === 'timeout' ? SipStackErrorCode.Timeout : reason === 'stopped' ? SipStackErrorCode.Stopped : SipStackErrorCode.TransportError;
}

export class SipStackError extends Error {
  override readonly name = 'SipStackError';
  constructor(
    readonly code: SipStackErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Optional parts of a message the TU adds: extra headers, a body and its type. */
export interface MessageParts {
  headers?: Record<string, string> | [string, string][];
  body?: Buffer | string;
  /** Defaults to application/sdp when a body is given. */
  contentType?: string;
}

export interface RespondOptions extends MessageParts {
  reason?: string;
}

/** Everything a dialog needs from the layers below and from configuration. */
export interface DialogServices {
  transactions: TransactionLayer;
  clock: Clock;
  timers: SipTimers;
  logger: Logger;
  /** Option tags we put in Supported. */
  supported: string[];
  /** Methods we put in Allow. */
  allow: string[];
  /** RFC 4028 Min-SE we accept (seconds). */
  minSessionExpires: number;
  onDialogTerminated(id: string): void;
}

/** Headers that may appear once: a TU-supplied value replaces the stack's default. */
const SINGLE = new Set(['max-forwards', 'expires', 'content-type', 'session-expires', 'min-se', 'retry-after', 'subject', 'user-agent', 'server', 'reason', 'event', 'min-expires']);

export function applyParts(msg: SipRequest | SipResponse, parts: MessageParts | undefined): void {
  if (!parts) return;
  const headers = Array.isArray(parts.headers) ? parts.headers : Object.entries(parts.headers ?? {});
  for (const [k, v] of headers) {
    if (SINGLE.has(canonicalHeaderName(k).toLowerCase())) msg.set(k, v);
    else msg.append(k, v);
  }
  if (parts.body !== undefined) {
    msg.body = typeof parts.body === 'string' ? Buffer.from(parts.body, 'utf8') : parts.body;
    msg.set('Content-Type', parts.contentType ?? 'application/sdp');
  }
}
