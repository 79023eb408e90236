export { CallRecorder, type CallRecorderDeps } from './recorder.js';
export { cdrFromSession, cdrIdFor } from './record.js';
export { callsCsv } from './csv.js';
