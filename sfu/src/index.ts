export { sfuConfigSchema, type SfuConfig } from './config.js';
export { WorkerPool, NoWorkerAvailableError, type WorkerUsage, type WorkerPoolConfig, type WorkerPoolObserverEvents } from './worker-pool.js';
export { WorkerCpuAdmission, type CpuAdmissionConfig, type WorkerUsageSource } from './cpu-admission.js';
export { loadMediasoup } from './mediasoup-loader.js';
export * from './media/index.js';
export { resolveAnnouncedAddress } from './network.js';
export { RECOMMENDED_UDP_RECEIVE_BUFFER_BYTES, hostUdpReceiveBufferBytes, udpReceiveBufferAdvice } from './udp-buffers.js';
