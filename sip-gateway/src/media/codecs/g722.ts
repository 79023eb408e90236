/**
 * ITU-T G.722 sub-band ADPCM, 64 kbit/s mode: 16 kHz 16-bit PCM ↔ one byte per two samples
 * (so 8000 bytes/s; the RTP clock rate is 8000 by RFC 3551's historical mistake).
 *
 * The arithmetic follows the ITU fixed-point description (QMF, block 4 adaptive predictor,
 * log-domain scale factor), in the same integer order as FFmpeg's `g722` codec (no trellis), so
 * our bytes and samples are identical to FFmpeg's — the unit tests check that. Each stream owns a
 * G722Encoder / G722Decoder (state across frames); nothing is allocated per frame.
 */

const INV_LOG2 = Int32Array.from([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);
const HIGH_LOG_STEP = Int32Array.from([798, -214]);
const HIGH_INV_QUANT = Int32Array.from([-926, -202, 926, 202]);
// Log scale-factor step per 4-bit low-band code (ITU table WL indexed through RIL).
const LOW_LOG_STEP = Int32Array.from([-60, 3042, 1198, 538, 334, 172, 58, -30, 3042, 1198, 538, 334, 172, 58, -30, -60]);
const LOW_INV_QUANT4 = Int32Array.from([0, -2557, -1612, -1121, -786, -530, -323, -150, 2557, 1612, 1121, 786, 530, 323, 150, 0]);
const LOW_INV_QUANT6 = Int32Array.from([
  -17, -17, -17, -17, -3101, -2738, -2376, -2088, -1873, -1689, -1535, -1399, -1279, -1170, -1072, -982,
  -899, -822, -750, -682, -618, -558, -501, -447, -396, -347, -300, -254, -211, -170, -130, -91,
  3101, 2738, 2376, 2088, 1873, 1689, 1535, 1399, 1279, 1170, 1072, 982, 899, 822, 750, 682,
  618, 558, 501, 447, 396, 347, 300, 254, 211, 170, 130, 91, 54, 17, -54, -17,
]);
// Low-band quantiser decision levels (ITU table 14, scaled), 29 used.
const LOW_QUANT = Int32Array.from([
  35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121,
  1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
]);
/** QMF coefficients, ITU-T G.722 table 11. */
const QMF = Int32Array.from([3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11]);

const clip = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);
const clip16 = (v: number): number => (v < -32768 ? -32768 : v > 32767 ? 32767 : v);

/** Adaptive predictor and quantiser-scale state of one sub-band. */
class Band {
  sPredictor = 0;
  sZero = 0;
  partReconst0 = 0;
  partReconst1 = 0;
  prevQtzdReconst = 0;
  pole0 = 0;
  pole1 = 0;
  readonly diffMem = new Int32Array(6);
  readonly zeroMem = new Int32Array(6);
  logFactor = 0;
  constructor(public scaleFactor: number) {}

  /** Block 4: update pole/zero predictor coefficients from the dequantised difference. */
  private adapt(curDiff: number): void {
    const curPart = this.sZero + curDiff < 0 ? 1 : 0;
    const sg0 = curPart !== this.partReconst0 ? 1 : -1;
    const sg1 = curPart === this.partReconst1 ? 1 : -1;
    this.partReconst1 = this.partReconst0;
    this.partReconst0 = curPart;

    this.pole1 = clip(((sg0 * clip(this.pole0, -8191, 8191)) >> 5) + (sg1 << 7) + ((this.pole1 * 127) >> 7), -12288, 12288);
    const limit = 15360 - this.pole1;
    this.pole0 = clip(-192 * sg0 + ((this.pole0 * 255) >> 8), -limit, limit);

    const zero = this.zeroMem;
    const diff = this.diffMem;
    if (curDiff !== 0) {
      for (let i = 0; i < 6; i++) zero[i] = ((zero[i]! * 255) >> 8) + ((diff[i]! ^ curDiff) < 0 ? -128 : 128);
    } else {
      for (let i = 0; i < 6; i++) zero[i] = (zero[i]! * 255) >> 8;
    }
    for (let i = 5; i > 0; i--) diff[i] = diff[i - 1]!;
    diff[0] = clip16(curDiff << 1);

    let sZero = 0;
    for (let i = 5; i >= 0; i--) sZero += (zero[i]! * diff[i]!) >> 15;
    this.sZero = sZero;

    const curQtzd = clip16((this.sPredictor + curDiff) << 1);
    this.sPredictor = clip16(sZero + ((this.pole0 * curQtzd) >> 15) + ((this.pole1 * this.prevQtzdReconst) >> 15));
    this.prevQtzdReconst = curQtzd;
  }

  private static linearScale(logFactor: number): number {
    const wd1 = INV_LOG2[(logFactor >> 6) & 31]!;
    const shift = logFactor >> 11;
    return shift < 0 ? wd1 >> -shift : wd1 << shift;
  }

  /** Low band: `ilow4` is the 6-bit code's top four bits. */
  updateLow(ilow4: number): void {
    this.adapt((this.scaleFactor * LOW_INV_QUANT4[ilow4]!) >> 10);
    this.logFactor = clip(((this.logFactor * 127) >> 7) + LOW_LOG_STEP[ilow4]!, 0, 18432);
    this.scaleFactor = Band.linearScale(this.logFactor - (8 << 11));
  }

