export { SipStack, RefusalReason, type CallAdmission, type RequestHandler, type SipStackDeps, type SipStackEvents } from './stack.js';
export { sipConfigSchema, stackOptionsFromConfig, defaultLimits, type SipConfig, type SipLimits, type SipStackOptions } from './options.js';
export { SipMetrics } from './metrics.js';
export { SourceRateLimiter } from './rate-limit.js';
