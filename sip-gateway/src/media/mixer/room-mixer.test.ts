import { describe, expect, it } from 'vitest';
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
  function threeParty(): Scenario {
    const sc = new Scenario();
    sc.source('A', 'PCMU', 'leg', 500, 8000);
    sc.source('B', 'G722', 'leg', 1300, 8000);
    sc.source('R', 'opus', 'room', 800, 8000);
    sc.mixer.addLeg('A', { codec: SPEC.PCMU, ownSourceId: 'A' });
    sc.mixer.addLeg('B', { codec: SPEC.G722, ownSourceId: 'B' });
    sc.mixer.addLeg('L-alaw', { codec: SPEC.PCMA });
    sc.mixer.addLeg('L-opus', { codec: SPEC.opus });
    return sc;
  }

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
    expect(a500 + a800).toBeLessThan(100);

    sc.mixer.setSourceMuted('R', false);
    const after = sc.run(20);
    expect(after.at(-1)!.mixed.sort()).toEqual(['B', 'R']);
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
