import type { RedisClient } from '../../store/index.js';
import { companyKeyPrefix } from '../store/keys.js';
import type { DeliveryOutcome, WebhookEndpointRecord } from './model.js';

const P = 'cv:adm:wh:';
const k = {
  /** set of endpoint ids of one company (under the company's prefix, so a purge removes it) / of the global scope. */
  scope: (companyId: string | null) => (companyId ? `${companyKeyPrefix(companyId)}wh:eps` : `${P}global`),
  endpoint: (id: string) => `${P}ep:${id}`,
  /** list: the undelivered events of one endpoint and one meeting, oldest first. */
  queue: (endpointId: string, meetingId: string) => `${P}q:${endpointId}:${meetingId}`,
  /** set of `${endpointId}|${meetingId}` with undelivered events (resumed on start, by any node). */
  queues: () => `${P}queues`,
  pending: (endpointId: string) => `${P}n:${endpointId}`,
  gaveUp: (endpointId: string) => `${P}gaveup:${endpointId}`,
  log: (endpointId: string) => `${P}log:${endpointId}`,
  lock: (endpointId: string, meetingId: string) => `${P}lock:${endpointId}:${meetingId}`,
};

/** KEYS: scope set, endpoint key. ARGV: id, json, max. → 1 | 0 (limit reached). */
const ADD_ENDPOINT = `
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return 1`;

/** KEYS: queue, queues, pending. ARGV: member, event json, max pending. → 1 | 0 (endpoint backlog full). */
const ENQUEUE = `
if tonumber(redis.call('GET', KEYS[3]) or '0') >= tonumber(ARGV[3]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('INCR', KEYS[3])
return 1`;

/** KEYS: queue, queues, pending. ARGV: member, expected head. Removes the head if it is still that event. */
const DEQUEUE = `
local head = redis.call('LINDEX', KEYS[1], 0)
if head == ARGV[2] then
  redis.call('LPOP', KEYS[1])
  if tonumber(redis.call('DECR', KEYS[3])) < 0 then redis.call('SET', KEYS[3], 0) end
end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[1]) end
return 1`;

/** Webhook endpoints and their delivery state, all in Redis so any node carries on after a restart. */
export class WebhookStore {
  constructor(private readonly redis: RedisClient) {}

  async add(ep: WebhookEndpointRecord, max: number): Promise<boolean> {
    const r = await this.redis.eval(ADD_ENDPOINT, { keys: [k.scope(ep.companyId), k.endpoint(ep.id)], arguments: [ep.id, JSON.stringify(ep), String(max)] });
    return Number(r) === 1;
  }

  async get(id: string): Promise<WebhookEndpointRecord | null> {
    const v = await this.redis.get(k.endpoint(id));
    return v ? (JSON.parse(v) as WebhookEndpointRecord) : null;
  }

  async update(ep: WebhookEndpointRecord): Promise<void> {
    await this.redis.set(k.endpoint(ep.id), JSON.stringify(ep), { XX: true });
  }

  async list(companyId: string | null): Promise<WebhookEndpointRecord[]> {
    const ids = await this.redis.sMembers(k.scope(companyId));
    if (ids.length === 0) return [];
    const vals = await this.redis.mGet(ids.map(k.endpoint));
    return vals
      .filter((v): v is string => v !== null)
      .map((v) => JSON.parse(v) as WebhookEndpointRecord)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Removes the endpoint and everything waiting for it. */
  async remove(ep: WebhookEndpointRecord): Promise<void> {
    const members = (await this.redis.sMembers(k.queues())).filter((m) => m.startsWith(`${ep.id}|`));
    const m = this.redis.multi().sRem(k.scope(ep.companyId), ep.id).del([k.endpoint(ep.id), k.pending(ep.id), k.gaveUp(ep.id), k.log(ep.id)]);
    for (const member of members) m.del(k.queue(ep.id, member.slice(ep.id.length + 1))).sRem(k.queues(), member);
    await m.exec();
  }

  /** false: the endpoint's backlog is full and the event was not queued. */
  async enqueue(endpointId: string, meetingId: string, eventJson: string, maxPending: number): Promise<boolean> {
    const r = await this.redis.eval(ENQUEUE, {
      keys: [k.queue(endpointId, meetingId), k.queues(), k.pending(endpointId)],
      arguments: [`${endpointId}|${meetingId}`, eventJson, String(maxPending)],
    });
    return Number(r) === 1;
  }

  head(endpointId: string, meetingId: string): Promise<string | null> {
    return this.redis.lIndex(k.queue(endpointId, meetingId), 0);
  }

  async dequeue(endpointId: string, meetingId: string, head: string): Promise<void> {
    await this.redis.eval(DEQUEUE, { keys: [k.queue(endpointId, meetingId), k.queues(), k.pending(endpointId)], arguments: [`${endpointId}|${meetingId}`, head] });
  }

  /** Every (endpoint, meeting) queue with undelivered events. */
  async activeQueues(): Promise<{ endpointId: string; meetingId: string }[]> {
    return (await this.redis.sMembers(k.queues())).map((m) => {
      const i = m.indexOf('|');
      return { endpointId: m.slice(0, i), meetingId: m.slice(i + 1) };
    });
  }

  /** One node delivers a queue at a time; the lease outlives one attempt. */
  async lock(endpointId: string, meetingId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(k.lock(endpointId, meetingId), owner, { NX: true, PX: ttlMs })) === 'OK';
  }

  async unlock(endpointId: string, meetingId: string, owner: string): Promise<void> {
    await this.redis.eval(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`, {
      keys: [k.lock(endpointId, meetingId)],
      arguments: [owner],
    });
  }

  async recordOutcome(endpointId: string, outcome: DeliveryOutcome, keep: number): Promise<void> {
    const m = this.redis.multi().lPush(k.log(endpointId), JSON.stringify(outcome)).lTrim(k.log(endpointId), 0, keep - 1);
    if (outcome.outcome === 'gave_up') m.incr(k.gaveUp(endpointId));
    await m.exec();
  }

  async recent(endpointId: string, limit: number): Promise<DeliveryOutcome[]> {
    return (await this.redis.lRange(k.log(endpointId), 0, limit - 1)).map((v) => JSON.parse(v) as DeliveryOutcome);
  }

  async stats(endpointId: string): Promise<{ pending: number; gaveUp: number; last: DeliveryOutcome | null }> {
    const [pending, gaveUp, last] = await Promise.all([this.redis.get(k.pending(endpointId)), this.redis.get(k.gaveUp(endpointId)), this.redis.lIndex(k.log(endpointId), 0)]);
    return { pending: Number(pending ?? 0), gaveUp: Number(gaveUp ?? 0), last: last ? (JSON.parse(last) as DeliveryOutcome) : null };
  }
}
