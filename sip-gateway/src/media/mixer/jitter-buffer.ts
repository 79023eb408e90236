/**
 * Adaptive jitter buffer for one source's RTP payloads. Pure: time comes only from the arrival and
 * tick times passed in. It orders packets, decides which are due at a tick, and classifies what
 * goes wrong (late, lost, restarted stream); decoding and concealment are the caller's.
 *
 * Play-out schedule: a packet is due at  extTs/clockKHz + refTransit + targetDelay, where transit =
 * arrival − extTs/clockKHz and refTransit is the smallest transit of the last two windows (the
 * fastest path, re-measured so sender/receiver clock drift is followed). The target delay is the
 * peak transit excess over refTransit (decaying slowly) plus a margin, kept in [minDelay, maxDelay].
 * Being due at a time rather than "one packet per tick" lets the buffer stretch (hold) when it runs
 * ahead and skip when it falls more than two frames behind, without drifting.
 */

export interface JitterBufferOptions {
  /** RTP clock rate of the stream (8000, 48000). */
  clockRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

/** A packet held by the buffer (seq and timestamp unwrapped to monotonic numbers). */
export interface BufferedPacket {
  /** As received. */
  seq: number;
  extSeq: number;
  extTs: number;
  payload: Uint8Array;
  /** First packet of a restarted stream: reset the decoder before it. */
  restart: boolean;
}

/** Packets kept at most (> 120 ms of 10 ms packets, plus bursts). Beyond it the oldest go. */
const CAPACITY = 64;
/** Transit moving more than this (ms) or the sequence jumping more than MAX_SEQ_JUMP means a new stream. */
const RESET_TRANSIT_MS = 1000;
const MAX_SEQ_JUMP = 3000;
/** Packets per reference-transit window (2 s at 20 ms). */
const WINDOW_PACKETS = 100;
/** How fast the measured peak jitter decays (ms per packet: 10 ms per second at 20 ms). */
const PEAK_DECAY_MS = 0.2;
/** Headroom above the measured peak (ms). */
const TARGET_MARGIN_MS = 5;
/** Skip a frame when the head is overdue by more than this (the buffer holds two frames too many). */
const SKIP_LAG_MS = 60;
/** Remembered seqs for lost/late bookkeeping (a power of two). */
const RING = 64;

export class JitterBuffer {
  /** Packets that arrived after their play-out time (dropped). */
  late = 0;
  /** Packets that never arrived, whose time was concealed (a late arrival takes its count back). */
  lost = 0;
  /** Packets skipped to catch up after the buffer grew too deep. */
  skipped = 0;
  /** Times the stream restarted (timestamp or sequence jump, SSRC change). */
  resets = 0;
  targetDelayMs: number;

  private readonly clockKHz: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  /** Sorted by extSeq, oldest first. */
  private readonly packets: BufferedPacket[] = [];

  private started = false;
  /** Highest sequence number and its timestamp, extended (monotonic) and as received. */
  private highSeq = 0;
  private highTs = 0;
  private highRawSeq = 0;
  private highRawTs = 0;
  private probation: { seq: number; ts: number; payload: Uint8Array; arrivalMs: number } | null = null;
  private refTransit = 0;
  private windowMin = Infinity;
  private prevWindowMin = Infinity;
  private windowCount = 0;
  private peakMs = 0;

  /** Sequence number and end timestamp of what was last played (or concealed in its place). */
  private lastPlayedSeq: number | null = null;
  private playTs: number | null = null;
  private readonly lostRing = new Float64Array(RING).fill(-1);
  private readonly lateRing = new Float64Array(RING).fill(-1);
  private readonly playedRing = new Float64Array(RING).fill(-1);

  constructor(opts: JitterBufferOptions) {
    this.clockKHz = opts.clockRate / 1000;
    this.minDelay = opts.minDelayMs;
    this.maxDelay = Math.max(opts.minDelayMs, opts.maxDelayMs);
    this.targetDelayMs = this.minDelay;
  }

