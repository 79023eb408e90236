/**
 * Calling-domain verification (seed 001): which domains are verified automatically, and the
 * DNS TXT token check for the rest.
 */
export { normalizeDomain, isSameOrSubdomain, InvalidDomainNameError, DomainNameErrors } from './names.js';
export { autoVerifies, autoVerifyReason, type AutoVerifyContext, type AutoVerifyReason } from './auto-verify.js';
export {
  createDomainVerifier,
  verificationRecordName,
  selfAndParents,
  M365_TXT,
  type M365Evidence,
  VERIFICATION_LABEL,
  type DomainVerifier,
  type DomainVerifierOptions,
  type VerificationRecord,
  type VerifyFailureReason,
  type VerifyResult,
} from './verifier.js';
