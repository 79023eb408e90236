import { toCsv } from '../services/plans.js';
import type { CallDetailRecord } from '../model.js';

const HEADER = [
  'Start (UTC)', 'Answer (UTC)', 'End (UTC)', 'Duration (s)', 'VMR', 'Meeting address', 'Company', 'Kind', 'Display name', 'Caller address',
  'Role', 'Join mode', 'Bandwidth (kbps)', 'Tier', 'Leave reason', 'Node', 'Remote address', 'Record id',
];

/** The company's call list as CSV (spreadsheet-safe cells, CRLF lines). */
export function callsCsv(cdrs: readonly CallDetailRecord[]): string {
  return toCsv(
    HEADER,
    cdrs.map((c) => [
      c.startedAt, c.answeredAt ?? '', c.endedAt ?? '', c.durationMs === null ? '' : (c.durationMs / 1000).toFixed(3), c.vmrId ?? '', c.to, c.companyId,
      c.participantKind ?? c.protocol, c.displayName, c.callerAddress ?? '', c.role ?? '', c.joinMode ?? '', c.bandwidthKbps ?? '', c.tier ?? '',
      c.endReason ?? '', c.nodeId ?? '', c.remoteAddress ?? '', c.id,
    ]),
  );
}
