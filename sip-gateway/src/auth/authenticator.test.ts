import { createHash, randomBytes } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { credentialsHeaderName, DigestAuthenticator, RedisReplayGuard, StaticCredentialStore, type CredentialStore } from './index.js';

const realm = 'example.com';
const requestUri = 'sip:example.com';
let redis: TestRedis;

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** What a client does with a challenge, computed independently with node:crypto. */
function answer(challenge: string, opts: { username: string; password: string; nc: number; method?: string; uri?: string }): string {
  const get = (k: string) => new RegExp(`${k}="?([^",]+)"?`).exec(challenge)?.[1] as string;
  const algorithm = get('algorithm');
  const alg = algorithm === 'SHA-256' ? 'sha256' : 'md5';
  const h = (s: string) => createHash(alg).update(s).digest('hex');
  const nonce = get('nonce');
  const nc = opts.nc.toString(16).padStart(8, '0');
  const cnonce = randomBytes(6).toString('hex');
  const uri = opts.uri ?? requestUri;
  const response = h(`${h(`${opts.username}:${realm}:${opts.password}`)}:${nonce}:${nc}:${cnonce}:auth:${h(`${opts.method ?? 'REGISTER'}:${uri}`)}`);
  return `Digest username="${opts.username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, cnonce="${cnonce}", qop=auth, nc=${nc}`;
}

function makeNode(clock: ManualClock, store: CredentialStore, metrics = new Registry(), algorithms: ('MD5' | 'SHA-256')[] = ['SHA-256', 'MD5']) {
  return new DigestAuthenticator({
    nonceSecret: 'test-secret-0123456789',
    nonceLifetimeMs: 60_000,
    algorithms,
    credentialStore: store,
    replayGuard: new RedisReplayGuard(redis.client, `t${randomBytes(4).toString('hex')}:`),
    clock,
    logger: pino({ level: 'silent' }),
    metrics,
  });
}

const store = new StaticCredentialStore([
  { username: 'alice', realm, credential: { kind: 'password', password: 's3cret' } },
  {
    username: 'bob',
    realm,
    credential: { kind: 'ha1', ha1: { MD5: createHash('md5').update(`bob:${realm}:hunter2`).digest('hex') } },
  },
]);

const verify = (auth: DigestAuthenticator, credentials: string[], method = 'REGISTER') =>
  auth.verify({ realm, method, requestUri, credentials });

