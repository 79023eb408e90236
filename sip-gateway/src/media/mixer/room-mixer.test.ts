import { describe, expect, it } from 'vitest';
import { encodeAlaw } from '../codecs/index.js';
import { RoomMixer } from './index.js';
import { LegDecoder, TonePacketizer, concat, toneAmplitude } from './testing/audio.js';
import type { AudioCodecName, AudioCodecSpec, MixFrame } from './types.js';

const SPEC: Record<AudioCodecName, AudioCodecSpec> = {
  PCMU: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 },
  PCMA: { name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 },
  G722: { name: 'G722', payloadType: 9, clockRate: 8000, channels: 1 },
  opus: { name: 'opus', payloadType: 111, clockRate: 48000, channels: 2 },
};

interface Sender {
  id: string;
  tone: TonePacketizer;
  seq: number;
  ts: number;
  /** Set false to stop sending (silence, hold). */
  sending: boolean;
}

/** A room with senders that each send one packet per tick, arriving on time; collects every MixFrame. */
class Scenario {
  readonly mixer: RoomMixer;
  readonly senders = new Map<string, Sender>();
  readonly frames: MixFrame[] = [];
  now = 1000;

  constructor(opts: ConstructorParameters<typeof RoomMixer>[0] = {}) {
    this.mixer = new RoomMixer(opts);
  }

  source(id: string, codec: AudioCodecName, origin: 'room' | 'leg', freq: number, amplitude: number, seq = 1000, ts = 50_000): Sender {
    this.mixer.addSource(id, { codec, origin });
    const s: Sender = { id, tone: new TonePacketizer(codec, freq, amplitude), seq, ts, sending: true };
    this.senders.set(id, s);
    return s;
  }

  /** Advance `ticks` × 20 ms: every sending source's packet arrives, then the mixer ticks. */
  run(ticks: number): MixFrame[] {
    const out: MixFrame[] = [];
    for (let t = 0; t < ticks; t++) {
      for (const s of this.senders.values()) {
        if (!s.sending) continue;
        this.mixer.pushPacket(s.id, s.seq, s.ts, s.tone.next(), this.now);
        s.seq = (s.seq + 1) & 0xffff;
        s.ts = (s.ts + s.tone.tsPerPacket) >>> 0;
      }
      const frame = this.mixer.mixOnce(this.now);
      out.push(frame);
      this.frames.push(frame);
      this.now += 20;
    }
    return out;
  }
}

/** Decode a leg's frames (in order, statefully) to one PCM signal. */
function legAudio(frames: MixFrame[], legId: string, codec: AudioCodecName): { pcm: Int16Array; rate: number } {
  const dec = new LegDecoder(codec);
  const pcm = concat(frames.map((f) => dec.decode(f.legs.find((l) => l.legId === legId)!.payload)));
  return { pcm, rate: dec.rate };
}

function feedAudio(frames: MixFrame[], sourceId: string): Int16Array {
  const dec = new LegDecoder('opus');
  return concat(frames.flatMap((f) => f.roomFeeds.filter((r) => r.sourceId === sourceId).map((r) => dec.decode(r.payload))));
}

/** Amplitudes of the given tones in the last part of `pcm` (skipping codec/resampler start-up). */
function tones(audio: { pcm: Int16Array; rate: number }, freqs: number[]): number[] {
  const tail = audio.pcm.subarray(Math.floor(audio.pcm.length / 2));
  return freqs.map((f) => toneAmplitude(tail, audio.rate, f));
}

