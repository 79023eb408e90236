export { httpConfigSchema, type HttpConfig } from './config.js';
export { HttpServer, type HttpServerOptions } from './server.js';
export { installErrorHandler } from './error-handler.js';
export { evaluateReadiness, type ReadinessCheck, type ReadinessReport } from './readiness.js';
