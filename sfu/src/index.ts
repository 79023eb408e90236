export { sfuConfigSchema, type SfuConfig } from './config.js';
export { WorkerPool, NoWorkerAvailableError, type WorkerUsage, type WorkerPoolConfig, type WorkerPoolObserverEvents } from './worker-pool.js';
export { loadMediasoup } from './mediasoup-loader.js';
export * from './media/index.js';
export { resolveAnnouncedAddress } from './network.js';
