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

/**
 * The tick count once it has stopped moving for several counter reports (bounded). A running clock
 * adds ≈ 50 ticks to every report, so it never settles and this throws: no wall-clock threshold,
 * only "did it move", robust to reports arriving late on a busy machine.
 */
async function settledTicks(): Promise<number> {
  const deadline = Date.now() + 20_000;
  let value = await ticks();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(250);
    const now = await ticks();
    if (now !== value) {
      value = now;
      since = Date.now();
    } else if (Date.now() - since >= 3_000) return value;
  }
  throw new Error(`the tick count kept moving for 20 s (now ${value}): the clock is running`);
}

describe('the media worker clock', () => {
  it('does not tick with no call, ticks while a call is open, and stops when it closes', async () => {
    engine = await createMediaEngine({ workers: 1, rtpMinPort: 0, rtpMaxPort: 0 }, { logger: pino({ level: 'silent' }), registry, prompts });
    const idle = await settledTicks();
    expect(idle).toBe(0); // no call has been opened: the clock never started

    const call = await engine.openCall({ callId: `c-${randomBytes(4).toString('hex')}`, meetingId: 'm-clock' });
    const deadline = Date.now() + 10_000;
    while ((await ticks()) <= idle && Date.now() < deadline) await sleep(200);
    const running = await ticks();
    expect(running).toBeGreaterThan(idle);

    await call.close();
    expect(await settledTicks()).toBeGreaterThanOrEqual(running);
  }, 60_000);
});
