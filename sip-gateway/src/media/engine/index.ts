/**
 * The gateway's media engine (worker threads): everything packet-level for SIP audio calls.
 * The call layer creates one with createMediaEngine() and codes against the types in types.ts.
 */
export type * from './types.js';
export { createMediaEngine, WorkerMediaEngine, type MediaEngineDeps } from './engine.js';
export { mediaEngineConfigSchema, autoWorkerCount, type MediaEngineConfig, type MediaEngineConfigInput } from './config.js';
export { MediaEngineError, type EngineErrorCode } from './port-allocator.js';
export type { PromptPcmSource } from './prompts.js';
export type { WorkerCounters } from './protocol.js';
