/**
 * Parse failures are values, not crashes: every problem in network input maps to one of these
 * stable codes so the transport can count it, log it and (for requests) answer 400.
 */
export const SipParseErrorCode = {
  MessageTooLarge: 'MESSAGE_TOO_LARGE',
  TooManyHeaders: 'TOO_MANY_HEADERS',
  LineTooLong: 'LINE_TOO_LONG',
  Incomplete: 'INCOMPLETE',
  BadStartLine: 'BAD_START_LINE',
  BadVersion: 'BAD_VERSION',
  BadHeader: 'BAD_HEADER',
  MissingHeader: 'MISSING_HEADER',
  BadUri: 'BAD_URI',
  BadContentLength: 'BAD_CONTENT_LENGTH',
  CSeqMismatch: 'CSEQ_METHOD_MISMATCH',
  BadEncoding: 'BAD_ENCODING',
} as const;
export type SipParseErrorCode = (typeof SipParseErrorCode)[keyof typeof SipParseErrorCode];

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  constructor(
    readonly code: SipParseErrorCode,
    message: string,
    /** Which header was at fault, when one was. */
    readonly header?: string,
  ) {
    super(message);
  }
}
