import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { migrateLegacyKeys } from './legacy-keys.js';

const logger = pino({ level: 'silent' });
let redis: TestRedis;

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('migrateLegacyKeys', () => {
  it('moves administration data and the outbox written by an older node to the conv:<subsystem>: names', async () => {
    const c = redis.client;
    await c.set('cv:adm:partner:p1', '{"name":"Acme"}');
    await c.hSet('cv:adm:{c:co1}:lic', 'plan1', '{"pools":{}}');
    await c.rPush('convene:admin:outbox', ['mail-1', 'mail-2']);
    await c.set('conv:admin:partner:p2', 'already new');
    await c.set('cv:adm:partner:p2', 'stale copy');
    await c.set('sip:reg:expiry', 'left alone');

    expect(await migrateLegacyKeys(c, logger)).toBe(3);

    expect(await c.get('conv:admin:partner:p1')).toBe('{"name":"Acme"}');
    expect(await c.hGetAll('conv:admin:{c:co1}:lic')).toEqual({ plan1: '{"pools":{}}' });
    expect(await c.lRange('conv:admin:outbox', 0, -1)).toEqual(['mail-1', 'mail-2']);
    expect(await c.exists(['cv:adm:partner:p1', 'cv:adm:{c:co1}:lic', 'convene:admin:outbox'])).toBe(0);
    // Never overwrites what a current node wrote.
    expect(await c.get('conv:admin:partner:p2')).toBe('already new');
    expect(await c.get('sip:reg:expiry')).toBe('left alone');

    // A second start has nothing left to do.
    expect(await migrateLegacyKeys(c, logger)).toBe(0);
  });
});
