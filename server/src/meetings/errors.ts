import { CoreErrors, DomainError, defineErrorCodes, type ErrorCodeInfo } from '../errors.js';

/** The SIP final response a call gets for a refusal (RFC 3261 §21). */
export interface SipResponse {
  status: number;
  reason: string;
}

interface RefusalInfo extends ErrorCodeInfo {
  /** The SIP response a call that meets this refusal gets; null where no call can meet it (WebSocket protocol errors). */
  sip: SipResponse | null;
}

const sip = (status: number, reason: string): SipResponse => ({ status, reason });

/**
 * Refusals and failures of meetings and signalling: ONE table for every entry point. Per code:
 * the HTTP status (REST), the signalling error (the code itself, in `{ ok: false, error: { code } }`)
 * and the SIP response a call gets. `MeetingError` only takes a code from here (or a core code
 * listed in CORE_REFUSALS), so a refusal that is not in the table does not compile.
 */
export const MeetingErrors = defineErrorCodes({
  meeting_not_found: { http: 404, sip: sip(404, 'Not Found'), description: 'No meeting room has that address or numeric ID.' },
  pin_required: { http: 401, sip: sip(403, 'PIN Required'), description: 'This meeting needs a PIN.' },
  wrong_pin: { http: 403, sip: sip(403, 'Wrong PIN'), description: 'The PIN is not correct.' },
  pin_locked_out: { http: 429, sip: sip(486, 'Busy Here'), description: 'Too many wrong PINs from this address; try again after retryAfterSeconds.' },
  pin_throttled: { http: 429, sip: sip(486, 'Busy Here'), description: "Too many wrong PINs for this room; anonymous PIN entry resumes after retryAfterSeconds (the owner's start link still works)." },
  host_link_invalid: { http: 403, sip: sip(403, 'Forbidden'), description: 'The start link is not genuine or is not for this room.' },
  host_link_expired: { http: 403, sip: sip(403, 'Forbidden'), description: 'The start link has expired; open the meeting again from the portal.' },
  meeting_locked: { http: 423, sip: sip(403, 'Meeting Locked'), description: 'The meeting is locked by its host (hosts still get in; guests are refused).' },
  meeting_full: { http: 409, sip: sip(486, 'Meeting Full'), description: 'The meeting has reached its participant limit.' },
  licence_limit: { http: 409, sip: sip(503, 'Licence Limit Reached'), description: "The company's licence allows no more participants right now." },
  lookup_throttled: {
    http: 429,
    sip: sip(503, 'Service Unavailable'),
    description: 'Too many lookups of unknown meeting addresses or IDs from this address; retry after details.retryAfterSeconds.',
  },
  node_overloaded: {
    http: 503,
    sip: sip(503, 'Service Unavailable'),
    description: 'This node is at its media CPU limit and takes no new participants now; retry after details.retryAfterSeconds.',
  },
  not_host: { http: 403, sip: null, description: 'Only a host may do this.' },
  not_joined: { http: 409, sip: null, description: 'Join a meeting (and be admitted from the lobby) first.' },
  already_joined: { http: 409, sip: null, description: 'This session has already joined a meeting.' },
  participant_not_found: { http: 404, sip: null, description: 'No such participant in this meeting.' },
  not_presenter: { http: 409, sip: null, description: 'Start a presentation before sending screen media.' },
  media_error: { http: 400, sip: sip(488, 'Not Acceptable Here'), description: 'The media request was refused (bad parameters or unknown transport/producer/consumer).' },
  protocol_version_unsupported: { http: 400, sip: null, description: 'The client speaks another protocol version.' },
  hello_required: { http: 400, sip: null, description: 'The first message on a socket must be hello.' },
  unknown_method: { http: 400, sip: null, description: 'No such request method.' },
  bad_message: { http: 400, sip: null, description: 'The message is not valid JSON or fails its schema.' },
  message_too_large: { http: 413, sip: null, description: 'The message exceeds the size limit.' },
  session_expired: { http: 410, sip: null, description: 'The resume token is unknown or its grace period is over.' },
} satisfies Record<string, RefusalInfo>);
export type MeetingErrorCode = keyof typeof MeetingErrors;

/** Core codes (server/src/errors.ts) that meetings and signalling also answer with, and what a call gets for them. */
export const CORE_REFUSALS = {
  bad_request: sip(400, 'Bad Request'),
  rate_limited: sip(503, 'Service Unavailable'),
  not_ready: sip(503, 'Service Unavailable'),
  internal: sip(500, 'Server Internal Error'),
} satisfies Partial<Record<keyof typeof CoreErrors, SipResponse>>;

/** Every code a meetings/signalling refusal may carry. */
export type RefusalCode = MeetingErrorCode | keyof typeof CORE_REFUSALS;

export interface RefusalRow {
  code: RefusalCode;
  http: number;
  /** The signalling error code (the same string). */
  signaling: RefusalCode;
  sip: SipResponse | null;
  description: string;
}

/** The whole table, one row per code (docs, the SIP gateway, tests). */
export function refusalTable(): RefusalRow[] {
  const meeting = (Object.entries(MeetingErrors) as [MeetingErrorCode, RefusalInfo][]).map(([code, info]) => ({
    code,
    http: info.http,
    signaling: code,
    sip: info.sip,
    description: info.description,
  }));
  const core = (Object.entries(CORE_REFUSALS) as [keyof typeof CORE_REFUSALS, SipResponse][]).map(([code, response]) => ({
    code,
    http: CoreErrors[code].http,
    signaling: code,
    sip: response,
    description: CoreErrors[code].description,
  }));
  return [...meeting, ...core];
}

/** The SIP final response for a refusal; a code with no SIP meaning becomes 500. */
export function sipResponseFor(code: RefusalCode): SipResponse {
  const row = code in MeetingErrors ? (MeetingErrors[code as MeetingErrorCode] as RefusalInfo).sip : CORE_REFUSALS[code as keyof typeof CORE_REFUSALS];
  return row ?? CORE_REFUSALS.internal;
}

/** A refusal of the meetings API: the code is checked against the table at compile time. */
export class MeetingError extends DomainError {
  declare readonly code: RefusalCode;
  constructor(code: RefusalCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details);
  }
}
