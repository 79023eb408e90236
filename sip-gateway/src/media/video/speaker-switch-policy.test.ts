import { describe, expect, it } from 'vitest';
import { SpeakerSwitchPolicy } from './speaker-switch-policy.js';

/** Feed periodic observations (every 300 ms, as an AudioLevelObserver would) of `speaker` over [from, to). */
function speak(policy: SpeakerSwitchPolicy, speaker: string | null, fromMs: number, toMs: number): Array<string | null> {
  const shown: Array<string | null> = [];
  for (let t = fromMs; t < toMs; t += 300) shown.push(policy.observeSpeaker(speaker, t));
  return shown;
}

function room(selfId = 'vtc', cameras = ['alice', 'bob', 'carol']): SpeakerSwitchPolicy {
  const p = new SpeakerSwitchPolicy({ selfId });
  for (const c of cameras) p.addCamera(c, 0);
  return p;
}

describe('SpeakerSwitchPolicy', () => {
  it('before anyone speaks, shows the first camera that is not the leg itself', () => {
    const p = new SpeakerSwitchPolicy({ selfId: 'vtc' });
    expect(p.decide(0)).toBeNull();
    expect(p.addCamera('vtc', 0)).toBeNull();
    expect(p.addCamera('alice', 0)).toBe('alice');
    expect(p.addCamera('bob', 0)).toBe('alice');
  });

  it('switches to a speaker after 1 s of continuous speech, not before', () => {
    const p = room();
    p.observeSpeaker('bob', 1000);
    expect(p.decide(1900)).toBe('alice');
    expect(p.decide(1999)).toBe('alice');
    expect(p.decide(2000)).toBe('bob');
  });

  it('a cough (300–600 ms) never switches, even repeated, as long as each burst is short', () => {
    const p = room();
    speak(p, 'bob', 0, 2000);
    for (let t = 2000; t < 12_000; t += 1000) {
      expect(speak(p, 'carol', t, t + 600)).not.toContain('carol');
      expect(speak(p, 'bob', t + 600, t + 1000)).toEqual(['bob', 'bob']);
    }
    expect(p.decide(12_000)).toBe('bob');
  });

  it('a change-only feed (dominantspeaker events) counts speech until the next event, evaluated on the tick', () => {
    const p = room();
    p.observeSpeaker('carol', 5000);
    for (let t = 5000; t < 5980; t += 20) expect(p.decide(t)).toBe('alice');
    expect(p.decide(6000)).toBe('carol');
    p.observeSpeaker(null, 7000); // silence keeps the last speaker
    expect(p.decide(20_000)).toBe('carol');
  });

  it('the leg never sees itself: its own speech keeps the previous speaker on screen', () => {
    const p = room('vtc', ['alice', 'bob', 'vtc']);
    speak(p, 'bob', 0, 1500);
    expect(p.shownId).toBe('bob');
    expect(speak(p, 'vtc', 1500, 6000).every((s) => s === 'bob')).toBe(true);
  });

  it('the leg speaking first, before anyone else: it still sees someone else', () => {
    const p = room('vtc', ['vtc', 'bob']);
    expect(speak(p, 'vtc', 0, 3000).every((s) => s === 'bob')).toBe(true);
  });

  it('a speaker without a camera keeps the current view', () => {
    const p = room();
    speak(p, 'carol', 0, 1500);
    expect(speak(p, 'phone-caller', 1500, 5000).every((s) => s === 'carol')).toBe(true);
  });

  it('when the shown camera goes away, falls back to the previous speaker with a camera, then to anyone', () => {
    const p = room();
    speak(p, 'bob', 0, 1500);
    speak(p, 'carol', 1500, 3000);
    expect(p.shownId).toBe('carol');
    expect(p.removeCamera('carol', 3000)).toBe('bob');
    expect(p.removeCamera('bob', 3100)).toBe('alice');
    expect(p.removeCamera('alice', 3200)).toBeNull();
    expect(p.addCamera('bob', 3300)).toBe('bob');
  });

  it('a speaker who turns their camera on after qualifying is shown from then on', () => {
    const p = room('vtc', ['alice']);
    speak(p, 'dave', 0, 1500);
    expect(p.shownId).toBe('alice');
    expect(p.addCamera('dave', 1600)).toBe('dave');
  });

  it('the hysteresis is configurable', () => {
    const p = new SpeakerSwitchPolicy({ selfId: 'vtc', minSpeechMs: 2500 });
    p.addCamera('alice', 0);
    p.addCamera('bob', 0);
    p.observeSpeaker('bob', 0);
    expect(p.decide(2400)).toBe('alice');
    expect(p.decide(2500)).toBe('bob');
  });
});
