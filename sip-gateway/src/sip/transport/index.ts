/** Public face of the transport layer. */
export { TransportLayer, type TransportLayerOptions } from './layer.js';
export { TransportError, TransportErrorCode } from './errors.js';
export {
  isReliable,
  defaultPort,
  type TransportProtocol,
  type Endpoint,
  type Flow,
  type HostPort,
  type ListenSpec,
  type TlsOptions,
  type TransportUser,
  type BoundTransport,
} from './types.js';
