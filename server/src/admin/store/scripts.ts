import type { RedisClient } from '../../store/index.js';
import { createHash } from 'node:crypto';

/**
 * Lua scripts for every "check a limit, then write" step, so concurrent requests on any node
 * cannot exceed licences or claim one address twice. Capacity is summed from the company's
 * licence hash at call time, skipping expired plans, so a lapsed plan stops counting at once.
 */
const CAPACITY = `
local function capacity(licKey, pool, now)
  local cap = 0
  for _, v in ipairs(redis.call('HVALS', licKey)) do
    local p = cjson.decode(v)
    if p.status == 'active' and tonumber(p.expiresAt) > now then
      local q = p.pools[pool]
      if q then
        if tonumber(q) < 0 then return -1 end
        cap = cap + tonumber(q)
      end
    end
  end
  return cap
end
`;

/**
 * Create or reactivate a consumer.
 * KEYS: lic, used, poolMembers, claims[nClaims], hashes[nHashes], zsets[nZ], companyDeleted
 * ARGV: pool, now, nClaims, nHashes, nZ, memberId, score, mode, claimValues[nClaims],
 *       then per hash: json ('' keeps the stored json), state
 * Replies: {'ok'} | {'address_taken', i} | {'no_licence', cap, used} | {'not_inactive', state} | {'company_deleted'}
 */
export const ACTIVATE = `${CAPACITY}
if redis.call('EXISTS', KEYS[#KEYS]) == 1 then return {'company_deleted'} end
local pool, now = ARGV[1], tonumber(ARGV[2])
local nC, nH, nZ = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local member, score, mode = ARGV[6], ARGV[7], ARGV[8]
local cBase, hBase, zBase = 3, 3 + nC, 3 + nC + nH
if mode == 'reactivate' then
  local st = redis.call('HGET', KEYS[hBase + 1], 'state')
  if st ~= 'inactive' then return {'not_inactive', tostring(st)} end
end
for i = 1, nC do
  local cur = redis.call('GET', KEYS[cBase + i])
  if cur and cur ~= ARGV[8 + i] then return {'address_taken', tostring(i)} end
end
if pool ~= '' then
  local cap = capacity(KEYS[1], pool, now)
  local used = tonumber(redis.call('HGET', KEYS[2], pool) or '0')
  if cap >= 0 and used + 1 > cap then return {'no_licence', tostring(cap), tostring(used)} end
  redis.call('HINCRBY', KEYS[2], pool, 1)
  redis.call('ZADD', KEYS[3], score, member)
end
for i = 1, nC do redis.call('SET', KEYS[cBase + i], ARGV[8 + i]) end
local a = 8 + nC
for i = 1, nH do
  local json, state = ARGV[a + 1], ARGV[a + 2]
  a = a + 2
  if json ~= '' then redis.call('HSET', KEYS[hBase + i], 'json', json) end
  redis.call('HSET', KEYS[hBase + i], 'state', state, 'pool', pool)
end
for i = 1, nZ do redis.call('ZADD', KEYS[zBase + i], score, member) end
return {'ok'}
`;

/**
 * Deactivate or delete a consumer, returning its licence.
 * KEYS: used, hashes[nHashes], delKeys[nDel], zsets[nZ]
 * ARGV: mode ('deactivate'|'delete'), nHashes, nDel, nZ, memberId, companyKeyPrefix
 * The pool-members zset is derived from the stored pool (same {c:..} hash slot as the other keys).
 * Replies: {'ok', previousState} | {'missing'} | {'already_inactive'}
 */
export const RELEASE = `
local mode, nH, nD, nZ, member, prefix = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], ARGV[6]
local first = KEYS[2]
local st = redis.call('HGET', first, 'state')
if not st then return {'missing'} end
if mode == 'deactivate' and st == 'inactive' then return {'already_inactive'} end
local pool = redis.call('HGET', first, 'pool') or ''
if st ~= 'inactive' and pool ~= '' then
  redis.call('HINCRBY', KEYS[1], pool, -1)
  redis.call('ZREM', prefix .. 'pool:' .. pool, member)
end
for i = 1, nZ do redis.call('ZREM', KEYS[1 + nH + nD + i], member) end
if mode == 'delete' then
  for i = 1, nH do redis.call('DEL', KEYS[1 + i]) end
  for i = 1, nD do redis.call('DEL', KEYS[1 + nH + i]) end
else
  for i = 1, nH do redis.call('HSET', KEYS[1 + i], 'state', 'inactive', 'pool', '') end
end
return {'ok', st}
`;

/**
 * Write a licence plan (order, change, renewal, expiry) with its order event.
 * KEYS: lic, used, planKey, plansZ, orderKey, ordersZ
 * ARGV: planId, licJson, planJson, now, orderId, orderJson, planScore, orderScore, check ('1'|'0')
 * With check: refuses when any pool's capacity would drop below its usage, or BYOC would exceed
 * the Endpoint licences. Replies: {'ok'} | {'below_usage', pool, cap, used} | {'byoc_exceeds', byoc, endpoints}
 */
