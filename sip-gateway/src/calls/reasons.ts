/**
 * Why a call ended: stable wire names, the same string in logs, metric labels, call records and
 * the `Reason:` header (RFC 3326) of the BYE we send.
 */
export const CallEndReason = {
  /** The caller hung up (BYE) or cancelled (CANCEL) before we answered. */
  CallerHungUp: 'caller_hung_up',
  CallerCancelled: 'caller_cancelled',
  /** Refused before or during the IVR (the refusal code is logged beside it). */
  Refused: 'refused',
  TooManyPinAttempts: 'too_many_pin_attempts',
  PinTimeout: 'pin_timeout',
  RemovedByHost: 'removed_by_host',
  MeetingEnded: 'meeting_ended',
  ServerShutdown: 'server_shutdown',
  /** No RTP/RTCP from the caller for the configured time. */
  MediaTimeout: 'media_timeout',
  /** The SIP dialog ended under us (no ACK, session timer expired, peer gone). */
  DialogFailed: 'dialog_failed',
  /** The media worker hosting the call failed. */
  MediaFailed: 'media_failed',
  InternalError: 'internal_error',
} as const;
export type CallEndReason = (typeof CallEndReason)[keyof typeof CallEndReason];

/** The `Reason:` header of a BYE we send: the SIP status it stands for (RFC 3326) and our wire name. */
export function reasonHeader(reason: CallEndReason | string, sipCause = 200): string {
  return `SIP;cause=${sipCause};text="${reason}"`;
}
