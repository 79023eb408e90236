import { CodedError } from '../../../common/src/index.js';

/** Why an `Authorization`/`Proxy-Authorization` header value was rejected by the parser. */
export const DIGEST_HEADER_ERROR_CODES = [
  'too_long',
  'not_digest',
  'malformed',
  'duplicate_param',
  'missing_param',
  'bad_nonce_count',
  'unsupported_qop',
  'unsupported_algorithm',
  'unsupported_userhash',
  'bad_charset',
] as const;
export type DigestHeaderErrorCode = (typeof DIGEST_HEADER_ERROR_CODES)[number];

/** Returned (never thrown) by the header parser. */
export class DigestHeaderError extends CodedError<DigestHeaderErrorCode> {
  override readonly name = 'DigestHeaderError';
}

/** Thrown for configuration mistakes at construction time (never for network input). */
export class DigestConfigError extends Error {
  override readonly name = 'DigestConfigError';
  readonly code = 'digest_config_invalid';
}

/**
 * Why a request failed authentication. Stable names: the same string is a metric label,
 * a log field and (for the registrar) the reason phrase source.
 */
export const AUTH_FAILURE_REASONS = [
  'missing_credentials',
  'malformed_header',
  'unsupported_algorithm',
  'unsupported_qop',
  'realm_mismatch',
  'uri_mismatch',
  'invalid_nonce',
  'stale_nonce',
  'nonce_replayed',
  'unknown_user',
  'bad_response',
  'store_unavailable',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];
