export {
  DigestAuthenticator,
  credentialsHeaderName,
  type ChallengeKind,
  type DigestAuthenticatorOptions,
  type DigestVerification,
  type AuthOutcome,
  type VerifyInput,
} from './authenticator.js';
export {
  parseDigestCredentials,
  quoteString,
  type DigestCredentials,
  type ParseResult,
  MAX_AUTHORIZATION_LENGTH,
} from './authorization-header.js';
export { type CredentialStore, type StoredCredential, StaticCredentialStore } from './credential-store.js';
export {
  DIGEST_ALGORITHMS,
  type DigestAlgorithm,
  type DigestHashName,
  computeBaseHa1,
  computeDigestResponse,
  digestHash,
} from './digest-math.js';
export {
  AUTH_FAILURE_REASONS,
  type AuthFailureReason,
  DIGEST_HEADER_ERROR_CODES,
  type DigestHeaderErrorCode,
  DigestHeaderError,
  DigestConfigError,
} from './errors.js';
export { NonceService, type NonceCheck, type NonceServiceOptions } from './nonce.js';
export { type ReplayGuard, RedisReplayGuard } from './replay-guard.js';
