/**
 * The media worker's 20 ms clock runs only while something needs it: an idle gateway must not
 * wake 50 times a second. Watched from outside, through the engine's own tick counter.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createMediaEngine, type WorkerMediaEngine } from './engine.js';
import type { PromptPcmSource } from './prompts.js';
import { sleep } from './testing/caller-peer.js';

const prompts: PromptPcmSource = {
  get() {
    throw new Error('no prompts in this test');
  },
};
const registry = new Registry();
let engine: WorkerMediaEngine | undefined;

afterAll(async () => {
  await engine?.close();
});

/** Workers report their counters every second; the metric is the sum so far. */
async function ticks(): Promise<number> {
  const text = await registry.getSingleMetricAsString('gateway_mixer_ticks_total');
  return Number(/^gateway_mixer_ticks_total (\d+)/m.exec(text)?.[1] ?? 0);
}

async function settledTicks(): Promise<number> {
  // Two counter reports apart: the second must not have moved if the clock is stopped.
  await sleep(1200);
  return ticks();
}

describe('the media worker clock', () => {
  it('does not tick with no call, ticks while a call is open, and stops when it closes', async () => {
    engine = await createMediaEngine({ workers: 1, rtpMinPort: 0, rtpMaxPort: 0 }, { logger: pino({ level: 'silent' }), registry, prompts });
    const idle = await settledTicks();
    expect(await settledTicks()).toBe(idle);

    const call = await engine.openCall({ callId: `c-${randomBytes(4).toString('hex')}`, meetingId: 'm-clock' });
    const deadline = Date.now() + 10_000;
    while ((await ticks()) <= idle && Date.now() < deadline) await sleep(200);
    const running = await ticks();
    expect(running).toBeGreaterThan(idle);

    await call.close();
    const stopped = await settledTicks();
    expect(stopped).toBeGreaterThan(running - 1);
    expect(await settledTicks()).toBe(stopped);
  }, 30_000);
});
