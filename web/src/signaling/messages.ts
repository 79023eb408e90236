import type { MeetingErrorCode } from '../../../server/src/meetings/errors.js';
import type { CoreErrors } from '../../../server/src/errors.js';
import type { LookupErrors } from '../../../server/src/meetings/lookup-throttle.js';
import type { AdmissionErrors } from '../../../server/src/meetings/admission.js';
import type { LeaveReason } from '../../../server/src/protocol/index.js';
import type { ClientErrorCode } from './errors.js';

type Details = Record<string, unknown> | undefined;
type KnownCode = MeetingErrorCode | keyof typeof CoreErrors | keyof typeof LookupErrors | keyof typeof AdmissionErrors | ClientErrorCode;

function minutesText(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

function retryAfter(details: Details): number | undefined {
  const v = details?.retryAfterSeconds;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

// A Record over every code, so adding a code on the server without a sentence here fails the type check.
const MESSAGES: Record<KnownCode, (details: Details) => string> = {
  meeting_not_found: () => 'There is no meeting at that address. Check the address and try again.',
  pin_required: () => 'This meeting needs a PIN. Enter it and join again.',
  wrong_pin: (d) => {
    const left = d?.attemptsLeft;
    return typeof left === 'number' && left >= 0
      ? `That PIN is not correct. ${left === 1 ? '1 try left.' : `${left} tries left.`}`
      : 'That PIN is not correct.';
  },
  pin_locked_out: (d) => {
    const s = retryAfter(d);
    return s === undefined ? 'Too many wrong PINs. Try again later.' : `Too many wrong PINs. Try again in ${minutesText(s)}.`;
  },
  pin_throttled: (d) => {
    const s = retryAfter(d);
    const when = s === undefined ? 'later' : `in ${minutesText(s)}`;
    return `Too many wrong PINs have been tried for this meeting, so PIN entry is paused. Try again ${when}. If this is your meeting, start it from the member portal.`;
  },
  host_link_invalid: () => 'This start link is not valid for this meeting. Open your meeting again from the member portal.',
  host_link_expired: () => 'This start link has expired. Open your meeting again from the member portal.',
  meeting_locked: () => 'The host has locked this meeting. Ask the host to unlock it, then try again.',
  meeting_full: () => 'This meeting is full. No more participants can join right now.',
  licence_limit: () => "This organisation's licences don't allow more participants in its meetings right now. Its administrator can add licences.",
  not_host: () => 'Only a host can do that.',
  not_joined: () => 'You are not in the meeting yet. Wait until you have been let in.',
  already_joined: () => 'You have already joined this meeting.',
  participant_not_found: () => 'That participant is no longer in the meeting.',
  not_presenter: () => 'Start presenting before sharing your screen.',
  media_error: () => 'The server refused a media request. Try turning the device off and on again.',
  protocol_version_unsupported: () => 'This page is out of date. Reload it to get the current version.',
  hello_required: () => 'The connection was not set up correctly. Reload the page and try again.',
  unknown_method: () => 'The server did not understand a request. Reload the page to get the current version.',
  bad_message: () => 'The server rejected a malformed request. Reload the page and try again.',
  message_too_large: () => 'That message is too large to send.',
  session_expired: () => 'Your connection was lost for too long and your place in the meeting expired. Join again.',
  bad_request: () => 'The request was not valid.',
  unauthorized: () => 'You need to sign in to do that.',
  forbidden: () => 'You are not allowed to do that.',
  not_found: () => 'That was not found.',
  conflict: () => 'That changed at the same time elsewhere. Try again.',
  payload_too_large: () => 'That is too large to send.',
  method_not_allowed: () => 'The server does not allow that request. Reload the page to get the current version.',
  not_acceptable: () => 'The server cannot answer in a form this page understands.',
  unsupported_media_type: () => 'The server did not accept the format of that request. Reload the page and try again.',
  range_not_satisfiable: () => 'The server could not send that part of the file.',
  rate_limited: (d) => {
    const s = retryAfter(d);
    return s === undefined ? 'Too many requests. Wait a moment and try again.' : `Too many requests. Try again in ${minutesText(s)}.`;
  },
  not_ready: () => 'The service is starting up or busy. Try again in a moment.',
  lookup_throttled: (d) => {
    const s = retryAfter(d);
    const wait = s === undefined ? 'later' : `in ${minutesText(s)}`;
    return `Too many addresses that do not exist were tried from your network. Check the address and try again ${wait}.`;
  },
  node_overloaded: () => 'The service is very busy right now. Try again in a moment.',
  internal: () => 'Something went wrong on the server. Try again.',
  timeout: () => 'The server did not answer in time. Check your connection and try again.',
  connection_closed: () => 'The connection to the server was lost.',
  connection_failed: () => 'Cannot reach the meeting service. Check your network connection and try again.',
  media_unavailable: () => 'Your camera or microphone could not be used. Check that no other app is using it and that this page may use it.',
};

/** A sentence for a person, for any error code the server or this client produces. */
export function errorMessage(code: string, details?: Record<string, unknown>): string {
  const fn = Object.prototype.hasOwnProperty.call(MESSAGES, code) ? MESSAGES[code as KnownCode] : undefined;
  return fn ? fn(details) : `Something went wrong (${code}).`;
}

const LEAVE_REASONS: Record<LeaveReason, string> = {
  left: 'You left the meeting.',
  removed_by_host: 'A host removed you from the meeting.',
  meeting_ended: 'The meeting has ended.',
  connection_lost: 'Your connection was lost.',
  replaced: 'You joined this meeting from another window, so this one was closed.',
  server_shutdown: 'The meeting service is restarting. Join again in a moment.',
  too_many_pin_attempts: 'Too many wrong PINs were entered.',
};

export function leaveReasonMessage(reason: string): string {
  return Object.prototype.hasOwnProperty.call(LEAVE_REASONS, reason)
    ? LEAVE_REASONS[reason as LeaveReason]
    : 'You are no longer in the meeting.';
}
