import type { RedisClient } from '../../store/index.js';
import type { DialInNumber } from '../model.js';
import { keys } from './keys.js';
import { runScript } from './scripts.js';

/**
 * Every dial-in number write in one script: the owner check (and the VMR target's partner check)
 * and the write happen together, so two callers cannot both create a number, and a partner cannot
 * change a number the operator just moved to another partner.
 * KEYS: number, index.  ARGV[1] mode, ARGV[2] acting owner ('*' = operator, else a partner id).
 *  create: json, score, number    → {'ok', json} | {'taken'}
 *  update: label, targetJson, targetPartner ('' = IVR) → {'ok', json, old} | {'not_found'} | {'target_mismatch'}
 *  assign: partnerId ('' = operator-held)              → {'ok', json, old} | {'not_found'}
 *  delete: number                                      → {'ok', old} | {'not_found'}
 * Moving a number to another partner sends it back to the IVR: a VMR target belongs to the old partner.
 */
const DIAL_IN = `
local mode, actor = ARGV[1], ARGV[2]
local function owner(rec)
  if rec.partnerId == nil or rec.partnerId == cjson.null then return '' end
  return rec.partnerId
end
if mode == 'create' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return {'taken'} end
  redis.call('SET', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
  return {'ok', ARGV[3]}
end
local cur = redis.call('GET', KEYS[1])
if not cur then return {'not_found'} end
local rec = cjson.decode(cur)
if actor ~= '*' and owner(rec) ~= actor then return {'not_found'} end
if mode == 'delete' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
  return {'ok', cur}
end
if mode == 'update' then
  if ARGV[5] ~= '' and ARGV[5] ~= owner(rec) then return {'target_mismatch'} end
  rec.label = ARGV[3]
  rec.target = cjson.decode(ARGV[4])
elseif mode == 'assign' then
  if owner(rec) ~= ARGV[3] then rec.target = {kind = 'ivr'} end
  if ARGV[3] == '' then rec.partnerId = cjson.null else rec.partnerId = ARGV[3] end
else
  return redis.error_reply('unknown mode')
end
local json = cjson.encode(rec)
redis.call('SET', KEYS[1], json)
return {'ok', json, cur}
`;

/** Who is acting: the operator (any number) or one partner (only its own numbers). */
export type DialInActor = { operator: true } | { operator: false; partnerId: string };

export type DialInWrite =
  | { ok: true; record: DialInNumber; before: DialInNumber | null }
  | { ok: false; reason: 'taken' | 'not_found' | 'target_mismatch' };

function parse(json: string): DialInNumber {
  const d = JSON.parse(json) as DialInNumber;
  // Numbers stored before ownership existed are held by the operator.
  return { ...d, partnerId: d.partnerId ?? null };
}

const actorArg = (a: DialInActor) => (a.operator ? '*' : a.partnerId);

/** PSTN dial-in numbers (E.164) with their owning partner and routing target. */
export class DialInRepository {
  constructor(private readonly redis: RedisClient) {}

  async get(number: string): Promise<DialInNumber | null> {
    const v = await this.redis.get(keys.dialIn(number));
    return v ? parse(v) : null;
  }

  async list(): Promise<DialInNumber[]> {
    const nums = await this.redis.zRange(keys.dialIns(), 0, -1);
    if (nums.length === 0) return [];
    const vals = await this.redis.mGet(nums.map((n) => keys.dialIn(n)));
    return vals.filter((v): v is string => v !== null).map(parse);
  }

  /** Creates the number only if it does not exist yet. */
  async create(d: DialInNumber): Promise<DialInWrite> {
    const r = await this.run(d.number, ['create', '*', JSON.stringify(d), String(Date.parse(d.createdAt)), d.number]);
    return r[0] === 'ok' ? { ok: true, record: parse(r[1] ?? ''), before: null } : { ok: false, reason: 'taken' };
  }

  /** Changes label and target if `actor` owns the number; a VMR target must belong to the number's partner. */
  async update(number: string, actor: DialInActor, change: { label: string; target: DialInNumber['target']; targetPartnerId: string | null }): Promise<DialInWrite> {
    return this.result(await this.run(number, ['update', actorArg(actor), change.label, JSON.stringify(change.target), change.targetPartnerId ?? '']));
  }

  /** Operator: moves the number to a partner (null = back to the operator). */
  async assign(number: string, partnerId: string | null): Promise<DialInWrite> {
    return this.result(await this.run(number, ['assign', '*', partnerId ?? '']));
  }

  async delete(number: string, actor: DialInActor): Promise<DialInWrite> {
    const r = await this.run(number, ['delete', actorArg(actor), number]);
    if (r[0] !== 'ok') return { ok: false, reason: 'not_found' };
    const before = parse(r[1] ?? '');
    return { ok: true, record: before, before };
  }

  private run(number: string, args: string[]): Promise<string[]> {
    return runScript(this.redis, DIAL_IN, [keys.dialIn(number), keys.dialIns()], args);
  }

  private result(r: string[]): DialInWrite {
    if (r[0] === 'ok') return { ok: true, record: parse(r[1] ?? ''), before: r[2] ? parse(r[2]) : null };
    return { ok: false, reason: r[0] === 'target_mismatch' ? 'target_mismatch' : 'not_found' };
  }
}
