import { digitFromText, type DtmfKey, type DtmfKeyEvent } from './digits.js';
import { CodedError } from '../../../../common/src/index.js';

/** Why a SIP INFO DTMF body was refused; stable codes (log field, metric label). */
export const DTMF_BODY_ERROR_CODES = [
  'unsupported_content_type',
  'too_long',
  'empty',
  'malformed_line',
  'duplicate_field',
  'missing_signal',
  'invalid_signal',
  'invalid_duration',
] as const;
export type DtmfBodyErrorCode = (typeof DTMF_BODY_ERROR_CODES)[number];

/** Returned (never thrown) by the SIP INFO body parsers. */
export class DtmfBodyError extends CodedError<DtmfBodyErrorCode> {
  override readonly name = 'DtmfBodyError';
}

/** A DTMF INFO body is a few bytes; anything longer is not one. */
export const MAX_DTMF_BODY_BYTES = 256;
/** A key held longer than a minute is not a key press. */
const MAX_DURATION_MS = 60_000;

function parseKey(text: string): DtmfKey | undefined {
  if (text === '!' || text.toLowerCase() === 'hookflash') return 'hookflash';
  return digitFromText(text);
}

function preflight(body: string): DtmfBodyError | undefined {
  if (body.length > MAX_DTMF_BODY_BYTES) return new DtmfBodyError('too_long', `DTMF body longer than ${MAX_DTMF_BODY_BYTES} bytes`);
  if (body.trim() === '') return new DtmfBodyError('empty', 'empty DTMF body');
  return undefined;
}

/**
 * `application/dtmf-relay`: `Signal=5\r\nDuration=160\r\n`. Field names are case-insensitive, lines
 * end in CRLF or LF; other fields are ignored; Signal is required, Duration (ms) optional.
 */
export function parseDtmfRelayBody(body: string): Extract<DtmfKeyEvent, { method: 'sip_info' }> | DtmfBodyError {
  const early = preflight(body);
  if (early) return early;
  let signal: string | undefined;
  let duration: string | undefined;
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return new DtmfBodyError('malformed_line', 'dtmf-relay line is not name=value');
    const name = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    if (name === 'signal') {
      if (signal !== undefined) return new DtmfBodyError('duplicate_field', 'Signal given twice');
      signal = value;
    } else if (name === 'duration') {
      if (duration !== undefined) return new DtmfBodyError('duplicate_field', 'Duration given twice');
      duration = value;
    }
  }
  if (signal === undefined) return new DtmfBodyError('missing_signal', 'dtmf-relay body has no Signal');
  const key = parseKey(signal);
  if (key === undefined) return new DtmfBodyError('invalid_signal', 'Signal is not a DTMF digit');
  let durationMs: number | undefined;
  if (duration !== undefined) {
    if (!/^\d{1,6}$/.test(duration) || Number(duration) > MAX_DURATION_MS) {
      return new DtmfBodyError('invalid_duration', `Duration is not a whole number of ms up to ${MAX_DURATION_MS}`);
    }
    durationMs = Number(duration);
  }
  return { key, method: 'sip_info', durationMs };
}

/** `application/dtmf`: the digit alone (surrounding whitespace allowed). */
export function parseDtmfBody(body: string): Extract<DtmfKeyEvent, { method: 'sip_info' }> | DtmfBodyError {
  const early = preflight(body);
  if (early) return early;
  const key = parseKey(body.trim());
  if (key === undefined) return new DtmfBodyError('invalid_signal', 'body is not a DTMF digit');
  return { key, method: 'sip_info', durationMs: undefined };
}

/** Dispatch on the INFO's Content-Type (parameters and case ignored). */
export function parseSipInfoDtmf(
  contentType: string | undefined,
  body: string,
): Extract<DtmfKeyEvent, { method: 'sip_info' }> | DtmfBodyError {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/dtmf-relay') return parseDtmfRelayBody(body);
  if (mediaType === 'application/dtmf') return parseDtmfBody(body);
  return new DtmfBodyError('unsupported_content_type', 'INFO body is not application/dtmf-relay or application/dtmf');
}
