import { defineErrorCodes } from '../errors.js';

/** Refusals and failures of meetings and signalling; `http` is used where they surface over REST. */
export const MeetingErrors = defineErrorCodes({
  meeting_not_found: { http: 404, description: 'No meeting room has that address or numeric ID.' },
  pin_required: { http: 401, description: 'This meeting needs a PIN.' },
  wrong_pin: { http: 403, description: 'The PIN is not correct.' },
  pin_locked_out: { http: 429, description: 'Too many wrong PINs from this address; try again after retryAfterSeconds.' },
  pin_throttled: { http: 429, description: "Too many wrong PINs for this room; anonymous PIN entry resumes after retryAfterSeconds (the owner's start link still works)." },
  host_link_invalid: { http: 403, description: 'The start link is not genuine or is not for this room.' },
  host_link_expired: { http: 403, description: 'The start link has expired; open the meeting again from the portal.' },
  meeting_locked: { http: 423, description: 'The meeting is locked by its host.' },
  meeting_full: { http: 409, description: 'The meeting has reached its participant limit.' },
  licence_limit: { http: 409, description: "The company's licence allows no more participants right now." },
  not_host: { http: 403, description: 'Only a host may do this.' },
  not_joined: { http: 409, description: 'Join a meeting (and be admitted from the lobby) first.' },
  already_joined: { http: 409, description: 'This session has already joined a meeting.' },
  participant_not_found: { http: 404, description: 'No such participant in this meeting.' },
  not_presenter: { http: 409, description: 'Start a presentation before sending screen media.' },
  media_error: { http: 400, description: 'The media request was refused (bad parameters or unknown transport/producer/consumer).' },
  protocol_version_unsupported: { http: 400, description: 'The client speaks another protocol version.' },
  hello_required: { http: 400, description: 'The first message on a socket must be hello.' },
  unknown_method: { http: 400, description: 'No such request method.' },
  bad_message: { http: 400, description: 'The message is not valid JSON or fails its schema.' },
  message_too_large: { http: 413, description: 'The message exceeds the size limit.' },
  session_expired: { http: 410, description: 'The resume token is unknown or its grace period is over.' },
});
export type MeetingErrorCode = keyof typeof MeetingErrors;