describe('RoomMixer: mix-minus across codecs', () => {
  function threeParty(opts: ConstructorParameters<typeof RoomMixer>[0] = {}): Scenario {
    const sc = new Scenario(opts);
    sc.source('A', 'PCMU', 'leg', 500, 8000);
    sc.source('B', 'G722', 'leg', 1300, 8000);
    sc.source('R', 'opus', 'room', 800, 8000);
    sc.mixer.addLeg('A', { codec: SPEC.PCMU, ownSourceId: 'A' });
    sc.mixer.addLeg('B', { codec: SPEC.G722, ownSourceId: 'B' });
    sc.mixer.addLeg('L-alaw', { codec: SPEC.PCMA });
    sc.mixer.addLeg('L-opus', { codec: SPEC.opus });
    return sc;
  }

  it('with reuseFrames gives byte-identical output every tick (one frame object, rewritten)', () => {
    const fresh = threeParty();
    const reused = threeParty({ reuseFrames: true });
    for (const sc of [fresh, reused]) {
      sc.mixer.addLeg('L-ulaw', { codec: SPEC.PCMU }); // shares the µ-law payload while A's own is mixed
      sc.mixer.addLeg('L-g722', { codec: SPEC.G722 });
    }
    let previous: MixFrame | null = null;
    for (let t = 0; t < 80; t++) {
      const [a] = fresh.run(1);
      const [b] = reused.run(1);
      if (previous) expect(b).toBe(previous);
      previous = b!;
      expect(b!.mixed).toEqual(a!.mixed);
      expect(b!.legs.map((l) => [l.legId, l.samples, [...l.payload]])).toEqual(a!.legs.map((l) => [l.legId, l.samples, [...l.payload]]));
      expect(b!.roomFeeds.map((r) => [r.sourceId, r.audioLevel, r.voiceActivity, [...r.payload]])).toEqual(
        a!.roomFeeds.map((r) => [r.sourceId, r.audioLevel, r.voiceActivity, [...r.payload]]),
      );
    }
    expect(previous!.legs).toHaveLength(6);
    expect(previous!.roomFeeds.map((r) => r.sourceId).sort()).toEqual(['A', 'B']);
  });

  it('gives every leg the others and not itself, in its own codec and rate', () => {
    const sc = threeParty();
    const frames = sc.run(50);
    expect(frames.at(-1)!.mixed.sort()).toEqual(['A', 'B', 'R']);

    const [a500, a1300, a800] = tones(legAudio(frames, 'A', 'PCMU'), [500, 1300, 800]);
    expect(a1300).toBeGreaterThan(3000);
    expect(a800).toBeGreaterThan(3000);
    expect(a500).toBeLessThan(100);

    const [b500, b1300, b800] = tones(legAudio(frames, 'B', 'G722'), [500, 1300, 800]);
    expect(b500).toBeGreaterThan(3000);
    expect(b800).toBeGreaterThan(3000);
    expect(b1300).toBeLessThan(100);

    // Listen-only legs hear everyone, at their codec's rate.
    for (const [leg, codec] of [['L-alaw', 'PCMA'], ['L-opus', 'opus']] as const) {
      const amps = tones(legAudio(frames, leg, codec), [500, 1300, 800]);
      for (const amp of amps) expect(amp).toBeGreaterThan(3000);
    }
    const last = frames.at(-1)!;
    expect(last.legs.find((l) => l.legId === 'A')!.payload.length).toBe(160);
    expect(last.legs.find((l) => l.legId === 'B')!.payload.length).toBe(160);
    expect(last.legs.find((l) => l.legId === 'L-alaw')!.payload.length).toBe(160);
    expect(last.legs.map((l) => l.samples)).toEqual([160, 160, 160, 960]);
  });

  it("sends each SIP leg's own voice to the room as Opus with its RFC 6464 level", () => {
    const sc = threeParty();
    const frames = sc.run(50);
    // Only the legs' sources feed the room; the room source does not come back.
    expect(frames.at(-1)!.roomFeeds.map((f) => f.sourceId).sort()).toEqual(['A', 'B']);
    const a = feedAudio(frames, 'A');
    const [f500, f1300, f800] = tones({ pcm: a, rate: 16000 }, [500, 1300, 800]);
    expect(f500).toBeGreaterThan(5000);
    expect(f1300).toBeLessThan(200);
    expect(f800).toBeLessThan(200);
    const feed = frames.at(-1)!.roomFeeds.find((f) => f.sourceId === 'A')!;
    // A sine of amplitude 8000 is −15.3 dBov RMS.
    expect(feed.audioLevel).toBeGreaterThanOrEqual(14);
    expect(feed.audioLevel).toBeLessThanOrEqual(17);
    expect(feed.voiceActivity).toBe(true);
  });

  it('keeps muted sources out of every mix and every room feed', () => {
    const sc = threeParty();
    sc.run(20);
    sc.mixer.setSourceMuted('R', true);
    sc.mixer.setSourceMuted('A', true);
    const frames = sc.run(40);
    expect(frames.at(-1)!.mixed).toEqual(['B']);
    expect(frames.every((f) => f.roomFeeds.every((r) => r.sourceId !== 'A'))).toBe(true);
    const [l500, l1300, l800] = tones(legAudio(frames, 'L-alaw', 'PCMA'), [500, 1300, 800]);
    expect(l1300).toBeGreaterThan(3000);
    expect(l500).toBeLessThan(100);
    expect(l800).toBeLessThan(100);
    // A hears B only (it is muted, so it is not in the mix and gets the shared mix).
    const [a500, a1300, a800] = tones(legAudio(frames, 'A', 'PCMU'), [500, 1300, 800]);
    expect(a1300).toBeGreaterThan(3000);
    expect(a500! + a800!).toBeLessThan(100);

    sc.mixer.setSourceMuted('R', false);
    const after = sc.run(20);
    expect(after.at(-1)!.mixed.sort()).toEqual(['B', 'R']);
  });

  it("sends a caller's room feed only now and then while it is silent (like Opus DTX), and every tick again when it talks", () => {
    const sc = new Scenario();
    const a = sc.source('A', 'PCMU', 'leg', 500, 8000);
    sc.mixer.addLeg('A', { codec: { name: 'PCMU', payloadType: 0, clockRate: 8000, channels: 1 }, ownSourceId: 'A' });
    sc.run(20);
    expect(sc.run(10).every((f) => f.roomFeeds.length === 1)).toBe(true);
    a.tone.amplitude = 0; // digital silence: the caller stopped talking
    sc.run(20); // the voice hangover runs out
    const silent = sc.run(60);
    const sent = silent.filter((f) => f.roomFeeds.length === 1).length;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(sent).toBeLessThanOrEqual(4);
    expect(silent.flatMap((f) => f.roomFeeds).every((r) => !r.voiceActivity && r.audioLevel === 127 && r.payload.length === 1)).toBe(true);
    a.tone.amplitude = 8000;
    const talking = sc.run(20);
    // Once the jitter buffer plays the new audio out (≤ 120 ms), every tick carries a feed again.
    expect(talking.slice(8).every((f) => f.roomFeeds.length === 1 && f.roomFeeds[0]!.voiceActivity)).toBe(true);
  });

  it('sends the room every tick only the loudest callers (roomFeedSpeakers), the rest now and then', () => {
    const sc = new Scenario({ roomFeedSpeakers: 3 });
    // Six callers talking at once, from loud (L0) to quiet (L5).
    for (let i = 0; i < 6; i++) sc.source(`L${i}`, 'PCMU', 'leg', 400 + 100 * i, 12_000 - 1800 * i);
    sc.run(30);
    const frames = sc.run(60);
    const sentBy = (id: string) => frames.filter((f) => f.roomFeeds.some((r) => r.sourceId === id)).length;
    for (const id of ['L0', 'L1', 'L2']) expect(sentBy(id), id).toBe(60);
    for (const id of ['L3', 'L4', 'L5']) expect(sentBy(id), id).toBeLessThanOrEqual(4);
    // A quiet caller who gets loud is heard every tick again.
    sc.senders.get('L5')!.tone.amplitude = 20_000;
    const louder = sc.run(40);
    expect(louder.slice(-10).every((f) => f.roomFeeds.some((r) => r.sourceId === 'L5'))).toBe(true);
  });

  it("by default the room hears the callers the phones hear (maxSpeakers); the others' keep-alive feeds carry their level, not their voice", () => {
    const sc = new Scenario();
    for (let i = 0; i < 6; i++) sc.source(`L${i}`, 'PCMU', 'leg', 400 + 100 * i, 12_000 - 1800 * i);
    sc.run(30);
    const frames = sc.run(60);
    const sentBy = (id: string) => frames.filter((f) => f.roomFeeds.some((r) => r.sourceId === id)).length;
    for (const id of ['L0', 'L1', 'L2', 'L3']) expect(sentBy(id), id).toBe(60);
    expect(frames.at(-1)!.mixed.sort()).toEqual(['L0', 'L1', 'L2', 'L3']);
    // L5 talks (a 900 Hz tone at −24 dBov) but is not among the loudest: the SFU still learns its level
    // and voice activity now and then, while a browser decoding the feed hears nothing of it.
    const keepAlive = frames.flatMap((f) => f.roomFeeds.filter((r) => r.sourceId === 'L5'));
    expect(keepAlive.length).toBeGreaterThanOrEqual(2);
    expect(keepAlive.length).toBeLessThanOrEqual(4);
    for (const r of keepAlive) {
      // An Opus DTX frame (the TOC byte alone): the SFU does not forward it to browsers.
      expect(r.payload.length).toBe(1);
      expect(r.voiceActivity).toBe(true);
      expect(r.audioLevel).toBeGreaterThan(18);
      expect(r.audioLevel).toBeLessThan(30);
    }
    const heard = feedAudio(frames, 'L5');
    expect(toneAmplitude(heard, 16000, 900)).toBeLessThan(50);
    expect(toneAmplitude(feedAudio(frames, 'L0'), 16000, 400)).toBeGreaterThan(3000);
  });

  it('sends silence frames to every leg when nobody speaks', () => {
    const sc = threeParty();
    for (const s of sc.senders.values()) s.sending = false;
    const frames = sc.run(5);
    for (const f of frames) {
      expect(f.mixed).toEqual([]);
      expect(f.roomFeeds).toEqual([]);
      expect(f.legs).toHaveLength(4);
      expect([...f.legs.find((l) => l.legId === 'A')!.payload].every((b) => b === 0xff)).toBe(true); // µ-law zero
      expect([...f.legs.find((l) => l.legId === 'L-alaw')!.payload].every((b) => b === 0xd5)).toBe(true); // A-law zero
    }
  });
});

