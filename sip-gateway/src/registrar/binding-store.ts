import type { RedisClient } from '../../../common/src/index.js';
import type { Binding } from './types.js';

/**
 * Redis layout (prefix default `conv:sip:`, see common/src/redis-keys.ts):
 *   <prefix>reg:b:<aor>   hash  binding key → binding JSON; PEXPIRE = the latest binding's expiry,
 *                               so Redis drops an AOR by itself when every binding lapsed.
 *   <prefix>reg:expiry    zset  "<aor>\n<binding key>" scored by expiresAt: the cluster-wide
 *                               binding count and the sweeper's work list.
 * Every change runs as one Lua script, so racing REGISTERs (on any node) apply one after the other.
 */

/** KEYS: hash, zset. ARGV: now ms, request JSON. Returns JSON. */
const UPDATE_LUA = `
local now = tonumber(ARGV[1])
local req = cjson.decode(ARGV[2])
local existing = {}
local count = 0
local expired = {}
local raw = redis.call('HGETALL', KEYS[1])
for i = 1, #raw, 2 do
  local b = cjson.decode(raw[i + 1])
  if tonumber(b.expiresAt) <= now then
    redis.call('HDEL', KEYS[1], raw[i])
    redis.call('ZREM', KEYS[2], req.aor .. '\\n' .. raw[i])
    expired[#expired + 1] = raw[i + 1]
  else
    existing[raw[i]] = b
    count = count + 1
  end
end

-- RFC 3261 §10.3 step 6: same Call-ID needs a higher CSeq, checked before anything changes.
if req.wildcard then
  for _, b in pairs(existing) do
    if b.callId == req.callId and tonumber(b.cseq) >= req.cseq then
      return cjson.encode({ status = 'out_of_order' })
    end
  end
else
  local after = count
  for _, c in ipairs(req.contacts) do
    local b = existing[c.key]
    if b then
      if b.callId == req.callId and tonumber(b.cseq) >= req.cseq then
        return cjson.encode({ status = 'out_of_order' })
      end
      if c.expiresAt == 0 then after = after - 1 end
    elseif c.expiresAt ~= 0 then
      after = after + 1
    end
  end
  if after > req.maxContacts and after > count then
    return cjson.encode({ status = 'too_many_contacts' })
  end
end

local added, refreshed, removed = {}, {}, {}
if req.wildcard then
  for key, _ in pairs(existing) do
    removed[#removed + 1] = redis.call('HGET', KEYS[1], key)
    redis.call('HDEL', KEYS[1], key)
    redis.call('ZREM', KEYS[2], req.aor .. '\\n' .. key)
  end
else
  for _, c in ipairs(req.contacts) do
    local member = req.aor .. '\\n' .. c.key
    local old = existing[c.key]
    if c.expiresAt == 0 then
      if old then
        removed[#removed + 1] = redis.call('HGET', KEYS[1], c.key)
        redis.call('HDEL', KEYS[1], c.key)
        redis.call('ZREM', KEYS[2], member)
        existing[c.key] = nil
      end
    else
      local json = c.json
      if old then
        -- Keep when it was first registered; everything else follows the new request.
        local b = cjson.decode(c.json)
        b.registeredAt = old.registeredAt
        json = cjson.encode(b)
        refreshed[#refreshed + 1] = json
      else
        added[#added + 1] = json
      end
      redis.call('HSET', KEYS[1], c.key, json)
      redis.call('ZADD', KEYS[2], c.expiresAt, member)
      existing[c.key] = { expiresAt = c.expiresAt }
    end
  end
end

local latest = 0
local all = redis.call('HGETALL', KEYS[1])
local bindings = {}
for i = 2, #all, 2 do
  bindings[#bindings + 1] = all[i]
  local e = tonumber(cjson.decode(all[i]).expiresAt)
  if e > latest then latest = e end
end
if #bindings == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('PEXPIRE', KEYS[1], math.max(1, latest - now))
end
return cjson.encode({ status = 'ok', bindings = bindings, added = added, refreshed = refreshed, removed = removed, expired = expired })
`;

