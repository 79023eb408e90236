import { describe, expect, it } from 'vitest';
import { JitterBuffer } from './jitter-buffer.js';

interface Pkt {
  seq: number;
  ts: number;
  arrival: number;
}

/** 20 ms packets at an 8 kHz clock: seq from `seq0`, ts from `ts0`, arriving on time from t = 1000 ms. */
function stream(count: number, seq0 = 100, ts0 = 8000): Pkt[] {
  return Array.from({ length: count }, (_, k) => ({ seq: (seq0 + k) & 0xffff, ts: (ts0 + 160 * k) >>> 0, arrival: 1000 + 20 * k }));
}

/**
 * Drives a buffer like the mixer does: ticks every 20 ms from t = 1000; before each tick the packets
 * that have arrived are pushed (in arrival order); then one frame is taken, or concealed.
 * Returns what each tick played (the packet's seq, 'c' for concealed, '-' before start).
 */
function drive(jb: JitterBuffer, packets: Pkt[], ticks: number): (number | 'c' | '-')[] {
  const queue = [...packets].sort((a, b) => a.arrival - b.arrival);
  const played: (number | 'c' | '-')[] = [];
  let q = 0;
  for (let t = 0; t < ticks; t++) {
    const now = 1000 + 20 * t;
    while (q < queue.length && queue[q]!.arrival <= now) {
      const p = queue[q++]!;
      jb.push(p.seq, p.ts, new Uint8Array([p.seq & 0xff]), p.arrival);
    }
    const p = jb.take(now, 0);
    if (p) {
      jb.played(p, 160);
      played.push(p.seq);
    } else if (jb.playing) {
      jb.concealed(160);
      played.push('c');
    } else played.push('-');
  }
  return played;
}

const OPTS = { clockRate: 8000, minDelayMs: 40, maxDelayMs: 120 };

