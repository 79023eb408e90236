import { describe, expect, it } from 'vitest';
import { mayProduce, selectConsumable, type PolicyProducer } from './consumption-policy.js';

const producers: PolicyProducer[] = [
  { id: 'a-mic', participantId: 'a', kind: 'audio', source: 'mic' },
  { id: 'a-cam', participantId: 'a', kind: 'video', source: 'camera' },
  { id: 'b-cam', participantId: 'b', kind: 'video', source: 'camera' },
  { id: 'b-screen', participantId: 'b', kind: 'video', source: 'screen' },
  { id: 'b-screen-audio', participantId: 'b', kind: 'audio', source: 'screen-audio' },
  { id: 'v-mic', participantId: 'v', kind: 'audio', source: 'mic' },
];
const ids = (ps: PolicyProducer[]) => ps.map((p) => p.id);

describe('selectConsumable', () => {
  it('video: all audio, the presentation, and cameras only from the last-N set; never its own', () => {
    expect(ids(selectConsumable({ id: 'v', mode: 'video' }, producers, new Set(['b'])))).toEqual(['a-mic', 'b-cam', 'b-screen', 'b-screen-audio']);
  });

  it('audio-only: audio and nothing else', () => {
    expect(ids(selectConsumable({ id: 'v', mode: 'audio-only' }, producers, new Set(['a', 'b'])))).toEqual(['a-mic', 'b-screen-audio']);
  });

  it('audio+presentation: audio plus screen video, no cameras even if listed in last-N', () => {
    expect(ids(selectConsumable({ id: 'v', mode: 'audio+presentation' }, producers, new Set(['a', 'b'])))).toEqual([
      'a-mic',
      'b-screen',
      'b-screen-audio',
    ]);
  });
});

describe('mayProduce', () => {
  it('limits what each mode may send', () => {
    expect(mayProduce('video', 'camera')).toBe(true);
    expect(mayProduce('audio-only', 'mic')).toBe(true);
    expect(mayProduce('audio-only', 'camera')).toBe(false);
    expect(mayProduce('audio-only', 'screen')).toBe(false);
    expect(mayProduce('audio+presentation', 'screen')).toBe(true);
    expect(mayProduce('audio+presentation', 'camera')).toBe(false);
  });
});
