export { sfuConfigSchema, type SfuConfig } from './config.js';
export { WorkerPool, NoWorkerAvailableError, type WorkerUsage, type WorkerPoolObserverEvents } from './worker-pool.js';
export { loadMediasoup } from './mediasoup-loader.js';
