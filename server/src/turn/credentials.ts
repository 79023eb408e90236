import { createHmac } from 'node:crypto';

export interface TurnCredential {
  /** `<expiry unix seconds>:<subject>`. */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  credential: string;
  /** Unix seconds after which the TURN server refuses the credential. */
  expiresAt: number;
}

/**
 * Time-limited TURN credentials by the shared-secret "TURN REST API" scheme
 * (draft-uberti-behave-turn-rest, coturn `use-auth-secret`): the TURN server recomputes the
 * password from the username and the secret it shares with us, and refuses it once the expiry
 * in the username has passed. Nothing is stored per credential.
 */
export function turnCredential(secret: string, subject: string, ttlSeconds: number, nowMs: number): TurnCredential {
  if (subject.includes(':')) throw new Error('the credential subject must not contain ":"');
  const expiresAt = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiresAt}:${subject}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt };
}
