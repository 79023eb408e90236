import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Headers of every webhook POST. */
export const SIGNATURE_HEADER = 'convene-signature';
export const TIMESTAMP_HEADER = 'convene-timestamp';
export const EVENT_ID_HEADER = 'convene-event-id';
export const EVENT_TYPE_HEADER = 'convene-event-type';

/** A fresh endpoint secret: shown once at creation, used as the HMAC key. */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/** `v1=` + hex HMAC-SHA256(secret, `${timestamp}.${body}`); timestamp in unix seconds. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * The receiver's check (the recipe in README): the signature matches the raw body and the
 * timestamp is within `toleranceSeconds` of now, so a captured request cannot be replayed later.
 */
export function verifyWebhook(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: string,
  opts: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts)) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, rawBody));
  const given = Buffer.from(headers.signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
