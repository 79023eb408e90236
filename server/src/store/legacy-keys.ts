import type { Logger } from 'pino';
import type { RedisClient } from '../../../common/src/index.js';

/**
 * Key prefixes used before the one `conv:<subsystem>:` scheme (common/src/redis-keys.ts), and
 * where their keys live now. Only durable data is carried over: administration records and the
 * mail outbox. Short-lived keys (SIP registrations, nonce counts, seat leases, PIN attempt
 * counters) simply expire under their old names; devices re-register.
 */
export const LEGACY_KEY_PREFIXES: readonly { from: string; to: string }[] = [
  { from: 'cv:adm:', to: 'conv:admin:' },
  { from: 'convene:admin:outbox', to: 'conv:admin:outbox' },
];

/**
 * Renames keys written under a legacy prefix to the current one, so an upgraded node finds the
 * data an older one stored. Idempotent and safe on every start (nothing to do is one SCAN per
 * prefix); RENAMENX never overwrites a key already written under the new name.
 */
export async function migrateLegacyKeys(redis: RedisClient, logger: Logger): Promise<number> {
  let moved = 0;
  for (const { from, to } of LEGACY_KEY_PREFIXES) {
    const pattern = `${from.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for await (const batch of redis.scanIterator({ MATCH: pattern, COUNT: 500 })) {
      for (const key of batch) {
        const target = to + key.slice(from.length);
        if (await redis.renameNX(key, target)) moved++;
        else logger.warn({ key, target }, 'legacy Redis key left in place: the new key already exists');
      }
    }
  }
  if (moved > 0) logger.info({ moved }, 'renamed Redis keys to the conv:<subsystem>: scheme');
  return moved;
}
