export { AuditEntrySchema, redact, type AuditEntry } from './entry.js';
export { AuditLog, type AuditFilter, type AuditPage } from './log.js';
export { AuditRecorder, NO_AUDIT, type AuditNote } from './recorder.js';
