/** Starts a SipStack on loopback with small timers for integration tests. */
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Clock } from '../../../common/src/index.js';
import { SipStack, type SipStackOptions } from '../../src/sip/index.js';

export const fastTimers = { T1: 40, T2: 160, T4: 200, D: 300 };

export async function startStack(overrides: Partial<SipStackOptions> = {}, clock?: Clock): Promise<{ stack: SipStack; registry: Registry }> {
  const registry = new Registry();
  const stack = new SipStack(
    {
      transports: [{ protocol: 'udp', host: '127.0.0.1', port: 0 }, { protocol: 'tcp', host: '127.0.0.1', port: 0 }],
      hostedDomains: ['convene.test'],
      timers: fastTimers,
      limits: { ratePerSecond: 0 },
      ...overrides,
    },
    { logger: pino({ level: process.env.SIP_TEST_LOG ?? 'silent' }), registry, ...(clock ? { clock } : {}) },
  );
  await stack.start();
  return { stack, registry };
}

export function port(stack: SipStack, protocol: 'udp' | 'tcp' | 'tls', family: 4 | 6 = 4): number {
  const ep = stack.localEndpoint(protocol, family);
  if (!ep) throw new Error(`no ${protocol} transport`);
  return ep.port;
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  if (!m) return 0;
  return m.values
    .filter((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val))
    .reduce((s, v) => s + v.value, 0);
}

/** Polls `cond` every 20 ms for at most `ms` (bounded waiting for async network effects). */
export async function waitUntil(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}
