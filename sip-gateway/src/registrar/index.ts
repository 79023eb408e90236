export { Registrar, type RegistrarEvents, type RegistrarOptions } from './registrar.js';
export { canonicalAor, aorDomain, bindingKey } from './aor.js';
export {
  type Binding,
  type ContactInput,
  type ExpiryPolicy,
  type RegisterInput,
  type RegisterResult,
  type RegisterRefusal,
  type RegistrationSource,
  REGISTER_REFUSALS,
} from './types.js';
export { RegistrarService, type RegistrarServiceOptions, type ServiceReply, type RequestRouter } from './registrar-service.js';
export { readRegister, RegisterParseError, REGISTER_PARSE_ERRORS, type RegisterParseErrorCode } from './register-request.js';
export { startRegistrar, registrarConfigSchema, type RegistrarConfig, type RegistrarDeps } from './setup.js';
