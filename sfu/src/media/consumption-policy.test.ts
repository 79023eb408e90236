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

describe('selectConsumable for RTP legs (SIP, phone, interop)', () => {
  const room: PolicyProducer[] = [
    ...producers,
    { id: 'c-cam', participantId: 'c', kind: 'video', source: 'camera' },
    { id: 'sip-mic', participantId: 'sip', kind: 'audio', source: 'mic' },
    { id: 'sip-cam', participantId: 'sip', kind: 'video', source: 'camera' },
    { id: 'mix-sip', participantId: 'tap', kind: 'audio', source: 'mic', mixFor: 'sip' },
    { id: 'mix-phone', participantId: 'tap', kind: 'audio', source: 'mic', mixFor: 'phone' },
  ];

  it('video leg: its own mix (no individual audio), one switched camera (the first of last-N), the presentation', () => {
    expect(ids(selectConsumable({ id: 'sip', mode: 'video', leg: 'rtp' }, room, new Set(['c', 'b', 'a'])))).toEqual(['b-screen', 'c-cam', 'mix-sip']);
    // The best-ranked sender without a camera is skipped, and the viewer never gets its own camera back.
    expect(ids(selectConsumable({ id: 'sip', mode: 'video', leg: 'rtp' }, room, new Set(['sip', 'v', 'a', 'c'])))).toEqual(['a-cam', 'b-screen', 'mix-sip']);
    // Nobody else sends a camera: no video, only the presentation.
    expect(ids(selectConsumable({ id: 'sip', mode: 'video', leg: 'rtp' }, room, new Set()))).toEqual(['b-screen', 'mix-sip']);
  });

  it('audio-only leg (a phone): its own mix and nothing else', () => {
    expect(ids(selectConsumable({ id: 'phone', mode: 'audio-only', leg: 'rtp' }, room, new Set(['a', 'b'])))).toEqual(['mix-phone']);
  });

  it('audio+presentation leg: its mix and the presentation, no camera', () => {
    expect(ids(selectConsumable({ id: 'sip', mode: 'audio+presentation', leg: 'rtp' }, room, new Set(['a'])))).toEqual(['b-screen', 'mix-sip']);
  });

  it('browsers hear an RTP leg directly but never any mix', () => {
    expect(ids(selectConsumable({ id: 'v', mode: 'audio-only' }, room, new Set()))).toEqual(['a-mic', 'b-screen-audio', 'sip-mic']);
    expect(ids(selectConsumable({ id: 'v', mode: 'video', leg: 'webrtc' }, room, new Set(['sip'])))).toEqual(['a-mic', 'b-screen', 'b-screen-audio', 'sip-mic', 'sip-cam']);
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
