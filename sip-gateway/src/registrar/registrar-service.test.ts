import { createHash, randomBytes } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { DigestAuthenticator, RedisReplayGuard, StaticCredentialStore } from '../auth/index.js';
import { parseMessage, type SipRequest } from '../sip/index.js';
import { Registrar, RegistrarService, type ServiceReply } from './index.js';

let redis: TestRedis;
let n = 0;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const logger = pino({ level: 'silent' });

function setup(policy = { defaultExpires: 3600, minExpires: 60, maxExpires: 7200, maxContactsPerAor: 5 }) {
  const clock = new ManualClock();
  const keyPrefix = `svc${++n}:`;
  const metrics = new Registry();
  const registrar = new Registrar({ redis: redis.client, policy, clock, logger, metrics, keyPrefix });
  const authenticator = new DigestAuthenticator({
    nonceSecret: 'service-test-secret-123',
    nonceLifetimeMs: 300_000,
    algorithms: ['MD5', 'SHA-256'],
    credentialStore: new StaticCredentialStore([
      { username: 'alice', realm: 'example.com', credential: { kind: 'password', password: 'wonderland' } },
      { username: 'bob', realm: 'example.com', credential: { kind: 'password', password: 'builder' } },
    ]),
    replayGuard: new RedisReplayGuard(redis.client, keyPrefix),
    clock,
    logger,
    metrics,
  });
  const service = new RegistrarService({ registrar, authenticator, domains: ['example.com'], clock, logger });
  return { clock, registrar, service, metrics };
}

function parse(text: string): SipRequest {
  const raw = text.replace(/\n/g, '\r\n');
  const body = '';
  const parsed = parseMessage(Buffer.from(`${raw}Content-Length: ${body.length}\r\n\r\n${body}`));
  if (!parsed.ok || parsed.message.kind !== 'request') throw new Error('test message did not parse');
  return parsed.message;
}

interface RegisterOpts {
  user?: string;
  domain?: string;
  requestUri?: string;
  callId?: string;
  cseq?: number;
  contact?: string;
  expires?: number;
  extra?: string;
  authorization?: string;
}
function register(o: RegisterOpts = {}): SipRequest {
  const user = o.user ?? 'alice';
  const domain = o.domain ?? 'example.com';
  return parse(
    `REGISTER ${o.requestUri ?? `sip:${domain}`} SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK${randomBytes(6).toString('hex')}
Max-Forwards: 70
From: <sip:${user}@${domain}>;tag=abc
To: <sip:${user}@${domain}>
Call-ID: ${o.callId ?? 'reg-call-1'}
CSeq: ${o.cseq ?? 1} REGISTER
Contact: ${o.contact ?? '<sip:alice@192.0.2.10:5060>'}
${o.expires !== undefined ? `Expires: ${o.expires}\n` : ''}${o.extra ?? ''}${o.authorization ? `Authorization: ${o.authorization}\n` : ''}`,
  );
}

const header = (r: ServiceReply, name: string) => r.headers.filter(([k]) => k === name).map(([, v]) => v);

/** A client's answer to the first challenge, computed independently with node:crypto. */
function authorize(challenge: ServiceReply, user: string, password: string, uri = 'sip:example.com', nc = 1): string {
  const www = header(challenge, 'WWW-Authenticate')[0] as string;
  const nonce = /nonce="([^"]+)"/.exec(www)?.[1] as string;
  const alg = /algorithm=([A-Z0-9-]+)/.exec(www)?.[1] as string;
  const h = (s: string) => createHash(alg === 'SHA-256' ? 'sha256' : 'md5').update(s).digest('hex');
  const cnonce = randomBytes(4).toString('hex');
  const ncText = nc.toString(16).padStart(8, '0');
  const response = h(`${h(`${user}:example.com:${password}`)}:${nonce}:${ncText}:${cnonce}:auth:${h(`REGISTER:${uri}`)}`);
  return `Digest username="${user}", realm="example.com", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${alg}, qop=auth, nc=${ncText}, cnonce="${cnonce}"`;
}

async function registerWithAuth(service: RegistrarService, o: RegisterOpts, password = 'wonderland'): Promise<ServiceReply> {
  const challenge = await service.handle(register(o));
  expect(challenge.status).toBe(401);
  return service.handle(register({ ...o, cseq: (o.cseq ?? 1) + 1, authorization: authorize(challenge, o.user ?? 'alice', password, o.requestUri) }));
}

