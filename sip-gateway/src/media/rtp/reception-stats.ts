/**
 * Receiver-side statistics for one remote SSRC (RFC 3550 A.1 sequence validation with probation,
 * A.3 loss accounting, A.8 interarrival jitter), producing the report blocks our RTCP sends.
 */
import type { ReportBlock } from './rtcp.js';

const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;

export class ReceptionStats {
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private started = false;
  /** Interarrival jitter in RTP units, kept as a float (A.8 keeps it scaled; same thing). */
  private jitter = 0;
  private lastTransit = 0;
  private haveTransit = false;
  private lastSrNtpMiddle = 0;
  private lastSrArrivalMs = 0;
  private haveSr = false;
  private readonly unitsPerMs: number;

  constructor(clockRate: number) {
    this.unitsPerMs = clockRate / 1000;
  }

  /** Packets counted as received (after probation; duplicates count, as in A.3). */
  get packetsReceived(): number {
    return this.received;
  }

  get cumulativeLost(): number {
    if (!this.started) return 0;
    return this.expected() - this.received;
  }

  get jitterMs(): number {
    return this.jitter / this.unitsPerMs;
  }

  /** Extended highest sequence number seen (cycles << 16 | max). */
  get extendedHighestSequence(): number {
    return this.cycles + this.maxSeq;
  }

  /** Feed one RTP packet that passed parsing (and SRTP). `arrivalMs` from a monotonic clock. */
  onPacket(sequenceNumber: number, rtpTimestamp: number, arrivalMs: number): void {
    if (!this.started) {
      this.initSeq(sequenceNumber);
      this.maxSeq = (sequenceNumber - 1) & 0xffff;
      this.probation = MIN_SEQUENTIAL;
      this.started = true;
    }
    if (!this.updateSeq(sequenceNumber & 0xffff)) return;
    // A.8: transit time difference in RTP units; unsigned 32-bit timestamp arithmetic.
    const transit = arrivalMs * this.unitsPerMs - (rtpTimestamp >>> 0);
    if (this.haveTransit) {
      let d = transit - this.lastTransit;
      // Timestamps wrap at 2^32: take the difference modulo 2^32 into a signed range.
      d = ((d % 0x1_0000_0000) + 0x1_0000_0000 + 0x8000_0000) % 0x1_0000_0000 - 0x8000_0000;
      this.jitter += (Math.abs(d) - this.jitter) / 16;
    }
    this.lastTransit = transit;
    this.haveTransit = true;
  }

  /** An SR arrived from this source: remember its NTP middle 32 bits for LSR/DLSR. */
  onSenderReport(ntpMiddle32: number, arrivalMs: number): void {
    this.lastSrNtpMiddle = ntpMiddle32 >>> 0;
    this.lastSrArrivalMs = arrivalMs;
    this.haveSr = true;
  }

  /** A report block about this source as of `nowMs` (same clock as onSenderReport); starts a new interval. */
  reportBlock(ssrc: number, nowMs: number): ReportBlock {
    if (!this.started || this.probation > 0) {
      return { ssrc: ssrc >>> 0, fractionLost: 0, cumulativeLost: 0, highestSequence: 0, jitter: 0, lastSr: 0, delaySinceLastSr: 0 };
    }
    const expected = this.expected();
    const expectedInterval = expected - this.expectedPrior;
    const receivedInterval = this.received - this.receivedPrior;
    this.expectedPrior = expected;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.received));
    const haveSr = this.haveSr;
    return {
      ssrc: ssrc >>> 0,
      fractionLost,
      cumulativeLost: lost,
      highestSequence: (this.cycles + this.maxSeq) >>> 0,
      jitter: Math.round(this.jitter),
      lastSr: haveSr ? this.lastSrNtpMiddle : 0,
      delaySinceLastSr: haveSr ? Math.max(0, Math.round(((nowMs - this.lastSrArrivalMs) * 65536) / 1000)) >>> 0 : 0,
    };
  }

  private expected(): number {
    return this.cycles + this.maxSeq - this.baseSeq + 1;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /** RFC 3550 A.1 update_seq: false for packets not (yet) counted. */
  private updateSeq(seq: number): boolean {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: if the next packet follows it, the source restarted — resync.
      if (seq === this.badSeq) {
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet — counted, max unchanged.
    this.received++;
    return true;
  }
}
