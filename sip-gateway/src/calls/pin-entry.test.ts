import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/src/index.js';
import { PinEntry } from './pin-entry.js';

describe('PIN entry from the keypad', () => {
  it('collects digits until #, and tells the caller to stop the prompt at the first key', async () => {
    const clock = new ManualClock();
    let bargedIn = 0;
    const entry = new PinEntry(clock, { maxDigits: 20, digitTimeoutMs: 5000 }, () => bargedIn++);
    for (const k of ['1', '2', '3', '4', '#'] as const) entry.key(k);
    expect(await entry.result).toEqual({ kind: 'entered', pin: '1234' });
    expect(bargedIn).toBe(1);
  });

  it('* starts over; letters and keys after the end are ignored', async () => {
    const entry = new PinEntry(new ManualClock(), { maxDigits: 20, digitTimeoutMs: 5000 });
    for (const k of ['9', '9', '*', '5', 'A', '6', '#', '7'] as const) entry.key(k);
    expect(await entry.result).toEqual({ kind: 'entered', pin: '56' });
  });

  it('ends at maxDigits without #', async () => {
    const entry = new PinEntry(new ManualClock(), { maxDigits: 4, digitTimeoutMs: 5000 });
    for (const k of ['1', '2', '3', '4'] as const) entry.key(k);
    expect(await entry.result).toEqual({ kind: 'entered', pin: '1234' });
  });

  it('times out when no key comes within the digit timeout, counted from the end of the prompt and from each key', async () => {
    const clock = new ManualClock();
    const entry = new PinEntry(clock, { maxDigits: 20, digitTimeoutMs: 5000 });
    let settled = false;
    void entry.result.then(() => (settled = true));
    clock.advance(60_000); // the prompt is still playing: no timer yet
    await Promise.resolve();
    expect(settled).toBe(false);
    entry.armTimer();
    clock.advance(4000);
    entry.key('7');
    clock.advance(4000);
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1001);
    expect(await entry.result).toEqual({ kind: 'timeout', partial: '7' });
  });
});
