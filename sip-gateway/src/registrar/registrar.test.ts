import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock, type Clock } from '../../../common/src/index.js';
import { startTestRedis, type TestRedis } from '../../../test/support/redis.js';
import { Registrar, type Binding, type ExpiryPolicy, type RegisterInput } from './index.js';

let redis: TestRedis;
let prefixCounter = 0;

beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const policy: ExpiryPolicy = { defaultExpires: 3600, minExpires: 60, maxExpires: 7200, maxContactsPerAor: 5 };

function makeRegistrar(opts: { clock?: Clock; keyPrefix?: string; metrics?: Registry; policy?: Partial<ExpiryPolicy> } = {}) {
  return new Registrar({
    redis: redis.client,
    policy: { ...policy, ...opts.policy },
    clock: opts.clock ?? new ManualClock(),
    logger: pino({ level: 'silent' }),
    metrics: opts.metrics ?? new Registry(),
    keyPrefix: opts.keyPrefix ?? `t${++prefixCounter}:`,
  });
}

const aor = 'sip:alice@example.com';
const req = (over: Partial<RegisterInput>): RegisterInput => ({
  aor,
  callId: 'call-1',
  cseq: 1,
  contacts: [{ uri: 'sip:alice@192.0.2.10:5060' }],
  path: [],
  ...over,
});
const uris = (bindings: Binding[]) => bindings.map((b) => b.uri);

