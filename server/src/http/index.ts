export { httpConfigSchema, networkSchema, type HttpConfig, type OperatorAccess } from './config.js';
export { HttpServer, type HttpServerOptions } from './server.js';
export { installErrorHandler } from './error-handler.js';
export { evaluateReadiness, type ReadinessCheck, type ReadinessReport } from './readiness.js';
export { NetworkList, ProxyTrust, normalizeAddress } from './networks.js';
export { CONTENT_SECURITY_POLICY, installSecurityHeaders } from './security-headers.js';