  get size(): number {
    return this.packets.length;
  }

  /**
   * Takes one packet. A packet that jumps (sequence or timestamp inconsistent with the stream: SSRC
   * change, sender restart) is held on probation; when the next one confirms the new stream, the
   * stream is re-based to continue where the old one ends ('reset': the confirming packets carry
   * `restart` so the decoder is reset before them). A lone stray is dropped ('stray').
   */
  push(seq: number, ts: number, payload: Uint8Array, arrivalMs: number): 'ok' | 'late' | 'duplicate' | 'held' | 'stray' | 'reset' {
    if (!this.started) {
      this.started = true;
      this.highRawSeq = seq;
      this.highRawTs = ts;
      this.highSeq = seq;
      this.highTs = ts;
      this.refTransit = arrivalMs - ts / this.clockKHz;
      return this.insert(seq, ts, payload, arrivalMs, false);
    }
    if (this.isJump(seq, ts, arrivalMs)) {
      const held = this.probation;
      const dTs = held ? (ts - held.ts) | 0 : -1;
      if (held && seq === ((held.seq + 1) & 0xffff) && dTs >= 0 && dTs <= this.clockKHz * 1000) {
        this.probation = null;
        this.rebase(held.seq, held.ts, held.arrivalMs);
        this.insert(held.seq, held.ts, held.payload, held.arrivalMs, true);
        this.insert(seq, ts, payload, arrivalMs, false);
        return 'reset';
      }
      this.probation = { seq, ts, payload, arrivalMs };
      return 'held';
    }
    const stray = this.probation !== null;
    this.probation = null;
    const result = this.insert(seq, ts, payload, arrivalMs, false);
    return stray && result === 'ok' ? 'stray' : result;
  }

  private isJump(seq: number, ts: number, arrivalMs: number): boolean {
    const dSeq = (((seq - this.highRawSeq) & 0xffff) ^ 0x8000) - 0x8000;
    const extTs = this.highTs + ((ts - this.highRawTs) | 0);
    const transit = arrivalMs - extTs / this.clockKHz;
    return Math.abs(dSeq) > MAX_SEQ_JUMP || Math.abs(transit - this.refTransit) > RESET_TRANSIT_MS;
  }

  /** Map a new stream starting at (seq, ts) to continue the old one's extended numbering. */
  private rebase(seq: number, ts: number, arrivalMs: number): void {
    this.resets++;
    this.highSeq += 1;
    this.highTs = Math.max(this.highTs, this.playTs ?? this.highTs) + this.clockKHz * 20;
    this.highRawSeq = seq;
    this.highRawTs = ts;
    this.windowMin = Infinity;
    this.prevWindowMin = Infinity;
    this.windowCount = 0;
    this.refTransit = arrivalMs - this.highTs / this.clockKHz;
  }

  private insert(seq: number, ts: number, payload: Uint8Array, arrivalMs: number, restart: boolean): 'ok' | 'late' | 'duplicate' {
    const dSeq = (((seq - this.highRawSeq) & 0xffff) ^ 0x8000) - 0x8000;
    const extSeq = this.highSeq + dSeq;
    const extTs = this.highTs + ((ts - this.highRawTs) | 0);
    if (dSeq > 0) {
      this.highSeq = extSeq;
      this.highTs = extTs;
      this.highRawSeq = seq;
      this.highRawTs = ts;
    }
    if (this.playedRing[extSeq & (RING - 1)] === extSeq) return 'duplicate';
    // Late packets count for the jitter estimate most of all.
    this.measure(extTs, arrivalMs);
    if (this.lastPlayedSeq !== null && (extSeq <= this.lastPlayedSeq || (this.playTs !== null && extTs < this.playTs))) {
      this.noteLate(extSeq);
      return 'late';
    }
    // Insert in order (arrivals are nearly always the newest: scan from the end).
    const list = this.packets;
    let i = list.length;
    while (i > 0 && list[i - 1]!.extSeq > extSeq) i--;
    if (i > 0 && list[i - 1]!.extSeq === extSeq) return 'duplicate';
    list.splice(i, 0, { seq, extSeq, extTs, payload, restart });
    if (list.length > CAPACITY) list.shift();
    return 'ok';
  }