  updateHigh(dhigh: number, ihigh: number): void {
    this.adapt(dhigh);
    this.logFactor = clip(((this.logFactor * 127) >> 7) + HIGH_LOG_STEP[ihigh & 1]!, 0, 22528);
    this.scaleFactor = Band.linearScale(this.logFactor - (10 << 11));
  }
}

/**
 * QMF history: a sliding window of the last 24 (interleaved) samples, kept in a longer buffer that
 * is slid back only when full, so each step writes two values instead of shifting 22.
 */
class QmfHistory {
  private readonly buf = new Int32Array(24 + 2 * 256);
  private pos = 22;
  /** Push a pair and return [xout0, xout1] into `out`. */
  push(a: number, b: number, out: Int32Array): void {
    const buf = this.buf;
    buf[this.pos++] = (a << 16) >> 16; // stored as int16, as the reference does
    buf[this.pos++] = (b << 16) >> 16;
    const base = this.pos - 24;
    let x0 = 0;
    let x1 = 0;
    for (let i = 0; i < 12; i++) {
      x1 += buf[base + 2 * i]! * QMF[i]!;
      x0 += buf[base + 2 * i + 1]! * QMF[11 - i]!;
    }
    out[0] = x0;
    out[1] = x1;
    if (this.pos >= buf.length) {
      buf.copyWithin(0, this.pos - 22, this.pos);
      this.pos = 22;
    }
  }
}

/** Bytes produced for `samples` 16 kHz samples (two samples per byte). */
export const g722BytesFor = (samples: number): number => samples >> 1;

/** One G.722 encoder per outgoing stream. */
export class G722Encoder {
  private readonly low = new Band(8);
  private readonly high = new Band(2);
  private readonly qmf = new QmfHistory();
  private readonly xout = new Int32Array(2);

  /**
   * Encode `count` 16 kHz samples (even; default all of `pcm`) into `out` (count/2 bytes).
   * Returns the number of bytes written.
   */
  encode(pcm: Int16Array, out: Uint8Array, count = pcm.length): number {
    if (count & 1) throw new RangeError('g722: sample count must be even');
    const bytes = count >> 1;
    if (count > pcm.length || bytes > out.length) throw new RangeError(`g722: ${count} samples do not fit`);
    const low = this.low;
    const high = this.high;
    const xout = this.xout;
    for (let j = 0; j < bytes; j++) {
      this.qmf.push(pcm[2 * j]!, pcm[2 * j + 1]!, xout);
      const xlow = (xout[0]! + xout[1]!) >> 14;
      const xhigh = (xout[0]! - xout[1]!) >> 14;

      // High band: 2-bit code.
      const dh = clip16(xhigh - high.sPredictor);
      const pred = (141 * high.scaleFactor) >> 8;
      const magH = dh ^ (dh >> 31); // dh >= 0 ? dh : -(dh + 1)
      const ihigh = (magH < pred ? 1 : 0) + (dh >= 0 ? 2 : 0);

      // Low band: 6-bit code by decision-level search.
      const dl = clip16(xlow - low.sPredictor);
      const limit = ((dl ^ (dl >> 31)) + 1) << 10;
      const sf = low.scaleFactor;
      let i = limit > LOW_QUANT[8]! * sf ? 9 : 0;
      while (i < 29 && limit > LOW_QUANT[i]! * sf) i++;
      const ilow = (dl < 0 ? (i < 2 ? 63 : 33) : 61) - i;

      high.updateHigh((high.scaleFactor * HIGH_INV_QUANT[ihigh]!) >> 10, ihigh);
      low.updateLow(ilow >> 2);
      out[j] = (ihigh << 6) | ilow;
    }
    return bytes;
  }
}

/** One G.722 decoder per incoming stream. */
export class G722Decoder {
  private readonly low = new Band(8);
  private readonly high = new Band(2);
  private readonly qmf = new QmfHistory();
  private readonly xout = new Int32Array(2);

  /** Decode `count` bytes (default all of `payload`) into `out` (2·count samples); returns samples written. */
  decode(payload: Uint8Array, out: Int16Array, count = payload.length): number {
    if (count > payload.length || 2 * count > out.length) throw new RangeError(`g722: ${count} bytes do not fit`);
    const low = this.low;
    const high = this.high;
    const xout = this.xout;
    for (let j = 0; j < count; j++) {
      const code = payload[j]!;
      const ihigh = code >> 6;
      const ilow = code & 0x3f;
      const rlow = clip(((low.scaleFactor * LOW_INV_QUANT6[ilow]!) >> 10) + low.sPredictor, -16384, 16383);
      low.updateLow(ilow >> 2);
      const dhigh = (high.scaleFactor * HIGH_INV_QUANT[ihigh]!) >> 10;
      const rhigh = clip(dhigh + high.sPredictor, -16384, 16383);
      high.updateHigh(dhigh, ihigh);
      this.qmf.push(rlow + rhigh, rlow - rhigh, xout);
      out[2 * j] = clip16(xout[0]! >> 11);
      out[2 * j + 1] = clip16(xout[1]! >> 11);
    }
    return 2 * count;
  }
}