export const WRITE_PLAN = `${CAPACITY}
local now = tonumber(ARGV[4])
local prev = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[9] == '1' then
  local used = redis.call('HGETALL', KEYS[2])
  for i = 1, #used, 2 do
    local pool, n = used[i], tonumber(used[i + 1])
    if n > 0 then
      local cap = capacity(KEYS[1], pool, now)
      if cap >= 0 and n > cap then
        if prev then redis.call('HSET', KEYS[1], ARGV[1], prev) else redis.call('HDEL', KEYS[1], ARGV[1]) end
        return {'below_usage', pool, tostring(cap), tostring(n)}
      end
    end
  end
  local byoc = capacity(KEYS[1], 'byoc', now)
  local ep = capacity(KEYS[1], 'endpoint_basic', now) + capacity(KEYS[1], 'endpoint_plus', now) + capacity(KEYS[1], 'endpoint_premium', now)
  if byoc > ep then
    if prev then redis.call('HSET', KEYS[1], ARGV[1], prev) else redis.call('HDEL', KEYS[1], ARGV[1]) end
    return {'byoc_exceeds', tostring(byoc), tostring(ep)}
  end
end
redis.call('SET', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[7], ARGV[1])
redis.call('SET', KEYS[5], ARGV[6])
redis.call('ZADD', KEYS[6], ARGV[8], ARGV[5])
return {'ok'}
`;

/**
 * Change an endpoint's tier: the new tier's licence is taken and the old one returned in one
 * step, so concurrent changes can never put more endpoints on a tier than it has licences.
 * An inactive endpoint holds no licence: only its tier changes. A trial endpoint (no pool) stays a trial.
 * KEYS: lic, used, consumerHash, companyDeleted
 * ARGV: newPool, now, memberId, score, companyKeyPrefix, tier, bandwidthKbps
 * Replies: {'ok', oldPool} | {'missing'} | {'same'} | {'no_licence', cap, used} | {'company_deleted'}
 */
export const CHANGE_TIER = `${CAPACITY}
if redis.call('EXISTS', KEYS[4]) == 1 then return {'company_deleted'} end
local newPool, now, member, score, prefix = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local st = redis.call('HGET', KEYS[3], 'state')
if not st then return {'missing'} end
local rec = cjson.decode(redis.call('HGET', KEYS[3], 'json'))
if rec.kind ~= 'endpoint' then return {'missing'} end
if rec.tier == ARGV[6] then return {'same'} end
local oldPool = redis.call('HGET', KEYS[3], 'pool') or ''
local pool = ''
if st ~= 'inactive' and oldPool ~= '' then
  local cap = capacity(KEYS[1], newPool, now)
  local used = tonumber(redis.call('HGET', KEYS[2], newPool) or '0')
  if cap >= 0 and used + 1 > cap then return {'no_licence', tostring(cap), tostring(used)} end
  redis.call('HINCRBY', KEYS[2], newPool, 1)
  redis.call('ZADD', prefix .. 'pool:' .. newPool, score, member)
  redis.call('HINCRBY', KEYS[2], oldPool, -1)
  redis.call('ZREM', prefix .. 'pool:' .. oldPool, member)
  pool = newPool
end
rec.tier = ARGV[6]
rec.bandwidthKbps = tonumber(ARGV[7])
rec.pool = pool
redis.call('HSET', KEYS[3], 'json', cjson.encode(rec), 'pool', pool)
return {'ok', oldPool}
`;

/**
 * Retire a consumer of a deleted company: its licence is returned (if it held one), it becomes
 * inactive, and its address / numeric-id / domain claims are released — but only claims that
 * still name this company, so a claim someone else took meanwhile is never removed.
 * KEYS: used, hashes[nHashes], claims[nClaims], trials
 * ARGV: nHashes, nClaims, memberId, companyKeyPrefix, claimOwnerPrefix ('<companyId>|')
 * Replies: {'ok', previousState, releasedClaims} | {'missing'}
 */
export const RETIRE = `
local nH, nC, member, prefix, owner = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5]
local st = redis.call('HGET', KEYS[2], 'state')
if not st then return {'missing'} end
local pool = redis.call('HGET', KEYS[2], 'pool') or ''
if st ~= 'inactive' and pool ~= '' then
  redis.call('HINCRBY', KEYS[1], pool, -1)
  redis.call('ZREM', prefix .. 'pool:' .. pool, member)
end
for i = 1, nH do
  if redis.call('EXISTS', KEYS[1 + i]) == 1 then redis.call('HSET', KEYS[1 + i], 'state', 'inactive', 'pool', '') end
end
local released = 0
for i = 1, nC do
  local v = redis.call('GET', KEYS[1 + nH + i])
  if v and string.sub(v, 1, #owner) == owner then
    redis.call('DEL', KEYS[1 + nH + i])
    released = released + 1
  end
end
redis.call('ZREM', KEYS[2 + nH + nC], member)
return {'ok', st, tostring(released)}
`;

/** Runs a script by SHA, loading it on NOSCRIPT (e.g. after the embedded Redis restarted). */
export async function runScript(redis: RedisClient, script: string, keys: string[], args: string[]): Promise<string[]> {
  const sha = shaOf(script);
  try {
    return (await redis.evalSha(sha, { keys, arguments: args })) as string[];
  } catch (err) {
    if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
    return (await redis.eval(script, { keys, arguments: args })) as string[];
  }
}

const shas = new Map<string, string>();
function shaOf(script: string): string {
  let s = shas.get(script);
  if (!s) {
    s = createHash('sha1').update(script).digest('hex');
    shas.set(script, s);
  }
  return s;
}

/**
 * Moves a group of records to new states only if the first is in the expected state
 * (invitation acceptance: member invited→active and its VMR inactive→active, in one step).
 * KEYS: hashes[n]; ARGV: expectedState, then per hash: json ('' keeps), state.
 * Replies: {'ok'} | {'wrong_state', state}
 */
export const TRANSITION = `
local st = redis.call('HGET', KEYS[1], 'state')
if st ~= ARGV[1] then return {'wrong_state', tostring(st)} end
for i = 1, #KEYS do
  local json, state = ARGV[2 * i], ARGV[2 * i + 1]
  if json ~= '' then redis.call('HSET', KEYS[i], 'json', json) end
  redis.call('HSET', KEYS[i], 'state', state)
end
return {'ok'}
`;