describe('JitterBuffer', () => {
  it('plays an on-time stream in order after the minimum delay, with nothing late or lost', () => {
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, stream(20), 22);
    expect(played.slice(0, 2)).toEqual(['-', '-']);
    expect(played.slice(2, 22)).toEqual(Array.from({ length: 20 }, (_, k) => 100 + k));
    expect([jb.late, jb.lost, jb.targetDelayMs]).toEqual([0, 0, 40]);
  });

  it('puts reordered packets back in order', () => {
    const packets = stream(20);
    packets[5]!.arrival += 25; // 5 now arrives after 6
    packets[6]!.arrival += 5;
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, packets, 23).filter((p) => typeof p === 'number');
    expect(played).toEqual(Array.from({ length: 20 }, (_, k) => 100 + k));
    expect([jb.late, jb.lost]).toEqual([0, 0]);
  });

  it('conceals a lost packet and counts it once it is sure', () => {
    const packets = stream(20).filter((p) => p.seq !== 110);
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, packets, 22);
    expect(played.slice(2, 22)).toEqual([...Array.from({ length: 10 }, (_, k) => 100 + k), 'c', ...Array.from({ length: 9 }, (_, k) => 111 + k)]);
    expect([jb.late, jb.lost]).toEqual([1 - 1, 1]);
  });

  it('drops a packet that arrives after its play-out time as late (not lost)', () => {
    const packets = stream(20);
    packets[10]!.arrival += 200;
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, packets, 22);
    expect(played[12]).toBe('c');
    expect(played.filter((p) => p === 110)).toEqual([]);
    expect(jb.late).toBe(1);
    expect(jb.lost).toBe(0);
  });

  it('ignores duplicates', () => {
    const packets = stream(20);
    const dups = [...packets, { ...packets[3]! }, { ...packets[8]!, arrival: packets[8]!.arrival + 30 }];
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, dups, 22).filter((p) => typeof p === 'number');
    expect(played).toEqual(Array.from({ length: 20 }, (_, k) => 100 + k));
    expect([jb.late, jb.lost]).toEqual([0, 0]);
  });

  it('follows the sequence number and timestamp across their wrap', () => {
    const packets = stream(30, 65_520, 0xffffffff - 160 * 15 + 1);
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, packets, 32).filter((p) => typeof p === 'number');
    expect(played).toEqual(Array.from({ length: 30 }, (_, k) => (65_520 + k) & 0xffff));
    expect([jb.late, jb.lost, jb.resets]).toEqual([0, 0, 0]);
  });

  it('restarts on a timestamp jump (new SSRC or sender restart) instead of waiting or counting losses', () => {
    const packets = stream(40);
    for (const p of packets.slice(20)) p.ts = (p.ts + 40_000_000) >>> 0;
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, packets, 44);
    expect(jb.resets).toBe(1);
    expect([jb.late, jb.lost]).toEqual([0, 0]);
    // Every packet is played; the restart costs at most the re-buffering delay.
    expect(played.filter((p) => typeof p === 'number')).toEqual(Array.from({ length: 40 }, (_, k) => 100 + k));
    expect(played.filter((p) => p === 'c').length).toBeLessThanOrEqual(3);
  });

  it('restarts on a sequence jump', () => {
    const packets = [...stream(10), ...stream(10, 40_000, 8000 + 1600).map((p) => ({ ...p, arrival: p.arrival + 200 }))];
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, packets, 25).filter((p) => typeof p === 'number');
    expect(jb.resets).toBe(1);
    expect(played).toEqual([...Array.from({ length: 10 }, (_, k) => 100 + k), ...Array.from({ length: 10 }, (_, k) => 40_000 + k)]);
  });

  it('survives a DTX gap: the stream resumes on schedule without a reset or losses', () => {
    const talk1 = stream(10);
    const talk2 = stream(10, 110, 8000 + 160 * 60).map((p) => ({ ...p, arrival: p.arrival + 50 * 20 }));
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, [...talk1, ...talk2], 75);
    expect(jb.resets).toBe(0);
    expect([jb.late, jb.lost]).toEqual([0, 0]);
    expect(played.filter((p) => typeof p === 'number')).toHaveLength(20);
  });

  it('raises its target delay with measured jitter, within bounds, and stops losing packets', () => {
    // Deterministic pseudo-random extra delay of 0–60 ms.
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const packets = stream(500).map((p) => ({ ...p, arrival: p.arrival + Math.floor(rand() * 60) }));
    const early = new JitterBuffer(OPTS);
    drive(early, packets.filter((p) => p.arrival < 1000 + 20 * 250), 250);
    expect(early.targetDelayMs).toBeGreaterThanOrEqual(55);
    expect(early.targetDelayMs).toBeLessThanOrEqual(120);
    // Same stream, twice as long: whatever was late happened while it adapted, in the first seconds.
    const jb = new JitterBuffer(OPTS);
    const played = drive(jb, packets, 510);
    expect(jb.late).toBe(early.late);
    expect(jb.lost).toBe(0);
    expect(played.slice(250, 495).filter((p) => p === 'c')).toEqual([]);
  });

  it('never exceeds the maximum delay however bad the jitter', () => {
    const packets = stream(200).map((p, k) => ({ ...p, arrival: p.arrival + (k % 10 === 0 ? 400 : 0) }));
    const jb = new JitterBuffer(OPTS);
    drive(jb, packets, 210);
    expect(jb.targetDelayMs).toBe(120);
  });

  for (const [name, periodMs] of [['faster', 19.8], ['slower', 20.2]] as const) {
    it(`follows a sender clock 1 % ${name} than ours: no late or lost packets, bounded delay`, () => {
      const packets = stream(3000).map((p, k) => ({ ...p, arrival: 1000 + Math.round(k * periodMs) }));
      const jb = new JitterBuffer(OPTS);
      const played = drive(jb, packets, 2950);
      expect([jb.late, jb.lost]).toEqual([0, 0]);
      // The buffer never holds more than the target plus the skip threshold (≈ 5–6 packets).
      expect(jb.size).toBeLessThanOrEqual(6);
      if (name === 'faster') expect(jb.skipped).toBeGreaterThan(0);
      else expect(played.filter((p) => p === 'c').length).toBeGreaterThan(0); // stretched, not lost
    });
  }
});
