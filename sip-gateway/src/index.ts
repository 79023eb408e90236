/**
 * Public face of the SIP gateway package: the SIP stack (transport, transactions, dialogs) and,
 * beside it, the application services that plug into its per-method request handlers.
 */
export * from './sip/index.js';

// Registration: digest auth and the Redis-backed registrar (REGISTER/OPTIONS service). An
// application service beside the stack; the stack never imports it — the service wiring
// (bin/service.ts) calls startRegistrar, which attaches it through `stack.handle(method, …)`.
export { startRegistrar, registrarConfigSchema, type RegistrarConfig, type RegistrarDeps } from './registrar/index.js';
export type { CredentialStore, StoredCredential } from './auth/index.js';

// Audio codecs for RTP legs (G.711, G.722, 8/16/48 kHz resampler): pure, for the mixer's worker threads.
export * as audioCodecs from './media/codecs/index.js';
// DTMF (RFC 4733, SIP INFO, in-band): pure decoders the call/IVR layer feeds; digits end in the gateway.
export * from './media/dtmf/index.js';

// Calls: inbound INVITEs into meetings (routing, PIN IVR, the meeting's audio through the media engine).
export { CallService, callsConfigSchema, CallEndReason, type CallsConfig, type CallsDeps, type CallState } from './calls/index.js';
// The media engine (worker threads: RTP/SRTP, DTMF, prompts, the room mixer) and what it is built from.
export { createMediaEngine, mediaEngineConfigSchema, type MediaEngine, type MediaEngineConfig } from './media/engine/index.js';
export { loadPromptSet, promptCacheDir } from './media/prompts/index.js';
