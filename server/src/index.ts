// Public face of the server subsystem (HTTP, store, observability, errors).
export * from './http/index.js';
export * from './store/index.js';
export * from './observability/index.js';
export { DomainError, defineErrorCodes, errorCodes, CoreErrors, type ErrorCodeInfo } from './errors.js';
export * from './meetings/index.js';
export * from './signaling/index.js';
export * from './turn/index.js';
export * as protocol from './protocol/index.js';
