import { describe, expect, it } from 'vitest';
import { Emitter } from './emitter.js';
import { ManualClock } from './clock.js';

describe('Emitter', () => {
  it('delivers typed events and keeps going when a listener throws', () => {
    const errors: string[] = [];
    const e = new Emitter<{ speaker: [id: string] }>((event) => errors.push(event));
    const seen: string[] = [];
    e.on('speaker', () => {
      throw new Error('boom');
    });
    e.on('speaker', (id) => seen.push(id));
    e.emit('speaker', 'p1');
    expect(seen).toEqual(['p1']);
    expect(errors).toEqual(['speaker']);
  });

  it('once() fires a single time and on() returns an unsubscribe', () => {
    const e = new Emitter<{ tick: [n: number] }>();
    const got: number[] = [];
    e.once('tick', (n) => got.push(n));
    const off = e.on('tick', (n) => got.push(n * 10));
    e.emit('tick', 1);
    off();
    e.emit('tick', 2);
    expect(got).toEqual([1, 10]);
  });
});

describe('ManualClock', () => {
  it('fires due timers in order, including timers set while firing', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b@20'), 20);
    clock.setTimeout(() => {
      fired.push('a@10');
      clock.setTimeout(() => fired.push('c@15'), 5);
    }, 10);
    const cancelled = clock.setTimeout(() => fired.push('never'), 12);
    cancelled.cancel();
    clock.advance(19);
    expect(fired).toEqual(['a@10', 'c@15']);
    expect(clock.now()).toBe(19);
    clock.advance(1);
    expect(fired).toEqual(['a@10', 'c@15', 'b@20']);
  });
});