describe('Registrar', () => {
  it('stores several contacts for one AOR and returns them highest q first', async () => {
    const clock = new ManualClock();
    const registrar = makeRegistrar({ clock });
    const registered: Binding[] = [];
    registrar.on('registered', (b) => registered.push(b));
    const result = await registrar.register(
      req({
        expiresHeader: 600,
        contacts: [
          { uri: 'sip:alice@192.0.2.10:5060', q: 0.5 },
          { uri: 'sip:alice@192.0.2.11:5060', q: 0.9, expires: 120 },
        ],
        path: ['<sip:edge.example.com;lr>'],
        source: { transport: 'udp', address: '192.0.2.10', port: 5060 },
      }),
    );
    expect(result.ok).toBe(true);
    expect(registered).toHaveLength(2);
    const contacts = await registrar.contactsFor(aor);
    expect(uris(contacts)).toEqual(['sip:alice@192.0.2.11:5060', 'sip:alice@192.0.2.10:5060']);
    expect(contacts[0]?.expiresAt).toBe(clock.now() + 120_000);
    expect(contacts[1]?.expiresAt).toBe(clock.now() + 600_000);
    expect(contacts[1]?.path).toEqual(['<sip:edge.example.com;lr>']);
    expect(contacts[1]?.source).toEqual({ transport: 'udp', address: '192.0.2.10', port: 5060 });
    // Another node reading the same Redis sees the same bindings.
    const otherNode = makeRegistrar({ clock, keyPrefix: (registrar as unknown as { options: { keyPrefix: string } }).options.keyPrefix });
    expect(uris(await otherNode.contactsFor(aor))).toEqual(uris(contacts));
  });

  it('uses the default expiry, caps at the maximum and refuses too-brief intervals with Min-Expires', async () => {
    const clock = new ManualClock();
    const registrar = makeRegistrar({ clock });
    await registrar.register(req({}));
    expect((await registrar.contactsFor(aor))[0]?.expiresAt).toBe(clock.now() + 3600_000);
    await registrar.register(req({ cseq: 2, expiresHeader: 999_999 }));
    expect((await registrar.contactsFor(aor))[0]?.expiresAt).toBe(clock.now() + 7200_000);
    expect(await registrar.register(req({ cseq: 3, expiresHeader: 30 }))).toEqual({
      ok: false,
      refusal: 'interval_too_brief',
      minExpires: 60,
    });
    expect((await registrar.contactsFor(aor))[0]?.expiresAt).toBe(clock.now() + 7200_000);
  });

  it('refreshes with a higher CSeq, keeps registeredAt, and refuses same Call-ID with an old CSeq', async () => {
    const clock = new ManualClock();
    const registrar = makeRegistrar({ clock });
    const first = clock.now();
    await registrar.register(req({ cseq: 5, expiresHeader: 600 }));
    clock.advance(10_000);
    const refreshed: Binding[] = [];
    registrar.on('refreshed', (b) => refreshed.push(b));
    const ok = await registrar.register(req({ cseq: 6, expiresHeader: 600 }));
    expect(ok.ok && ok.refreshed).toHaveLength(1);
    expect(refreshed[0]?.registeredAt).toBe(first);
    expect(refreshed[0]?.expiresAt).toBe(clock.now() + 600_000);

    for (const cseq of [6, 4]) {
      expect(await registrar.register(req({ cseq, expiresHeader: 0 }))).toMatchObject({ ok: false, refusal: 'out_of_order' });
    }
    expect(await registrar.contactsFor(aor)).toHaveLength(1);
    // A different Call-ID (e.g. the UA rebooted) may carry any CSeq.
    const reboot = await registrar.register(req({ callId: 'call-2', cseq: 1, expiresHeader: 0 }));
    expect(reboot.ok && reboot.removed).toHaveLength(1);
    expect(await registrar.contactsFor(aor)).toEqual([]);
  });

  it('removes one contact with expires=0 and all with "*" (Expires: 0 only)', async () => {
    const registrar = makeRegistrar();
    const removed: Binding[] = [];
    registrar.on('unregistered', (b) => removed.push(b));
    await registrar.register(req({ contacts: [{ uri: 'sip:a@192.0.2.1' }, { uri: 'sip:b@192.0.2.2' }, { uri: 'sip:c@192.0.2.3' }] }));
    await registrar.register(req({ cseq: 2, contacts: [{ uri: 'sip:a@192.0.2.1', expires: 0 }] }));
    expect(uris(await registrar.contactsFor(aor)).sort()).toEqual(['sip:b@192.0.2.2', 'sip:c@192.0.2.3']);
    expect(await registrar.register(req({ cseq: 3, contacts: '*', expiresHeader: 60 }))).toMatchObject({
      ok: false,
      refusal: 'invalid_wildcard',
    });
    expect(await registrar.register(req({ cseq: 1, contacts: '*', expiresHeader: 0 }))).toMatchObject({
      ok: false,
      refusal: 'out_of_order',
    });
    const all = await registrar.register(req({ cseq: 3, contacts: '*', expiresHeader: 0 }));
    expect(all.ok && all.bindings).toEqual([]);
    expect(removed.map((b) => b.uri).sort()).toEqual(['sip:a@192.0.2.1', 'sip:b@192.0.2.2', 'sip:c@192.0.2.3']);
    expect(await registrar.contactsFor(aor)).toEqual([]);
  });

  it('answers a fetch (no Contact) with the current bindings and changes nothing', async () => {
    const registrar = makeRegistrar();
    await registrar.register(req({}));
    const fetched = await registrar.register(req({ cseq: 2, contacts: [] }));
    expect(fetched.ok && uris(fetched.bindings)).toEqual(['sip:alice@192.0.2.10:5060']);
    expect(fetched.ok && [...fetched.added, ...fetched.refreshed, ...fetched.removed]).toEqual([]);
  });

  it('treats a new Contact URI with the same +sip.instance as the same device', async () => {
    const registrar = makeRegistrar();
    const instanceId = '<urn:uuid:00000000-0000-1000-8000-000A95A0E128>';
    await registrar.register(req({ contacts: [{ uri: 'sip:alice@192.0.2.10:5060', instanceId }] }));
    const moved = await registrar.register(req({ callId: 'other', contacts: [{ uri: 'sip:alice@198.51.100.7:6000', instanceId }] }));
    expect(moved.ok && moved.refreshed).toHaveLength(1);
    const contacts = await registrar.contactsFor(aor);
    expect(contacts.map((b) => [b.uri, b.instanceId])).toEqual([['sip:alice@198.51.100.7:6000', instanceId]]);
  });

  it('enforces the per-AOR contact limit atomically under racing REGISTERs from two nodes', async () => {
    const keyPrefix = `race${++prefixCounter}:`;
    const nodeA = makeRegistrar({ keyPrefix });
    const nodeB = makeRegistrar({ keyPrefix });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? nodeA : nodeB).register(req({ callId: `c${i}`, contacts: [{ uri: `sip:alice@192.0.2.${i + 1}` }] })),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.refusal === 'too_many_contacts')).toHaveLength(15);
    const stored = await nodeA.contactsFor(aor);
    expect(stored).toHaveLength(5);
    // Every stored binding is one of the accepted ones, whole.
    const accepted = results.flatMap((r) => (r.ok ? r.added.map((b) => b.uri) : []));
    expect(uris(stored).sort()).toEqual(accepted.sort());
    // A refresh of an existing contact is still allowed at the limit.
    const first = stored[0] as Binding;
    expect((await nodeB.register(req({ callId: first.callId, cseq: 2, contacts: [{ uri: first.uri }] }))).ok).toBe(true);
  });

  it('keeps every binding when many different contacts race in under the limit', async () => {
    const keyPrefix = `race${++prefixCounter}:`;
    const nodes = [makeRegistrar({ keyPrefix }), makeRegistrar({ keyPrefix })];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (nodes[i % 2] as Registrar).register(req({ aor: 'sip:bob@example.com', callId: `c${i}`, contacts: [{ uri: `sip:bob@192.0.2.${i}` }] })),
      ),
    );
    expect(await nodes[0]?.contactsFor('sip:bob@example.com')).toHaveLength(5);
  });

  it('lets bindings lapse with time and reports each expiry once across nodes', async () => {
    const clock = new ManualClock();
    const keyPrefix = `exp${++prefixCounter}:`;
    const metrics = new Registry();
    const nodeA = makeRegistrar({ clock, keyPrefix, metrics });
    const nodeB = makeRegistrar({ clock, keyPrefix, metrics: new Registry() });
    await nodeA.register(req({ contacts: [{ uri: 'sip:a@192.0.2.1', expires: 60 }, { uri: 'sip:b@192.0.2.2', expires: 300 }] }));
    expect(await metrics.metrics()).toContain('sip_registrar_bindings 2');
    clock.advance(60_000);
    expect(uris(await nodeA.contactsFor(aor))).toEqual(['sip:b@192.0.2.2']);
    expect(await metrics.metrics()).toContain('sip_registrar_bindings 1');

    const expired: string[] = [];
    nodeA.on('expired', (b) => expired.push(`A:${b.uri}`));
    nodeB.on('expired', (b) => expired.push(`B:${b.uri}`));
    await Promise.all([nodeA.sweepExpired(), nodeB.sweepExpired()]);
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatch(/:sip:a@192\.0\.2\.1$/);

    clock.advance(240_000);
    expect(await nodeB.contactsFor(aor)).toEqual([]);
    await nodeB.sweepExpired();
    expect(expired).toHaveLength(2);
    const text = await metrics.metrics();
    expect(text).toContain('sip_registrar_bindings 0');
    expect(text).toContain('sip_registrations_total{kind="new"} 2');
  });

  it('runs the sweeper on the injected clock', async () => {
    const clock = new ManualClock();
    const registrar = makeRegistrar({ clock });
    await registrar.register(req({ expiresHeader: 60 }));
    const lapsed = registrar.waitFor('expired', 5_000);
    registrar.startSweeper(30_000);
    // Each sweep re-arms its timer once its Redis round-trip is done; wait for that, then move time.
    const step = async () => {
      clock.advance(30_000);
      for (let i = 0; i < 200 && clock.pendingTimers === 0; i++) await new Promise((r) => setTimeout(r, 5));
    };
    for (let i = 0; i < 3; i++) await step();
    const [binding] = await lapsed;
    expect(binding.uri).toBe('sip:alice@192.0.2.10:5060');
    registrar.close();
    registrar.close();
    expect(clock.pendingTimers).toBeLessThanOrEqual(1);
  });

  it('lets Redis itself drop an AOR whose bindings all lapsed (real TTL)', async () => {
    const keyPrefix = `ttl${++prefixCounter}:`;
    const registrar = makeRegistrar({ clock: systemClock, keyPrefix, policy: { minExpires: 1 } });
    await registrar.register(req({ expiresHeader: 1 }));
    const key = `${keyPrefix}reg:b:${aor}`;
    const ttl = await redis.client.pTTL(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
    const deadline = Date.now() + 5_000;
    while ((await redis.client.exists(key)) === 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await redis.client.exists(key)).toBe(0);
    expect(await registrar.contactsFor(aor)).toEqual([]);
    const swept = await registrar.sweepExpired();
    expect(swept.map((b) => b.key)).toEqual(['uri:sip:alice@192.0.2.10:5060']);
  });
});
