import type { Logger } from 'pino';
import type { Clock } from '../../../../common/src/index.js';
import type { RedisClient } from '../../store/index.js';
import { keys, runScript } from '../store/index.js';
import type { AuditEntry } from './entry.js';

/**
 * Appends one entry to the global stream and to each scoped partner's stream under the same id,
 * trimming by length and age in the same step (exact trims: admin writes are few, and exact
 * limits are what the config promises). Ids carry the service clock's milliseconds, so `since`,
 * `until` and retention all follow the same clock; if that clock is behind the last entry the id
 * falls back to Redis' own, which is still increasing. Partner streams only ever receive ids the
 * global stream just generated, so their explicit ids always increase too.
 * KEYS: global, partner streams…  ARGV: maxLen, minId (ms), json, now (ms).  Reply: the id.
 */
const APPEND = `
local id = ARGV[4] .. '-*'
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if last and tonumber(string.match(last[1], '^(%d+)')) > tonumber(ARGV[4]) then id = '*' end
id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], id, 'e', ARGV[3])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[2])
for i = 2, #KEYS do
  redis.call('XADD', KEYS[i], 'MAXLEN', ARGV[1], id, 'e', ARGV[3])
  redis.call('XTRIM', KEYS[i], 'MINID', ARGV[2])
end
return id
`;

export interface AuditFilter {
  /** Only entries in this partner's scope (operators may pass any; partner admins get their own). */
  partnerId?: string | undefined;
  companyId?: string | undefined;
  actorTokenId?: string | undefined;
  method?: string | undefined;
  /** Substring of the route pattern, e.g. `dial-in-numbers`. */
  route?: string | undefined;
  /** Any target id equal to this (a number, plan id, company id …). */
  target?: string | undefined;
  sinceMs?: number | undefined;
  untilMs?: number | undefined;
  /** Cursor: list entries older than this id. */
  before?: string | undefined;
  limit: number;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Pass as `before` for the next (older) page; null when the scan reached the start. */
  nextCursor: string | null;
}

/** Entries scanned per listing request at most, so a narrow filter over a long log stays bounded. */
const MAX_SCAN = 20_000;

/** The append-only audit log: a Redis stream plus one stream per partner for scoped reads. */
export class AuditLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly limits: { maxEntries: number; retentionDays: number },
    private readonly counted: (outcome: 'stored' | 'failed') => void = () => {},
  ) {}

  private minId(): string {
    return String(Math.max(0, Math.floor(this.clock.now()) - this.limits.retentionDays * 86_400_000));
  }

  /**
   * Drops aged entries from the global stream and every partner's stream (appends only trim the
   * streams they write to, so a quiet partner's stream is aged out here). Returns entries removed.
   */
  async trimAged(partnerIds: string[]): Promise<number> {
    const minId = this.minId();
    let removed = 0;
    for (const key of [keys.audit(), ...partnerIds.map((p) => keys.auditPartner(p))]) {
      removed += await this.redis.xTrim(key, 'MINID', minId);
    }
    return removed;
  }

  /** Stores the entry and writes it as a structured log line; a store failure is logged, never thrown. */
  async append(entry: Omit<AuditEntry, 'id'>): Promise<string | null> {
    const json = JSON.stringify(entry);
    const now = this.clock.now();
    const minId = this.minId();
    const streams = [keys.audit(), ...new Set(entry.partners)].map((p, i) => (i === 0 ? p : keys.auditPartner(p)));
    let id: string | null = null;
    try {
      id = (await runScript(this.redis, APPEND, streams, [String(this.limits.maxEntries), minId, json, String(Math.floor(now))])) as unknown as string;
      this.counted('stored');
    } catch (err) {
      // The write itself already happened: answer it, but leave a loud trace (and the log line below).
      this.counted('failed');
      this.logger.error({ err, audit: entry }, 'audit entry could not be stored');
    }
    this.logger.info({ audit: { id, ...entry } }, `audit ${entry.action.method} ${entry.action.route} → ${entry.outcome.status}`);
    return id;
  }

  async list(f: AuditFilter): Promise<AuditPage> {
    const key = f.partnerId ? keys.auditPartner(f.partnerId) : keys.audit();
    const items: AuditEntry[] = [];
    // Ids are clock milliseconds: the time window is an id range (an incomplete id covers its whole ms).
    let high = f.before ? `(${f.before}` : f.untilMs !== undefined ? String(f.untilMs) : '+';
    const low = f.sinceMs !== undefined ? String(f.sinceMs) : '-';
    let scanned = 0;
    const batch = Math.min(1_000, Math.max(100, f.limit * 2));
    while (items.length < f.limit && scanned < MAX_SCAN) {
      const rows = await this.redis.xRevRange(key, high, low, { COUNT: batch });
      for (const row of rows) {
        scanned++;
        high = `(${row.id}`;
        const raw = row.message.e;
        if (typeof raw !== 'string') continue;
        const entry = { id: row.id, ...(JSON.parse(raw) as Omit<AuditEntry, 'id'>) };
        if (matches(entry, f)) items.push(entry);
        if (items.length >= f.limit) return { items, nextCursor: row.id };
      }
      if (rows.length < batch) return { items, nextCursor: null };
    }
    return { items, nextCursor: high.startsWith('(') ? high.slice(1) : null };
  }
}

function matches(e: AuditEntry, f: AuditFilter): boolean {
  const at = Date.parse(e.at);
  if (f.untilMs !== undefined && at > f.untilMs) return false;
  if (f.sinceMs !== undefined && at < f.sinceMs) return false;
  if (f.companyId && e.targets.companyId !== f.companyId && e.actor?.companyId !== f.companyId) return false;
  if (f.actorTokenId && e.actor?.tokenId !== f.actorTokenId) return false;
  if (f.method && e.action.method !== f.method.toUpperCase()) return false;
  if (f.route && !e.action.route.includes(f.route)) return false;
  if (f.target && !Object.values(e.targets).includes(f.target)) return false;
  return true;
}