describe('RoomMixer: loudest speakers', () => {
  it('mixes the loudest K and keeps the quiet ones out', () => {
    const sc = new Scenario({ maxSpeakers: 2 });
    sc.source('loud1', 'PCMU', 'leg', 400, 9000);
    sc.source('quiet1', 'PCMU', 'leg', 700, 300);
    sc.source('loud2', 'opus', 'room', 1000, 9000);
    sc.source('quiet2', 'G722', 'leg', 1500, 300);
    sc.mixer.addLeg('listener', { codec: SPEC.PCMU });
    const frames = sc.run(50);
    expect(frames.at(-1)!.mixed.sort()).toEqual(['loud1', 'loud2']);
    const [a400, a700, a1000, a1500] = tones(legAudio(frames, 'listener', 'PCMU'), [400, 700, 1000, 1500]);
    expect(a400).toBeGreaterThan(5000);
    expect(a1000).toBeGreaterThan(5000);
    expect(a700).toBeLessThan(30);
    expect(a1500).toBeLessThan(30);
  });

  it('does not let a one-frame click displace a speaker, but lets a new talker in', () => {
    const sc = new Scenario({ maxSpeakers: 2 });
    sc.source('s1', 'PCMU', 'leg', 400, 6000);
    sc.source('s2', 'PCMU', 'leg', 600, 6000);
    const other = sc.source('s3', 'PCMU', 'leg', 900, 200);
    sc.mixer.addLeg('listener', { codec: SPEC.PCMU });
    sc.run(30);
    // One frame at full scale from the quiet source.
    other.tone.amplitude = 30000;
    const click = sc.run(1);
    other.tone.amplitude = 200;
    const after = sc.run(10);
    for (const f of [...click, ...after]) expect(f.mixed.sort()).toEqual(['s1', 's2']);
    // A sustained talker does get in (displacing one of the others) within a few ticks.
    other.tone.amplitude = 20000;
    const talk = sc.run(10);
    expect(talk.at(-1)!.mixed).toContain('s3');
    expect(talk.at(-1)!.mixed[0]).toBe('s3');
  });
});

