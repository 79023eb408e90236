export { logConfigSchema, type LogConfig } from './config.js';
export { createLogger } from './logger.js';
export { createMetricsRegistry, registerWorkerMetrics, registerStoreMetrics, type ObservableWorkerPool } from './metrics.js';
export {
  registerMeetingMetrics,
  type ObservableMeetings,
  type ObservableMedia,
  type ObservableSignaling,
  type SignalingMetrics,
} from './meeting-metrics.js';
export { registerAdmissionMetrics, type ObservableAdmission } from './admission-metrics.js';