describe('DigestAuthenticator', () => {
  it('challenges with one header per algorithm, most preferred first', () => {
    const auth = makeNode(new ManualClock(), store);
    const [first, second] = auth.challenge(realm);
    expect(first).toMatch(/^Digest realm="example\.com", nonce="[A-Za-z0-9_-]+", algorithm=SHA-256, qop="auth"$/);
    expect(second).toMatch(/algorithm=MD5/);
    expect(auth.challenge(realm, { stale: true })[0]).toMatch(/, stale=true$/);
  });

  it('names the headers for 401 and 407 challenges', () => {
    const auth = makeNode(new ManualClock(), store);
    expect(auth.challengeHeaders('www', realm).map(([name]) => name)).toEqual(['WWW-Authenticate', 'WWW-Authenticate']);
    const proxy = auth.challengeHeaders('proxy', realm, { stale: true });
    expect(proxy.map(([name]) => name)).toEqual(['Proxy-Authenticate', 'Proxy-Authenticate']);
    expect(proxy[0]?.[1]).toMatch(/^Digest realm="example\.com", .*stale=true$/);
    expect([credentialsHeaderName('www'), credentialsHeaderName('proxy')]).toEqual(['Authorization', 'Proxy-Authorization']);
  });

  it('asks for credentials when there are none', async () => {
    const result = await verify(makeNode(new ManualClock(), store), []);
    expect(result).toMatchObject({ ok: false, reason: 'missing_credentials', outcome: 'challenge' });
  });

  it('accepts a correct SHA-256 and MD5 answer, password or HA1 stored', async () => {
    const auth = makeNode(new ManualClock(), store);
    const [sha] = auth.challenge(realm) as [string];
    const [, md5] = auth.challenge(realm) as [string, string];
    expect(await verify(auth, [answer(sha, { username: 'alice', password: 's3cret', nc: 1 })])).toMatchObject({
      ok: true,
      username: 'alice',
      algorithm: 'SHA-256',
    });
    expect(await verify(auth, [answer(md5, { username: 'bob', password: 'hunter2', nc: 1 })])).toMatchObject({
      ok: true,
      username: 'bob',
      algorithm: 'MD5',
    });
    // bob has no SHA-256 HA1 stored: he cannot use SHA-256, and is told no more than "forbidden".
    const [sha2] = auth.challenge(realm) as [string];
    expect(await verify(auth, [answer(sha2, { username: 'bob', password: 'hunter2', nc: 1 })])).toMatchObject({
      ok: false,
      reason: 'unknown_user',
      outcome: 'forbidden',
    });
  });

  it('forbids a wrong password and an unknown user, counting each reason', async () => {
    const metrics = new Registry();
    const auth = makeNode(new ManualClock(), store, metrics);
    const [sha] = auth.challenge(realm) as [string];
    expect(await verify(auth, [answer(sha, { username: 'alice', password: 'wrong', nc: 1 })])).toMatchObject({
      reason: 'bad_response',
      outcome: 'forbidden',
    });
    expect(await verify(auth, [answer(sha, { username: 'mallory', password: 'x', nc: 1 })])).toMatchObject({
      reason: 'unknown_user',
      outcome: 'forbidden',
    });
    const text = await metrics.metrics();
    expect(text).toContain('sip_auth_failures_total{reason="bad_response"} 1');
    expect(text).toContain('sip_auth_failures_total{reason="unknown_user"} 1');
    expect(text).toContain('sip_auth_failures_total{reason="stale_nonce"} 0');
  });

  it('refuses a replayed nonce-count and accepts a higher one', async () => {
    const auth = makeNode(new ManualClock(), store);
    const [sha] = auth.challenge(realm) as [string];
    const first = answer(sha, { username: 'alice', password: 's3cret', nc: 1 });
    expect((await verify(auth, [first])).ok).toBe(true);
    expect(await verify(auth, [first])).toMatchObject({ ok: false, reason: 'nonce_replayed', outcome: 'challenge' });
    expect((await verify(auth, [answer(sha, { username: 'alice', password: 's3cret', nc: 3 })])).ok).toBe(true);
    expect(await verify(auth, [answer(sha, { username: 'alice', password: 's3cret', nc: 2 })])).toMatchObject({
      reason: 'nonce_replayed',
    });
  });

  it('lets exactly one of many racing uses of the same nonce-count through', async () => {
    const auth = makeNode(new ManualClock(), store);
    const [sha] = auth.challenge(realm) as [string];
    const header = answer(sha, { username: 'alice', password: 's3cret', nc: 1 });
    const results = await Promise.all(Array.from({ length: 20 }, () => verify(auth, [header])));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('shares nonces and replay state between nodes through Redis', async () => {
    const clock = new ManualClock();
    const prefix = `shared${randomBytes(3).toString('hex')}:`;
    const node = () =>
      new DigestAuthenticator({
        nonceSecret: 'test-secret-0123456789',
        nonceLifetimeMs: 60_000,
        algorithms: ['MD5'],
        credentialStore: store,
        replayGuard: new RedisReplayGuard(redis.client, prefix),
        clock,
        logger: pino({ level: 'silent' }),
        metrics: new Registry(),
      });
    const a = node();
    const b = node();
    const [md5] = a.challenge(realm) as [string];
    const header = answer(md5, { username: 'alice', password: 's3cret', nc: 1 });
    expect((await verify(b, [header])).ok).toBe(true);
    expect(await verify(a, [header])).toMatchObject({ reason: 'nonce_replayed' });
  });

  it('says stale=true only to a client that knows the password', async () => {
    const clock = new ManualClock();
    const auth = makeNode(clock, store);
    const [sha] = auth.challenge(realm) as [string];
    clock.advance(60_001);
    expect(await verify(auth, [answer(sha, { username: 'alice', password: 's3cret', nc: 1 })])).toMatchObject({
      reason: 'stale_nonce',
      outcome: 'challenge_stale',
    });
    expect(await verify(auth, [answer(sha, { username: 'alice', password: 'nope', nc: 1 })])).toMatchObject({
      reason: 'bad_response',
    });
  });

  it('re-challenges for nonces it never issued, other realms and algorithms it did not offer', async () => {
    const auth = makeNode(new ManualClock(), store, new Registry(), ['SHA-256']);
    const forged = `Digest realm="${realm}", nonce="bm90LW91cnMtbm9uY2Utbm90LW91cnMtbm9uY2UtMTIz", algorithm=SHA-256, qop="auth"`;
    expect(await verify(auth, [answer(forged, { username: 'alice', password: 's3cret', nc: 1 })])).toMatchObject({
      reason: 'invalid_nonce',
      outcome: 'challenge',
    });
    const [sha] = auth.challenge(realm) as [string];
    const otherRealm = answer(sha, { username: 'alice', password: 's3cret', nc: 1 }).replace(`realm="${realm}"`, 'realm="other"');
    expect(await verify(auth, [otherRealm])).toMatchObject({ reason: 'realm_mismatch', outcome: 'challenge' });
    const md5 = answer(sha.replace('SHA-256', 'MD5'), { username: 'alice', password: 's3cret', nc: 1 });
    expect(await verify(auth, [md5])).toMatchObject({ reason: 'unsupported_algorithm', outcome: 'challenge' });
  });

  it('answers bad requests for malformed headers and a digest-uri that is not the Request-URI', async () => {
    const auth = makeNode(new ManualClock(), store);
    const [sha] = auth.challenge(realm) as [string];
    const malformed = await verify(auth, ['Digest username="alice", realm=']);
    expect(malformed).toMatchObject({ reason: 'malformed_header', outcome: 'bad_request' });
    expect(!malformed.ok && malformed.error?.code).toBe('malformed');
    const wrongUri = answer(sha, { username: 'alice', password: 's3cret', nc: 1, uri: 'sip:other.example.com' });
    expect(await verify(auth, [wrongUri])).toMatchObject({ reason: 'uri_mismatch', outcome: 'bad_request' });
  });

  it('picks the credentials for our realm among several', async () => {
    const auth = makeNode(new ManualClock(), store);
    const [sha] = auth.challenge(realm) as [string];
    const ours = answer(sha, { username: 'alice', password: 's3cret', nc: 1 });
    const theirs = ours.replace(`realm="${realm}"`, 'realm="proxy.example.net"');
    expect((await verify(auth, [theirs, ours])).ok).toBe(true);
  });

  it('reports the store being down as unavailable, not as a wrong password', async () => {
    const broken: CredentialStore = { lookup: () => Promise.reject(new Error('directory down')) };
    const auth = makeNode(new ManualClock(), broken);
    const [sha] = auth.challenge(realm) as [string];
    expect(await verify(auth, [answer(sha, { username: 'alice', password: 's3cret', nc: 1 })])).toMatchObject({
      reason: 'store_unavailable',
      outcome: 'unavailable',
    });
  });
});