describe('RoomMixer: big rooms', () => {
  function bigRoom() {
    const sc = new Scenario();
    // 16 browsers (above the decode-everyone limit of 8): one talker, the others silent.
    for (let i = 0; i < 16; i++) sc.source(`b${i}`, 'opus', 'room', 300 + 100 * i, i === 11 ? 9000 : 0);
    sc.mixer.addLeg('phone', { codec: SPEC.PCMU });
    return sc;
  }

  it('decodes only the browsers that can matter, and still finds the one talking', () => {
    const sc = bigRoom();
    const frames = sc.run(30);
    expect(frames.at(-1)!.mixed).toEqual(['b11']);
    // Mixed + largest packets + the rotation: well under all 16.
    expect(sc.mixer.decodedRoomSources).toBeLessThanOrEqual(1 + 4 + 2);
    const [talker] = tones(legAudio(frames, 'phone', 'PCMU'), [1400]);
    expect(talker).toBeGreaterThan(5000);
  });

  it('finds a talker that starts later among silent browsers', () => {
    const sc = bigRoom();
    sc.senders.get('b11')!.tone.amplitude = 0;
    sc.run(30);
    expect(sc.frames.at(-1)!.mixed).toEqual([]);
    sc.senders.get('b3')!.tone.amplitude = 9000;
    // Packet sizes grow at once; the rotation alone would find it within 8 ticks.
    const frames = sc.run(12);
    expect(frames.at(-1)!.mixed).toEqual(['b3']);
  });
});

