/**
 * Acceptance over the wire: the registrar service on the real SIP stack (UDP on loopback), real
 * Redis, and real peers — sipp with a digest [authentication] scenario and Debian's baresip.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../common/src/index.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { StaticCredentialStore } from '../auth/index.js';
import { SipStack } from '../sip/index.js';
import { type Registrar, startRegistrar } from './index.js';
import { freeUdpTcpPort } from '../../../test/support/ports.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const domain = 'example.com';

let redis: TestRedis;
let stack: SipStack;
let registrar: Registrar;
let registration: ReturnType<typeof startRegistrar>;
let port: number;
let metrics: Registry;
let workDir: string;

/** A port free for UDP and TCP alike (baresip binds UDP, TCP and TLS listeners on its port). */
const freeUdpPort = freeUdpTcpPort;

/** Polls `check` every 100 ms until it returns true or `ms` pass. */
async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function sippRegister(user: string, password: string, expect: 200 | 403, expires = 300) {
  const scenario = path.join(workDir, `register-${user}-${expect}.xml`);
  fs.writeFileSync(
    scenario,
    fs
      .readFileSync(path.join(here, 'fixtures', 'register-digest.xml'), 'utf8')
      .replaceAll('__USERNAME__', user)
      .replaceAll('__PASSWORD__', password)
      .replaceAll('__FINAL__', String(expect)),
  );
  const localPort = await freeUdpPort();
  const result = await run(
    'sipp',
    [
      `127.0.0.1:${port}`,
      '-sf', scenario,
      '-m', '1',
      '-i', '127.0.0.1',
      '-p', String(localPort),
      '-mp', String(await freeUdpPort()),
      '-key', 'domain', domain,
      '-key', 'expires', String(expires),
      '-nostdin', '-timeout', '20s', '-timeout_error', '-recv_timeout', '10000',
      '-trace_err', '-error_file', path.join(workDir, `sipp-${user}.err`),
    ],
    30_000,
  );
  return { ...result, localPort };
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-registrar-wire-'));
  redis = await startTestRedis();
  metrics = new Registry();
  stack = new SipStack(
    { transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], hostedDomains: [domain], limits: { ratePerSecond: 0 } },
    { logger, registry: metrics },
  );
  // Wired exactly as the service will be: config block → startRegistrar(stack, redis, users).
  registration = startRegistrar(
    {
      minExpires: 2,
      defaultExpires: 600,
      maxExpires: 3600,
      sweepIntervalMs: 500,
      // MD5 only (the default): sipp 3.6 computes only MD5, and Debian's baresip 1.0 (libre)
      // gives up with ENOSYS as soon as any WWW-Authenticate names another algorithm.
      auth: { nonceSecret: 'wire-test-nonce-secret' },
    },
    {
      stack,
      redis: redis.client,
      credentialStore: new StaticCredentialStore(
        ['alice', 'bob', 'carol', 'dave'].map((username) => ({
          username,
          realm: domain,
          credential: { kind: 'password' as const, password: `${username}-pw` },
        })),
      ),
      hostedDomains: [domain],
      clock: systemClock,
      logger,
      metrics,
    },
  );
  registrar = registration.registrar;
  await stack.start();
  port = stack.transports[0]?.local.port as number;
});

