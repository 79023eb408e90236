/** Address rules and resolution helpers (SPEC §2). Pure functions. */
export {
  checkAddress,
  checkDomain,
  checkLocalPart,
  isWithinDomain,
  memberAddresses,
  parseAddress,
  vmrAddressFor,
  MIN_LOCAL_LENGTH_ON_DEFAULT_DOMAIN,
  MAX_LOCAL_LENGTH,
  VMR_SUFFIX,
  type Address,
  type AddressCheck,
  type AddressRejection,
  type LocalPartContext,
  type MemberAddresses,
} from './address.js';
export { normalizeE164 } from './e164.js';
