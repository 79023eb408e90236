import { describe, expect, it } from 'vitest';
import { ReceptionStats } from './reception-stats.js';

/** 20 ms PCMU packets: seq, RTP timestamp (8 kHz) and arrival time in ms. */
function feed(stats: ReceptionStats, seqs: number[], startSeq: number, jitterOf: (i: number) => number = () => 0): void {
  for (const seq of seqs) {
    const i = (seq - startSeq + 0x10000) & 0xffff; // packet's position in the original stream
    stats.onPacket(seq & 0xffff, (i * 160) >>> 0, 1000 + i * 20 + jitterOf(i));
  }
}

describe('ReceptionStats (RFC 3550 A.1/A.3/A.8)', () => {
  it('counts loss across a sequence wrap, tolerates reordering, and reports the fraction lost per interval', () => {
    const stats = new ReceptionStats(8000);
    const start = 65_000;
    // 1000 packets from 65000 through the wrap; drop 10 of them; swap two pairs.
    const seqs: number[] = [];
    for (let i = 0; i < 1000; i++) seqs.push((start + i) & 0xffff);
    const dropped = new Set([100, 200, 300, 400, 535, 536, 537, 700, 800, 900].map((i) => (start + i) & 0xffff));
    const sent = seqs.filter((s) => !dropped.has(s));
    [sent[50], sent[51]] = [sent[51]!, sent[50]!];
    [sent[600], sent[603]] = [sent[603]!, sent[600]!];
    feed(stats, sent, start);

    // Probation (A.1): the first packet only starts validation, so it is not counted.
    expect(stats.packetsReceived).toBe(989);
    expect(stats.cumulativeLost).toBe(10);
    const block = stats.reportBlock(0xabc, 0);
    expect(block.highestSequence).toBe(0x10000 + ((start + 999) & 0xffff)); // one cycle
    expect(block.cumulativeLost).toBe(10);
    expect(block.fractionLost).toBe(Math.floor((10 * 256) / 999));
    expect(block.ssrc).toBe(0xabc);

    // Next interval: 100 more packets, 25 lost → fraction 64/256.
    const more: number[] = [];
    for (let i = 1000; i < 1100; i++) if (i % 4 !== 0) more.push((start + i) & 0xffff);
    feed(stats, more, start);
    const second = stats.reportBlock(0xabc, 0);
    expect(second.fractionLost).toBe(64);
    expect(second.cumulativeLost).toBe(35);
  });

  it('jitter is zero for perfectly paced packets and follows A.8 for alternating ±10 ms arrival', () => {
    const steady = new ReceptionStats(8000);
    feed(steady, Array.from({ length: 200 }, (_, i) => i), 0);
    expect(steady.jitterMs).toBeCloseTo(0, 6);

    const jittery = new ReceptionStats(8000);
    feed(jittery, Array.from({ length: 500 }, (_, i) => i), 0, (i) => (i % 2 ? 10 : 0));
    // |D| is 10 ms every packet, so J converges to 10 ms (80 RTP units).
    expect(jittery.jitterMs).toBeCloseTo(10, 3);
    expect(jittery.reportBlock(1, 0).jitter).toBe(80);
  });

  it('a duplicate counts as received (loss can go negative) and a restarted stream resyncs after two in a row', () => {
    const stats = new ReceptionStats(8000);
    feed(stats, [10, 11, 12, 12, 13], 10);
    expect(stats.cumulativeLost).toBe(-1);
    // Jump far away: the first is ignored, the second in sequence restarts counting.
    stats.onPacket(40_000, 0, 5000);
    expect(stats.packetsReceived).toBe(4);
    stats.onPacket(40_001, 160, 5020);
    expect(stats.packetsReceived).toBe(1);
    expect(stats.cumulativeLost).toBe(0);
  });

  it('LSR echoes the last SR and DLSR is the delay since it in 1/65536 s', () => {
    const stats = new ReceptionStats(8000);
    feed(stats, [1, 2, 3], 1);
    expect(stats.reportBlock(9, 0)).toMatchObject({ lastSr: 0, delaySinceLastSr: 0 });
    stats.onSenderReport(0x12345678, 10_000);
    expect(stats.reportBlock(9, 10_250)).toMatchObject({ lastSr: 0x12345678, delaySinceLastSr: 16384 });
  });

  it('reports nothing during probation', () => {
    const stats = new ReceptionStats(48000);
    stats.onPacket(5, 0, 0);
    expect(stats.reportBlock(3, 0)).toMatchObject({ highestSequence: 0, cumulativeLost: 0, fractionLost: 0 });
    expect(stats.packetsReceived).toBe(0);
  });
});