/** KEYS: zset. ARGV: now ms, hash key prefix, limit. Returns JSON list of lapsed bindings. */
const SWEEP_LUA = `
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, member in ipairs(due) do
  local nl = string.find(member, '\\n', 1, true)
  local aor = string.sub(member, 1, nl - 1)
  local key = string.sub(member, nl + 1)
  local hash = ARGV[2] .. aor
  local json = redis.call('HGET', hash, key)
  redis.call('ZREM', KEYS[1], member)
  if json then
    if tonumber(cjson.decode(json).expiresAt) <= now then
      redis.call('HDEL', hash, key)
      out[#out + 1] = json
    end
  else
    -- Redis already dropped the AOR by TTL; report what the index still knows.
    out[#out + 1] = cjson.encode({ aor = aor, key = key, gone = true })
  end
end
return cjson.encode(out)
`;

export interface StoredContact {
  key: string;
  /** 0 removes the binding. */
  expiresAt: number;
  /** Full binding JSON (ignored when removing). */
  json: string;
}

export type UpdateOutcome =
  | { status: 'ok'; bindings: Binding[]; added: Binding[]; refreshed: Binding[]; removed: Binding[]; expired: Binding[] }
  | { status: 'out_of_order' }
  | { status: 'too_many_contacts' };

/** cjson writes an empty Lua table as `{}`; read both shapes as a list. */
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

function decodeBinding(json: unknown): Binding | undefined {
  if (typeof json !== 'string') return undefined;
  try {
    const b = JSON.parse(json) as Partial<Binding> & { gone?: boolean };
    if (typeof b.aor !== 'string' || typeof b.key !== 'string') return undefined;
    return {
      ...b,
      aor: b.aor,
      key: b.key,
      uri: typeof b.uri === 'string' ? b.uri : '',
      path: Array.isArray(b.path) ? b.path.filter((p): p is string => typeof p === 'string') : [],
      callId: typeof b.callId === 'string' ? b.callId : '',
      cseq: typeof b.cseq === 'number' ? b.cseq : 0,
      expiresAt: typeof b.expiresAt === 'number' ? b.expiresAt : 0,
      registeredAt: typeof b.registeredAt === 'number' ? b.registeredAt : 0,
    };
  } catch {
    return undefined;
  }
}

const bindings = (value: unknown): Binding[] =>
  list(value)
    .map(decodeBinding)
    .filter((b): b is Binding => b !== undefined);

/** The registrar's Redis access: nothing else touches these keys. */
export class RedisBindingStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix = 'conv:sip:',
  ) {}

  private hashKey(aor: string): string {
    return `${this.keyPrefix}reg:b:${aor}`;
  }

  private get expiryKey(): string {
    return `${this.keyPrefix}reg:expiry`;
  }

  async update(
    now: number,
    request: { aor: string; callId: string; cseq: number; wildcard: boolean; maxContacts: number; contacts: StoredContact[] },
  ): Promise<UpdateOutcome> {
    const raw = await this.redis.eval(UPDATE_LUA, {
      keys: [this.hashKey(request.aor), this.expiryKey],
      arguments: [String(now), JSON.stringify(request)],
    });
    const parsed = JSON.parse(String(raw)) as Record<string, unknown>;
    if (parsed.status === 'out_of_order') return { status: 'out_of_order' };
    if (parsed.status === 'too_many_contacts') return { status: 'too_many_contacts' };
    return {
      status: 'ok',
      bindings: bindings(parsed.bindings),
      added: bindings(parsed.added),
      refreshed: bindings(parsed.refreshed),
      removed: bindings(parsed.removed),
      expired: bindings(parsed.expired),
    };
  }

  /** Live bindings of an AOR (read-only; lapsed ones are filtered, the sweeper removes them). */
  async list(aor: string, now: number): Promise<Binding[]> {
    const all = await this.redis.hVals(this.hashKey(aor));
    return bindings(all).filter((b) => b.expiresAt > now);
  }

  /** Removes up to `limit` lapsed bindings (any AOR) and returns them; atomic across nodes. */
  async sweep(now: number, limit: number): Promise<Binding[]> {
    const raw = await this.redis.eval(SWEEP_LUA, {
      keys: [this.expiryKey],
      arguments: [String(now), `${this.keyPrefix}reg:b:`, String(limit)],
    });
    return bindings(JSON.parse(String(raw)));
  }

  /** Bindings alive at `now`, across the cluster. */
  async count(now: number): Promise<number> {
    return this.redis.zCount(this.expiryKey, `(${now}`, '+inf');
  }
}