afterAll(async () => {
  registration?.close();
  await stack?.stop();
  await redis?.stop();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

describe('REGISTER over UDP', () => {
  it('sipp registers with a digest challenge and the binding is in Redis', async () => {
    const r = await sippRegister('alice', 'alice-pw', 200);
    expect(r.code, r.output).toBe(0);
    const bindings = await registrar.contactsFor('sip:alice@example.com');
    expect(bindings.map((b) => b.uri)).toEqual([`sip:alice@127.0.0.1:${r.localPort}`]);
    expect(bindings[0]?.userAgent).toBe('sipp');
    expect(bindings[0]?.source).toMatchObject({ transport: 'udp', address: '127.0.0.1', port: r.localPort });
    expect(await metrics.metrics()).toContain('sip_registrations_total{kind="new"} 1');
  });

  it('refuses a wrong password with 403 and stores nothing', async () => {
    const r = await sippRegister('bob', 'not-bobs-password', 403);
    expect(r.code, r.output).toBe(0);
    expect(await registrar.contactsFor('sip:bob@example.com')).toEqual([]);
    expect(await metrics.metrics()).toContain('sip_auth_failures_total{reason="bad_response"} 1');
  });

  it('lets a binding expire: gone from lookups and from Redis after its Expires', async () => {
    const r = await sippRegister('carol', 'carol-pw', 200, 2);
    expect(r.code, r.output).toBe(0);
    expect(await registrar.contactsFor('sip:carol@example.com')).toHaveLength(1);
    const gone = await eventually(async () => (await registrar.contactsFor('sip:carol@example.com')).length === 0, 5_000);
    expect(gone).toBe(true);
    expect(await eventually(async () => (await redis.client.exists('conv:sip:reg:b:sip:carol@example.com')) === 0, 3_000)).toBe(true);
    // The sweeper (every 500 ms here) reports the lapse once, as an event and in the metrics.
    expect(await eventually(async () => (await metrics.metrics()).includes('sip_deregistrations_total{reason="expired"} 1'), 3_000)).toBe(true);
  });

  it('baresip registers with digest auth (and de-registers when it quits)', async () => {
    const dir = fs.mkdtempSync(path.join(workDir, 'baresip-'));
    const sipPort = await freeUdpPort();
    fs.writeFileSync(
      path.join(dir, 'config'),
      [
        'poll_method\tepoll',
        `sip_listen\t127.0.0.1:${sipPort}`,
        'sip_trans_def\tudp',
        'module_path\t/usr/lib/baresip/modules',
        'module_app\taccount.so',
        'audio_player\tnone',
        'audio_source\tnone',
        'audio_alert\tnone',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(
      path.join(dir, 'accounts'),
      `<sip:dave@${domain}>;auth_pass=dave-pw;outbound="sip:127.0.0.1:${port}";regint=600\n`,
    );
    const child = spawn('baresip', ['-f', dir, '-t', '40'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
    child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    try {
      const registered = await eventually(async () => (await registrar.contactsFor('sip:dave@example.com')).length > 0, 20_000);
      expect(registered, output).toBe(true);
      const [binding] = await registrar.contactsFor('sip:dave@example.com');
      expect(binding?.uri).toContain(`@127.0.0.1:${sipPort}`);
      expect(binding?.userAgent ?? '').toMatch(/baresip/i);
      // On SIGTERM baresip un-registers (Expires: 0), which removes the binding.
      child.kill('SIGTERM');
      const removed = await eventually(async () => (await registrar.contactsFor('sip:dave@example.com')).length === 0, 8_000);
      expect(removed, output).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});

describe('OPTIONS over UDP', () => {
  it('answers 200 with Allow, Accept and Supported', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const local = sock.address().port;
    const reply = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString())));
    sock.send(
      Buffer.from(
        `OPTIONS sip:${domain} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKopts1\r\nMax-Forwards: 70\r\n` +
          `From: <sip:probe@${domain}>;tag=p1\r\nTo: <sip:${domain}>\r\nCall-ID: options-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
      ),
      port,
      '127.0.0.1',
    );
    const text = await Promise.race([reply, new Promise<string>((r) => setTimeout(() => r('timeout'), 5_000))]);
    sock.close();
    expect(text).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(text).toMatch(/\r\nAllow: [^\r]*REGISTER/);
    expect(text).toMatch(/\r\nAccept: application\/sdp\r\n/);
    expect(text).toMatch(/\r\nSupported: [^\r]*path/);
  });
});

describe('RFC 7616 SHA-256 over the wire', () => {
  let shaStack: SipStack;
  let shaRegistration: ReturnType<typeof startRegistrar>;
  let shaPort: number;

  beforeAll(async () => {
    shaStack = new SipStack(
      { transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }], hostedDomains: [domain], limits: { ratePerSecond: 0 } },
      { logger, registry: new Registry() },
    );
    shaRegistration = startRegistrar(
      { keyPrefix: 'sha:', auth: { nonceSecret: 'wire-test-nonce-secret', algorithms: ['SHA-256', 'MD5'] } },
      {
        stack: shaStack,
        redis: redis.client,
        credentialStore: new StaticCredentialStore([{ username: 'erin', realm: domain, credential: { kind: 'password', password: 'erin-pw' } }]),
        hostedDomains: [domain],
        clock: systemClock,
        logger,
        metrics: new Registry(),
      },
    );
    await shaStack.start();
    shaPort = shaStack.transports[0]?.local.port as number;
  });

  afterAll(async () => {
    shaRegistration?.close();
    await shaStack?.stop();
  });

  it('a client answering the SHA-256 challenge registers, and a replay of its request is re-challenged', async () => {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    const local = sock.address().port;
    const exchange = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no response in 5 s')), 5_000);
        sock.once('message', (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
        sock.send(Buffer.from(text), shaPort, '127.0.0.1');
      });
    const register = (cseq: number, authorization?: string) =>
      `REGISTER sip:${domain} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${randomBytes(6).toString('hex')}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:erin@${domain}>;tag=e1\r\nTo: <sip:erin@${domain}>\r\nCall-ID: sha-reg-1\r\n` +
      `CSeq: ${cseq} REGISTER\r\nContact: <sip:erin@127.0.0.1:${local}>\r\nExpires: 600\r\n` +
      (authorization ? `Authorization: ${authorization}\r\n` : '') +
      'Content-Length: 0\r\n\r\n';
    try {
      const challenge = await exchange(register(1));
      expect(challenge).toMatch(/^SIP\/2\.0 401 /);
      const www = [...challenge.matchAll(/\r\nWWW-Authenticate: ([^\r]+)/g)].map((m) => m[1] as string);
      expect(www.map((v) => /algorithm=([\w-]+)/.exec(v)?.[1])).toEqual(['SHA-256', 'MD5']);
      const nonce = /nonce="([^"]+)"/.exec(www[0] as string)?.[1] as string;
      // The client side, computed independently with node:crypto (RFC 7616 §3.4.1).
      const h = (x: string) => createHash('sha256').update(x).digest('hex');
      const cnonce = randomBytes(8).toString('hex');
      const response = h(`${h(`erin:${domain}:erin-pw`)}:${nonce}:00000001:${cnonce}:auth:${h(`REGISTER:sip:${domain}`)}`);
      const authorization =
        `Digest username="erin", realm="${domain}", nonce="${nonce}", uri="sip:${domain}", algorithm=SHA-256, ` +
        `qop=auth, nc=00000001, cnonce="${cnonce}", response="${response}"`;
      const ok = await exchange(register(2, authorization));
      expect(ok).toMatch(/^SIP\/2\.0 200 /);
      expect(ok).toContain(`\r\nContact: <sip:erin@127.0.0.1:${local}>;expires=600\r\n`);
      expect((await shaRegistration.registrar.contactsFor('sip:erin@example.com')).map((b) => b.uri)).toEqual([`sip:erin@127.0.0.1:${local}`]);
      // Same credentials again (a captured request replayed with a higher CSeq): the nonce-count did not move.
      expect(await exchange(register(3, authorization))).toMatch(/^SIP\/2\.0 401 /);
    } finally {
      sock.close();
    }
  });
});