  /** When `p` is due (ms). */
  dueMs(p: BufferedPacket): number {
    return p.extTs / this.clockKHz + this.refTransit + this.targetDelayMs;
  }

  /**
   * The next packet to decode at tick `nowMs`, or null. `bufferedMs` is decoded audio the caller
   * still holds ahead of this tick (packets shorter than a tick). Packets the buffer is too deep
   * for are skipped here; a head that slipped behind the play position is dropped as late.
   */
  take(nowMs: number, bufferedMs: number): BufferedPacket | null {
    const list = this.packets;
    while (list.length > 0) {
      const head = list[0]!;
      if (this.playTs !== null && head.extTs + this.clockKHz * 10 <= this.playTs && this.lastPlayedSeq !== null && head.extSeq !== this.lastPlayedSeq + 1) {
        // Its slot was concealed while it was missing.
        list.shift();
        this.noteLate(head.extSeq);
        continue;
      }
      const lag = nowMs - this.dueMs(head) - bufferedMs;
      if (lag < 0) return null;
      if (lag > SKIP_LAG_MS && list.length > 1) {
        list.shift();
        this.skipped++;
        this.lastPlayedSeq = head.extSeq;
        continue;
      }
      list.shift();
      const last = this.lastPlayedSeq;
      if (last !== null) {
        const missing = head.extSeq - last - 1;
        for (let k = 0; k < missing && k < RING; k++) {
          const s: number = last + 1 + k;
          const slot = s & (RING - 1);
          if (this.lateRing[slot] === s) continue;
          this.lost++;
          this.lostRing[slot] = s;
        }
        if (missing > RING) this.lost += missing - RING;
      }
      this.lastPlayedSeq = head.extSeq;
      this.playedRing[head.extSeq & (RING - 1)] = head.extSeq;
      return head;
    }
    return null;
  }

  /** The caller decoded `p` and got `durationTs` (RTP clock units) of audio. */
  played(p: BufferedPacket, durationTs: number): void {
    this.playTs = p.extTs + durationTs;
  }

  /**
   * The caller concealed `durationTs` at this tick because nothing was due. When the next packet is
   * simply not due yet (the buffer is stretching), the play position stays; otherwise the
   * concealed time is consumed and a packet for it arriving later is late.
   */
  concealed(durationTs: number): void {
    if (this.playTs === null) return;
    const head = this.packets[0];
    if (head && this.lastPlayedSeq !== null && head.extSeq === this.lastPlayedSeq + 1) return;
    this.playTs += durationTs;
  }

  /** Has anything been played yet (the schedule is running)? */
  get playing(): boolean {
    return this.playTs !== null;
  }

  private measure(extTs: number, arrivalMs: number): void {
    const transit = arrivalMs - extTs / this.clockKHz;
    if (transit < this.windowMin) this.windowMin = transit;
    if (++this.windowCount >= WINDOW_PACKETS) {
      this.prevWindowMin = this.windowMin;
      this.windowMin = Infinity;
      this.windowCount = 0;
    }
    this.refTransit = Math.min(this.windowMin, this.prevWindowMin);
    const excess = transit - this.refTransit;
    this.peakMs = Math.max(excess, this.peakMs - PEAK_DECAY_MS);
    const target = Math.ceil(this.peakMs + TARGET_MARGIN_MS);
    this.targetDelayMs = Math.min(this.maxDelay, Math.max(this.minDelay, target));
  }

  private noteLate(extSeq: number): void {
    this.late++;
    const slot = extSeq & (RING - 1);
    if (this.lostRing[slot] === extSeq) {
      this.lost--;
      this.lostRing[slot] = -1;
    } else {
      this.lateRing[slot] = extSeq;
    }
  }
}