describe('RegistrarService REGISTER', () => {
  it('challenges, then stores the binding and answers 200 with Contact and Expires', async () => {
    const { service, registrar } = setup();
    const challenge = await service.handle(register({ expires: 600 }));
    expect(challenge.status).toBe(401);
    const www = header(challenge, 'WWW-Authenticate');
    expect(www).toHaveLength(2);
    expect(www[0]).toMatch(/^Digest realm="example\.com", nonce="[^"]+", algorithm=MD5, qop="auth"$/);
    expect(await registrar.contactsFor('sip:alice@example.com')).toEqual([]);

    const ok = await service.handle(register({ expires: 600, cseq: 2, authorization: authorize(challenge, 'alice', 'wonderland') }));
    expect(ok.status).toBe(200);
    expect(header(ok, 'Contact')).toEqual(['<sip:alice@192.0.2.10:5060>;expires=600']);
    expect(header(ok, 'Expires')).toEqual(['600']);
    expect(header(ok, 'Date')).toHaveLength(1);
    const bindings = await registrar.contactsFor('sip:alice@example.com');
    expect(bindings.map((b) => [b.uri, b.callId, b.cseq])).toEqual([['sip:alice@192.0.2.10:5060', 'reg-call-1', 2]]);
  });

  it('refuses a wrong password and an unknown user with 403, and stores nothing', async () => {
    const { service, registrar, metrics } = setup();
    expect((await registerWithAuth(service, {}, 'not-the-password')).status).toBe(403);
    expect((await registerWithAuth(service, { user: 'mallory' }, 'x')).status).toBe(403);
    expect(await registrar.contactsFor('sip:alice@example.com')).toEqual([]);
    const text = await metrics.metrics();
    expect(text).toContain('sip_auth_failures_total{reason="bad_response"} 1');
    expect(text).toContain('sip_auth_failures_total{reason="unknown_user"} 1');
  });

  it("refuses an authenticated user registering someone else's address", async () => {
    const { service } = setup();
    const challenge = await service.handle(register());
    const asBob = authorize(challenge, 'bob', 'builder');
    expect((await service.handle(register({ cseq: 2, authorization: asBob }))).status).toBe(403);
  });

  it('answers 404 for domains we do not host, before any challenge', async () => {
    const { service } = setup();
    expect((await service.handle(register({ domain: 'elsewhere.example' }))).status).toBe(404);
    expect((await service.handle(register({ requestUri: 'sip:example.com', domain: 'elsewhere.example' }))).status).toBe(404);
  });

  it('answers 423 with Min-Expires for too short an interval', async () => {
    const { service } = setup();
    const r = await registerWithAuth(service, { expires: 10 });
    expect(r.status).toBe(423);
    expect(header(r, 'Min-Expires')).toEqual(['60']);
  });

  it('de-registers with "*" and Expires: 0', async () => {
    const { service, registrar } = setup();
    expect((await registerWithAuth(service, { contact: '<sip:alice@192.0.2.10>, <sip:alice@192.0.2.11>;q=0.5' })).status).toBe(200);
    expect(await registrar.contactsFor('sip:alice@example.com')).toHaveLength(2);
    const r = await registerWithAuth(service, { contact: '*', expires: 0, cseq: 3 });
    expect(r.status).toBe(200);
    expect(header(r, 'Contact')).toEqual([]);
    expect(await registrar.contactsFor('sip:alice@example.com')).toEqual([]);
  });

  it('keeps Path with the binding and echoes it when the UA supports path', async () => {
    const { service, registrar } = setup();
    const r = await registerWithAuth(service, { extra: 'Path: <sip:edge1.example.net;lr>\nSupported: path\n' });
    expect(header(r, 'Path')).toEqual(['<sip:edge1.example.net;lr>']);
    expect((await registrar.contactsFor('sip:alice@example.com'))[0]?.path).toEqual(['<sip:edge1.example.net;lr>']);
  });

  it('keeps +sip.instance and answers it back', async () => {
    const { service, registrar } = setup();
    const r = await registerWithAuth(service, {
      contact: '<sip:alice@192.0.2.10>;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1',
    });
    expect(header(r, 'Contact')[0]).toBe(
      '<sip:alice@192.0.2.10>;expires=3600;+sip.instance="<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>";reg-id=1',
    );
    expect((await registrar.contactsFor('sip:alice@example.com'))[0]?.instanceId).toBe('<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>');
  });

  it('answers 400 for bad Contact parameters and 420 for extensions it does not know', async () => {
    const { service } = setup();
    expect((await service.handle(register({ contact: '<sip:alice@192.0.2.10>;expires=soon' }))).status).toBe(400);
    expect((await service.handle(register({ contact: '<sip:alice@192.0.2.10>;q=7' }))).status).toBe(400);
    expect((await service.handle(register({ contact: '<tel:+15551234>' }))).status).toBe(400);
    const r = await service.handle(register({ extra: 'Require: gruu, path\n' }));
    expect(r.status).toBe(420);
    expect(header(r, 'Unsupported')).toEqual(['gruu']);
  });

  it('answers 400 to a malformed Authorization header', async () => {
    const { service } = setup();
    const r = await service.handle(register({ authorization: 'Digest username="alice", realm=' }));
    expect(r.status).toBe(400);
  });

  it('re-challenges with stale=true once the nonce has expired', async () => {
    const { service, clock } = setup();
    const challenge = await service.handle(register());
    clock.advance(300_001);
    const r = await service.handle(register({ cseq: 2, authorization: authorize(challenge, 'alice', 'wonderland') }));
    expect(r.status).toBe(401);
    expect(header(r, 'WWW-Authenticate')[0]).toMatch(/stale=true$/);
  });
});

describe('RegistrarService OPTIONS', () => {
  const options = (uri: string) =>
    parse(`OPTIONS ${uri} SIP/2.0
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKopt1
Max-Forwards: 70
From: <sip:probe@example.org>;tag=1
To: <${uri}>
Call-ID: opt-1
CSeq: 1 OPTIONS
`);

  it('answers our capabilities for hosted domains and our address', async () => {
    const { service } = setup();
    for (const uri of ['sip:example.com', 'sip:127.0.0.1:5060', 'sip:[::1]']) {
      const r = await service.handle(options(uri));
      expect(r.status).toBe(200);
      expect(header(r, 'Allow')[0]).toContain('REGISTER');
      expect(header(r, 'Accept')).toEqual(['application/sdp']);
      expect(header(r, 'Supported')[0]).toContain('path');
    }
  });

  it('answers 404 for a domain we do not host', async () => {
    const { service } = setup();
    expect((await service.handle(options('sip:elsewhere.example'))).status).toBe(404);
  });
});
