import { describe, expect, it } from 'vitest';
import { SpeakerHistory, selectLastN } from './last-n.js';

describe('selectLastN', () => {
  const cameras = ['a', 'b', 'c', 'd', 'e'];

  it('fills from the earliest joiners while nobody has spoken', () => {
    expect(selectLastN({ viewerId: 'z', cameraSenders: cameras, speakers: [], n: 3 })).toEqual(['a', 'b', 'c']);
  });

  it('puts recent speakers first, most recent first, then fills by join order', () => {
    expect(selectLastN({ viewerId: 'z', cameraSenders: cameras, speakers: ['e', 'c'], n: 3 })).toEqual(['e', 'c', 'a']);
  });

  it('never selects the viewer itself, and the slot goes to the next candidate', () => {
    expect(selectLastN({ viewerId: 'e', cameraSenders: cameras, speakers: ['e', 'd'], n: 2 })).toEqual(['d', 'a']);
  });

  it('skips speakers who send no camera video', () => {
    expect(selectLastN({ viewerId: 'z', cameraSenders: ['a', 'b'], speakers: ['phone', 'b'], n: 1 })).toEqual(['b']);
  });

  it('returns everyone when there are fewer senders than n, and nobody for n = 0', () => {
    expect(selectLastN({ viewerId: 'a', cameraSenders: ['a', 'b'], speakers: [], n: 9 })).toEqual(['b']);
    expect(selectLastN({ viewerId: 'z', cameraSenders: cameras, speakers: ['a'], n: 0 })).toEqual([]);
  });

  it('a speaker outside the set displaces the least recent one', () => {
    const before = selectLastN({ viewerId: 'z', cameraSenders: cameras, speakers: ['b', 'a'], n: 2 });
    const after = selectLastN({ viewerId: 'z', cameraSenders: cameras, speakers: ['d', 'b', 'a'], n: 2 });
    expect(before).toEqual(['b', 'a']);
    expect(after).toEqual(['d', 'b']);
  });
});

describe('SpeakerHistory', () => {
  it('moves the current speaker to the front and reports whether it changed', () => {
    const h = new SpeakerHistory();
    expect(h.touch('a')).toBe(true);
    expect(h.touch('b')).toBe(true);
    expect(h.touch('b')).toBe(false);
    expect(h.touch('a')).toBe(true);
    expect(h.mostRecentFirst).toEqual(['a', 'b']);
    h.remove('a');
    expect(h.mostRecentFirst).toEqual(['b']);
  });
});
