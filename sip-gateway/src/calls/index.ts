/**
 * Public face of the call layer: inbound SIP calls into meetings (routing, PIN IVR, the meeting's
 * audio through the media engine). Wired by bin/service.ts with `startCalls`.
 */
export { CallService } from './service.js';
export { callsConfigSchema, type CallsConfig } from './config.js';
export { CallEndReason, reasonHeader } from './reasons.js';
export { routeRequestUri, type RouteContext, type RouteResult } from './routing.js';
export { PinEntry, type PinEntryOptions, type PinEntryResult } from './pin-entry.js';
export type { CallsDeps, CallingEndpoint, EndpointLookup, DomainLookup, CallRecordSink } from './ports.js';
export type { CallState } from './inbound-call.js';
