/**
 * A failed request or connection. `code` is the server's error code (server/src/meetings/errors.ts,
 * server/src/errors.ts) or one of the client-side codes below.
 */
export const CLIENT_ERROR_CODES = ['timeout', 'connection_closed', 'connection_failed', 'media_unavailable'] as const;
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export class SignalingError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'SignalingError';
  }
}