describe('RoomMixer: network input', () => {
  /** One source of `codec` and a listen-only PCMU leg; per tick, the 1 kHz amplitude the leg hears. */
  function lossScenario(codec: AudioCodecName, dropSeqs: number[], delaySeqs: Map<number, number> = new Map()) {
    const mixer = new RoomMixer();
    mixer.addSource('S', { codec, origin: codec === 'opus' ? 'room' : 'leg' });
    mixer.addLeg('L', { codec: SPEC.PCMU });
    const tone = new TonePacketizer(codec, 1000, 10000);
    const pending: { seq: number; ts: number; payload: Uint8Array; at: number }[] = [];
    const dec = new LegDecoder('PCMU');
    const amps: number[] = [];
    const mixed: boolean[] = [];
    for (let t = 0; t < 60; t++) {
      const now = 1000 + 20 * t;
      if (t < 40) {
        const seq = t;
        const payload = tone.next();
        if (!dropSeqs.includes(seq)) pending.push({ seq, ts: seq * tone.tsPerPacket, payload, at: now + (delaySeqs.get(seq) ?? 0) });
      }
      for (const p of pending.filter((x) => x.at <= now)) mixer.pushPacket('S', p.seq, p.ts, p.payload, p.at);
      pending.splice(0, pending.length, ...pending.filter((x) => x.at > now));
      const f = mixer.mixOnce(now);
      amps.push(toneAmplitude(dec.decode(f.legs[0]!.payload), 8000, 1000));
      mixed.push(f.mixed.includes('S'));
    }
    return { amps, mixed, stats: mixer.jitterStats('S')! };
  }

  for (const codec of ['PCMU', 'G722', 'opus'] as const) {
    it(`conceals a lost ${codec} packet (no hole in the audio) and counts it`, () => {
      const { amps, stats } = lossScenario(codec, [20]);
      expect(stats).toMatchObject({ lost: 1, late: 0 });
      // Packet 20 plays at tick 22 (40 ms buffer); every tick from the start of the tone to the end is audible.
      // (Concealment fades, so the concealed tick is quieter, but far from silent.)
      for (let t = 6; t < 40; t++) expect(amps[t], `tick ${t}`).toBeGreaterThan(1000);
    });
  }

  it('plays 30 ms packets (a phone with ptime 30) on 20 ms ticks without gaps', () => {
    const mixer = new RoomMixer();
    mixer.addSource('S', { codec: 'PCMA', origin: 'leg' });
    mixer.addLeg('L', { codec: SPEC.PCMU });
    const pcm = new Int16Array(8000 * 2);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(10000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
    const alaw = new Uint8Array(pcm.length);
    encodeAlaw(pcm, alaw);
    const dec = new LegDecoder('PCMU');
    const heard: Int16Array[] = [];
    let seq = 0;
    for (let t = 0; t < 80; t++) {
      const now = 1000 + 20 * t;
      // A 30 ms packet is sent every 30 ms; each arrives at the tick after it was sent.
      while (1000 + 30 * seq <= now && 240 * (seq + 1) <= alaw.length) {
        mixer.pushPacket('S', seq, 240 * seq, alaw.subarray(240 * seq, 240 * (seq + 1)), now);
        seq++;
      }
      heard.push(dec.decode(mixer.mixOnce(now).legs[0]!.payload));
    }
    expect(mixer.jitterStats('S')).toMatchObject({ lost: 0, late: 0 });
    // Once started, every tick carries the tone at full level: no concealment anywhere.
    for (let t = 8; t < 75; t++) expect(toneAmplitude(heard[t]!, 8000, 1000), `tick ${t}`).toBeGreaterThan(8000);
  });

  it('drops a packet that comes after its play-out time and counts it late', () => {
    const { amps, stats } = lossScenario('PCMU', [], new Map([[20, 300]]));
    expect(stats).toMatchObject({ lost: 0, late: 1 });
    for (let t = 6; t < 40; t++) expect(amps[t], `tick ${t}`).toBeGreaterThan(2000);
  });

  it('stops concealing a source that went quiet (DTX, hold) within 100 ms', () => {
    const { amps, mixed } = lossScenario('PCMU', []);
    // The last packet (39) plays at tick 41; a few concealed, fading frames follow, then nothing.
    expect(mixed.slice(10, 42).every(Boolean)).toBe(true);
    expect(mixed.slice(48)).toEqual(Array(12).fill(false));
    expect(amps.slice(48).every((a) => a < 1)).toBe(true);
  });

  it('drops malformed input without throwing or disturbing the stream', () => {
    const mixer = new RoomMixer();
    mixer.addSource('S', { codec: 'opus', origin: 'room' });
    mixer.addSource('G', { codec: 'PCMU', origin: 'leg' });
    mixer.addLeg('L', { codec: SPEC.G722 });
    const tone = new TonePacketizer('opus', 1000, 10000);
    const dec = new LegDecoder('G722');
    const heard: Int16Array[] = [];
    for (let t = 0; t < 50; t++) {
      const now = 1000 + 20 * t;
      mixer.pushPacket('S', t, t * 960, tone.next(), now);
      // Garbage beside it: corrupt Opus, bad header fields, empty and huge payloads, unknown source.
      mixer.pushPacket('S', 30_000 + t, t * 7, new Uint8Array([0xff, 0xff, 0xff, t]), now);
      mixer.pushPacket('S', -1, 0, new Uint8Array(10), now);
      mixer.pushPacket('S', 70_000, 0, new Uint8Array(10), now);
      mixer.pushPacket('S', t, 2 ** 33, new Uint8Array(10), now);
      mixer.pushPacket('S', t, 0, new Uint8Array(0), now);
      mixer.pushPacket('S', t, 0, new Uint8Array(5000), now);
      mixer.pushPacket('S', t, 0, new Uint8Array(10), Number.NaN);
      mixer.pushPacket('nobody', t, 0, new Uint8Array(10), now);
      mixer.pushPacket('G', t, t * 160, new Uint8Array(0), now);
      heard.push(dec.decode(mixer.mixOnce(now).legs[0]!.payload));
    }
    const [a1000] = tones({ pcm: concat(heard), rate: 16000 }, [1000]);
    expect(a1000).toBeGreaterThan(7000);
    expect(mixer.droppedPackets).toBeGreaterThanOrEqual(50 * 8);
  });

  it('survives the source being removed and re-added, and legs coming and going', () => {
    const sc = new Scenario();
    sc.source('A', 'PCMU', 'leg', 500, 8000);
    sc.mixer.addLeg('A', { codec: SPEC.PCMU, ownSourceId: 'A' });
    sc.mixer.addLeg('X', { codec: SPEC.PCMA });
    sc.run(10);
    sc.mixer.removeSource('A');
    sc.senders.delete('A');
    const gone = sc.run(3);
    expect(gone.at(-1)!.mixed).toEqual([]);
    expect(gone.at(-1)!.legs.map((l) => l.legId)).toEqual(['A', 'X']);
    sc.mixer.removeLeg('X');
    expect(sc.run(1)[0]!.legs.map((l) => l.legId)).toEqual(['A']);
    sc.source('A', 'PCMU', 'leg', 500, 8000, 7, 1234);
    expect(sc.run(6).at(-1)!.roomFeeds.map((f) => f.sourceId)).toEqual(['A']);
    sc.mixer.close();
    expect(sc.mixer.mixOnce(sc.now)).toEqual({ legs: [], roomFeeds: [], mixed: [] });
  });
});
