/**
 * One outgoing video stream for a room system, switched between source streams (the SFU's
 * consumers of each participant's camera) without transcoding. Every packet of the selected source
 * is rewritten in place to one output SSRC, a continuous sequence and a continuous 90 kHz
 * timestamp, and the payload type the endpoint negotiated. A switch asks the new source for a
 * keyframe and keeps sending the old one until that keyframe starts, so the endpoint's decoder
 * never gets a delta frame it has no reference for. Runs in a media worker: pure, no timers (the
 * worker's tick drives `tick()`), nothing allocated per packet.
 */
import { CodedError } from '../../../../common/src/coded-error.js';
import { isKeyframeStart, type VideoCodec } from './keyframe.js';
import { keyframeRequestFor, type KeyframeRequestMethod } from './rtcp-feedback.js';

export type VideoSwitchErrorCode = 'duplicate_source' | 'unknown_source' | 'bad_options';
/** A caller mistake (packets from the network are never thrown on: they are dropped and counted). */
export class VideoSwitchError extends CodedError<VideoSwitchErrorCode> {
  override readonly name = 'VideoSwitchError';
}

export interface VideoSourcePayloadType {
  /** The payload type the source sends. */
  payloadType: number;
  /** The payload type the endpoint negotiated for the same codec. */
  outputPayloadType: number;
  codec: VideoCodec;
}

export interface VideoSourceOptions {
  ssrc: number;
  /** Payload types to forward; any other (RTX, FEC, …) is dropped. */
  payloadTypes: readonly VideoSourcePayloadType[];
}

/** One completed switch, for the switch-to-keyframe metric and the bench. */
export interface SwitchReport {
  from: string | null;
  to: string;
  /** When `select()` asked for the new source. */
  requestedAtMs: number;
  /** When its keyframe started (the first new packet was queued or sent). */
  keyframeAtMs: number;
  switchToKeyframeMs: number;
  /** Keyframe requests sent to the new source for this switch (1 + retries). */
  keyframeRequests: number;
  /** The old source's frame was still open when the keyframe came: the keyframe waited for its end. */
  waitedForOldFrame: boolean;
}

export interface SwitchedVideoStreamSink {
  /** Send `packet[0, length)` to the endpoint (SRTP-protect first where keyed). */
  send(packet: Uint8Array, length: number): void;
  /** Ask the source for a keyframe (a PLI/FIR to the SFU consumer with this SSRC). */
  requestKeyframe(sourceId: string, ssrc: number): void;
  switched?(report: SwitchReport): void;
}

export interface SwitchedVideoStreamOptions {
  outputSsrc: number;
  /** RTP clock rate of every source and of the output (90 kHz for video). */
  clockRate?: number;
  initialSequenceNumber?: number;
  initialTimestamp?: number;
  /** Re-request the keyframe when a switch has waited this long since the last request. */
  keyframeTimeoutMs?: number;
  /** At most this many requests per switch (the first included); then wait for a natural keyframe. */
  maxKeyframeRequests?: number;
  /** New-source packets that may be held while the old source finishes its frame. */
  holdPackets?: number;
  /** Largest packet that can be held (longer ones end the hold: the switch happens at once). */
  maxPacketBytes?: number;
  /** Longest the new keyframe waits for the old frame's last packet before cutting over. */
  maxHoldMs?: number;
  /** An endpoint's PLI/FIR storm reaches the source at most this often. */
  minEndpointKeyframeIntervalMs?: number;
}

/** What `handlePacket` did with a packet (constant strings: nothing allocated). */
export type PacketOutcome =
  | 'forwarded'
  | 'held'
  | 'invalid'
  | 'unknown_ssrc'
  | 'unknown_payload_type'
  | 'not_selected'
  | 'awaiting_keyframe'
  | 'before_switch';

export interface SwitchedVideoStreamCounters {
  forwarded: number;
  held: number;
  invalid: number;
  unknownSsrc: number;
  unknownPayloadType: number;
  notSelected: number;
  awaitingKeyframe: number;
  beforeSwitch: number;
  keyframeRequests: number;
  endpointKeyframeRequests: number;
  switches: number;
  /** Payload octets sent (RFC 3550 §6.4.1 sender's octet count). */
  octetsSent: number;
}

/** What an RTCP sender report for the output SSRC needs (RFC 3550 §6.4.1). */
export interface OutputSenderInfo {
  /** The output's RTP timestamp at `nowMs`, extrapolated from the last packet sent. */
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

class Source {
  /** Source PT → output PT, -1 where not forwarded. */
  readonly outputPt = new Int16Array(128).fill(-1);
  /** Source PT → 0 h264, 1 vp8. */
  readonly codec = new Uint8Array(128);
  /** Output = source + offset (mod 2^16 / 2^32); set when the source (re)starts being forwarded. */
  seqOffset = 0;
  tsOffset = 0;
  started = false;
  firstSeq = 0;
  highestSeq = 0;
  /** Last timestamp seen on this source (any packet): a new one starts a frame. */
  lastTs = 0;
  hasLastTs = false;
  /** VP8 PictureID (mod 2^15) and TL0PICIDX (mod 2^8) offsets; set on its first VP8 packet forwarded. */
  pictureIdOffset = 0;
  tl0PicIdxOffset = 0;
  vp8Started = false;
  constructor(
    readonly id: string,
    readonly ssrc: number,
  ) {}
}

const CODEC_H264 = 0;
const CODEC_VP8 = 1;

function seqNewer(a: number, b: number): boolean {
  return a !== b && ((a - b) & 0xffff) < 0x8000;
}
function seqDiff(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}
function tsNewerOrEqual(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

export class SwitchedVideoStream {
  readonly outputSsrc: number;
  readonly counters: SwitchedVideoStreamCounters = {
    forwarded: 0,
    held: 0,
    invalid: 0,
    unknownSsrc: 0,
    unknownPayloadType: 0,
    notSelected: 0,
    awaitingKeyframe: 0,
    beforeSwitch: 0,
    keyframeRequests: 0,
    endpointKeyframeRequests: 0,
    switches: 0,
    octetsSent: 0,
  };

  private readonly sink: SwitchedVideoStreamSink;
  private readonly outputSsrcInt: number;
  private readonly clockPerMs: number;
  private readonly keyframeTimeoutMs: number;
  private readonly maxKeyframeRequests: number;
  private readonly maxHoldMs: number;
  private readonly minEndpointKeyframeIntervalMs: number;

  private readonly sources = new Map<string, Source>();
  /** Keyed by the SSRC as int32 (`| 0`): a small integer key, so a lookup allocates nothing. */
  private readonly bySsrc = new Map<number, Source>();
  private current: Source | null = null;
  private pending: Source | null = null;
  private pendingFrom: string | null = null;
  private requestedAtMs = 0;
  private lastRequestAtMs = 0;
  private requestsThisSwitch = 0;
  private lastEndpointRequestAtMs = -Infinity;

  // Output state.
  private anySent = false;
  private lastOutSeq: number;
  private lastOutTs: number;
  private lastOutWallMs = 0;
  /** The last in-order packet forwarded from the current source had no marker: a frame is open. */
  private frameOpen = false;
  /** Last VP8 PictureID / TL0PICIDX sent (-1: none yet), so a new source continues them. */
  private lastOutPictureId = -1;
  private lastOutTl0PicIdx = -1;

  // Hold ring: the new source's first packets while the old one finishes its frame.
  private readonly holdSlots: Uint8Array[];
  private readonly holdLengths: Int32Array;
  private holdCount = 0;
  private holding = false;
  private holdStartMs = 0;

  // The packet being handled, parsed without allocating. 32-bit fields (timestamps, SSRCs, and the
  // offsets and output timestamp below) are kept as int32, which V8 holds unboxed; uint32 values
  // above 2^31 would be heap numbers, allocated per packet.
  private pMarker = false;
  private pPt = 0;
  private pSeq = 0;
  private pTs = 0;
  private pSsrc = 0;
  private pPayloadOffset = 0;
  private pPayloadLength = 0;

  constructor(options: SwitchedVideoStreamOptions, sink: SwitchedVideoStreamSink) {
    const clockRate = options.clockRate ?? 90_000;
    const holdPackets = options.holdPackets ?? 64;
    const maxPacketBytes = options.maxPacketBytes ?? 1500;
    if (!Number.isInteger(clockRate) || clockRate <= 0) throw new VideoSwitchError('bad_options', 'clockRate must be a positive integer');
    if (!Number.isInteger(holdPackets) || holdPackets < 0 || holdPackets > 4096) throw new VideoSwitchError('bad_options', 'holdPackets must be 0–4096');
    if (!Number.isInteger(maxPacketBytes) || maxPacketBytes < 12 || maxPacketBytes > 65_535) {
      throw new VideoSwitchError('bad_options', 'maxPacketBytes must be 12–65535');
    }
    this.outputSsrc = options.outputSsrc >>> 0;
    this.sink = sink;
    this.clockPerMs = clockRate / 1000;
    this.keyframeTimeoutMs = options.keyframeTimeoutMs ?? 1000;
    this.maxKeyframeRequests = Math.max(1, options.maxKeyframeRequests ?? 4);
    this.maxHoldMs = options.maxHoldMs ?? 100;
    this.minEndpointKeyframeIntervalMs = options.minEndpointKeyframeIntervalMs ?? 250;
    this.lastOutSeq = ((options.initialSequenceNumber ?? Math.floor(Math.random() * 0x10000)) - 1) & 0xffff;
    this.lastOutTs = (options.initialTimestamp ?? Math.floor(Math.random() * 0x1_0000_0000)) | 0;
    this.outputSsrcInt = this.outputSsrc | 0;
    this.holdSlots = Array.from({ length: holdPackets }, () => new Uint8Array(maxPacketBytes));
    this.holdLengths = new Int32Array(holdPackets);
  }

  /** The source being forwarded now (null: nothing is, the output is paused). */
  get currentSourceId(): string | null {
    return this.current?.id ?? null;
  }

  /** The source a switch is waiting for (its keyframe), or null. */
  get pendingSourceId(): string | null {
    return this.pending?.id ?? null;
  }

  addSource(id: string, options: VideoSourceOptions): void {
    const ssrc = options.ssrc >>> 0;
    if (this.sources.has(id) || this.bySsrc.has(ssrc | 0)) throw new VideoSwitchError('duplicate_source', `source ${id} or SSRC ${ssrc} already added`);
    const source = new Source(id, ssrc);
    for (const pt of options.payloadTypes) {
      for (const v of [pt.payloadType, pt.outputPayloadType]) {
        if (!Number.isInteger(v) || v < 0 || v > 127) throw new VideoSwitchError('bad_options', `payload type ${v} is not 0–127`);
      }
      source.outputPt[pt.payloadType] = pt.outputPayloadType;
      source.codec[pt.payloadType] = pt.codec === 'vp8' ? CODEC_VP8 : CODEC_H264;
    }
    this.sources.set(id, source);
    this.bySsrc.set(ssrc | 0, source);
  }

  /**
   * The source is gone (its producer closed). If it was being shown, the output pauses — nothing
   * else is sent until a `select()` finds a keyframe — unless a switch was already holding the
   * next source's keyframe, which then goes out at once.
   */
  removeSource(id: string, nowMs: number): void {
    const source = this.sources.get(id);
    if (!source) return;
    if (source === this.pending) this.cancelPending();
    if (source === this.current) {
      this.current = null;
      this.frameOpen = false;
      if (this.holding) this.flushHold(nowMs);
    }
    this.sources.delete(id);
    this.bySsrc.delete(source.ssrc | 0);
  }

  /**
   * Show `sourceId` (null: show nothing). Asks it for a keyframe through the sink and keeps
   * forwarding the current source until the keyframe starts. Selecting the current source cancels
   * a pending switch; selecting the pending one again changes nothing.
   */
  select(sourceId: string | null, nowMs: number): void {
    if (sourceId === null) {
      this.cancelPending();
      this.current = null;
      this.frameOpen = false;
      return;
    }
    const source = this.sources.get(sourceId);
    if (!source) throw new VideoSwitchError('unknown_source', `no source ${sourceId}`);
    if (source === this.current) {
      this.cancelPending();
      return;
    }
    if (source === this.pending) return;
    this.cancelPending();
    this.pending = source;
    this.pendingFrom = this.current?.id ?? null;
    this.requestedAtMs = nowMs;
    this.requestsThisSwitch = 0;
    this.requestKeyframe(source, nowMs);
  }

  /** Drive time: re-request a late keyframe (bounded), end a hold that waited too long. */
  tick(nowMs: number): void {
    if (this.holding) {
      if (nowMs - this.holdStartMs >= this.maxHoldMs) this.flushHold(nowMs);
      return;
    }
    const pending = this.pending;
    if (pending && this.requestsThisSwitch < this.maxKeyframeRequests && nowMs - this.lastRequestAtMs >= this.keyframeTimeoutMs) {
      this.requestKeyframe(pending, nowMs);
    }
  }

  /**
   * The endpoint lost pictures (PLI/FIR on the output SSRC): ask the current source for a keyframe,
   * at most once per `minEndpointKeyframeIntervalMs`. A pending switch brings a keyframe anyway.
   * Returns whether a request went to a source.
   */
  endpointKeyframeRequest(nowMs: number): boolean {
    this.counters.endpointKeyframeRequests++;
    const source = this.current;
    if (!source || this.pending) return false;
    if (nowMs - this.lastEndpointRequestAtMs < this.minEndpointKeyframeIntervalMs) return false;
    this.lastEndpointRequestAtMs = nowMs;
    this.counters.keyframeRequests++;
    this.sink.requestKeyframe(source.id, source.ssrc);
    return true;
  }

  /**
   * For the output's sender reports: null before the first packet. The timestamp runs on from the
   * last packet by the wall clock, so it stays in step with what a switch will produce next.
   */
  senderInfo(nowMs: number): OutputSenderInfo | null {
    if (!this.anySent) return null;
    const elapsed = Math.max(0, Math.round((nowMs - this.lastOutWallMs) * this.clockPerMs));
    return { rtpTimestamp: (this.lastOutTs + elapsed) >>> 0, packetCount: this.counters.forwarded >>> 0, octetCount: this.counters.octetsSent >>> 0 };
  }

  /**
   * RTCP from the endpoint: a PLI or FIR for our output SSRC becomes a keyframe request to the
   * current source. Returns the method seen (for the metric), or null.
   */
  handleEndpointRtcp(buf: Uint8Array, nowMs: number, length = buf.length): KeyframeRequestMethod | null {
    const method = keyframeRequestFor(buf, this.outputSsrc, length);
    if (method) this.endpointKeyframeRequest(nowMs);
    return method;
  }

  /**
   * One RTP packet from a source (by its SSRC). When forwarded it is rewritten in place and given
   * to `sink.send`; a held packet is copied (the caller may reuse `packet` at once).
   */
  handlePacket(packet: Uint8Array, nowMs: number, length = packet.length): PacketOutcome {
    if (!this.parse(packet, length)) {
      this.counters.invalid++;
      return 'invalid';
    }
    const source = this.bySsrc.get(this.pSsrc);
    if (!source) {
      this.counters.unknownSsrc++;
      return 'unknown_ssrc';
    }
    if (source.outputPt[this.pPt]! < 0) {
      this.counters.unknownPayloadType++;
      return 'unknown_payload_type';
    }
    const newFrame = !source.hasLastTs || this.pTs !== source.lastTs;
    source.lastTs = this.pTs;
    source.hasLastTs = true;

    if (source === this.pending) {
      if (this.holding) return this.hold(packet, length, nowMs);
      const codec: VideoCodec = source.codec[this.pPt] === CODEC_VP8 ? 'vp8' : 'h264';
      if (!newFrame || !isKeyframeStart(codec, packet, this.pPayloadOffset, this.pPayloadLength)) {
        this.counters.awaitingKeyframe++;
        return 'awaiting_keyframe';
      }
      if (this.current && this.frameOpen && this.holdSlots.length > 0) {
        // The old source is mid-frame: cutting now would leave the endpoint a broken picture.
        this.holding = true;
        this.holdStartMs = nowMs;
        return this.hold(packet, length, nowMs);
      }
      this.completeSwitch(nowMs, false);
      return this.forward(source, packet, length, nowMs);
    }
    if (source === this.current) {
      const outcome = this.forward(source, packet, length, nowMs);
      if (this.holding && !this.frameOpen) this.flushHold(nowMs);
      return outcome;
    }
    this.counters.notSelected++;
    return 'not_selected';
  }

  private requestKeyframe(source: Source, nowMs: number): void {
    this.requestsThisSwitch++;
    this.lastRequestAtMs = nowMs;
    this.counters.keyframeRequests++;
    this.sink.requestKeyframe(source.id, source.ssrc);
  }

  private cancelPending(): void {
    this.pending = null;
    this.pendingFrom = null;
    this.holding = false;
    this.holdCount = 0;
  }

  private completeSwitch(nowMs: number, waitedForOldFrame: boolean): void {
    const next = this.pending!;
    const report: SwitchReport = {
      from: this.pendingFrom,
      to: next.id,
      requestedAtMs: this.requestedAtMs,
      keyframeAtMs: waitedForOldFrame ? this.holdStartMs : nowMs,
      switchToKeyframeMs: (waitedForOldFrame ? this.holdStartMs : nowMs) - this.requestedAtMs,
      keyframeRequests: this.requestsThisSwitch,
      waitedForOldFrame,
    };
    this.current = next;
    next.started = false;
    this.pending = null;
    this.pendingFrom = null;
    this.frameOpen = false;
    this.counters.switches++;
    this.sink.switched?.(report);
  }

  private hold(packet: Uint8Array, length: number, nowMs: number): PacketOutcome {
    if (this.holdCount === this.holdSlots.length || length > this.holdSlots[0]!.length) {
      // No room to wait any longer: cut over now, this packet after the held ones.
      this.flushHold(nowMs);
      this.parse(packet, length);
      return this.forward(this.current!, packet, length, nowMs);
    }
    this.holdSlots[this.holdCount]!.set(packet.subarray(0, length));
    this.holdLengths[this.holdCount] = length;
    this.holdCount++;
    this.counters.held++;
    return 'held';
  }

  /** The switch happens: the held packets of the new source go out in arrival order. */
  private flushHold(nowMs: number): void {
    const count = this.holdCount;
    this.holding = false;
    this.holdCount = 0;
    if (!this.pending) return;
    this.completeSwitch(nowMs, true);
    const source = this.current!;
    for (let i = 0; i < count; i++) {
      const slot = this.holdSlots[i]!;
      const length = this.holdLengths[i]!;
      if (this.parse(slot, length)) this.forward(source, slot, length, nowMs);
    }
  }

  private forward(source: Source, buf: Uint8Array, length: number, nowMs: number): PacketOutcome {
    const seq = this.pSeq;
    const ts = this.pTs;
    if (!source.started) {
      // This source starts (again) here: put its first packet right after the last one sent, in
      // sequence, and in time by the wall clock since then (never the same timestamp: a new frame).
      source.started = true;
      source.vp8Started = false;
      source.firstSeq = seq;
      source.highestSeq = (seq - 1) & 0xffff; // so this packet is the newest so far
      const outSeq = (this.lastOutSeq + 1) & 0xffff;
      let outTs = this.lastOutTs;
      if (this.anySent) outTs = (outTs + Math.max(1, Math.round((nowMs - this.lastOutWallMs) * this.clockPerMs))) | 0;
      source.seqOffset = (outSeq - seq) & 0xffff;
      source.tsOffset = (outTs - ts) | 0;
    } else if (seqDiff(seq, source.firstSeq) < 0 && seqDiff(source.highestSeq, source.firstSeq) < 0x4000) {
      // Older than the keyframe we switched at: the endpoint must not get the frame before it, and
      // its sequence numbers already belong to the previous source's packets.
      this.counters.beforeSwitch++;
      return 'before_switch';
    }
    const outSeq = (seq + source.seqOffset) & 0xffff;
    const outTs = (ts + source.tsOffset) | 0;
    const inOrder = seqNewer(seq, source.highestSeq);
    if (inOrder) {
      source.highestSeq = seq;
      this.lastOutSeq = outSeq;
      this.frameOpen = !this.pMarker;
    }
    if (source.codec[this.pPt] === CODEC_VP8) this.rewriteVp8Descriptor(source, buf, inOrder);
    if (!this.anySent || tsNewerOrEqual(outTs, this.lastOutTs)) {
      this.lastOutTs = outTs;
      this.lastOutWallMs = nowMs;
    }
    this.anySent = true;
    buf[1] = (buf[1]! & 0x80) | source.outputPt[this.pPt]!;
    buf[2] = outSeq >>> 8;
    buf[3] = outSeq & 0xff;
    buf[4] = outTs >>> 24;
    buf[5] = (outTs >>> 16) & 0xff;
    buf[6] = (outTs >>> 8) & 0xff;
    buf[7] = outTs & 0xff;
    const ssrc = this.outputSsrcInt;
    buf[8] = ssrc >>> 24;
    buf[9] = (ssrc >>> 16) & 0xff;
    buf[10] = (ssrc >>> 8) & 0xff;
    buf[11] = ssrc & 0xff;
    this.counters.forwarded++;
    this.counters.octetsSent += this.pPayloadLength;
    this.sink.send(buf, length);
    return 'forwarded';
  }

  /**
   * RFC 7741 §4.2: a receiver follows PictureID and TL0PICIDX across frames, so they continue from
   * the last ones sent, like the sequence number: each source gets offsets when it starts. A
   * 7-bit PictureID stays 7 bits (continuing mod 2^7).
   */
  private rewriteVp8Descriptor(source: Source, buf: Uint8Array, inOrder: boolean): void {
    let at = this.pPayloadOffset;
    const end = at + this.pPayloadLength;
    if (at + 1 >= end || (buf[at]! & 0x80) === 0) return; // no X: neither field present
    const x = buf[at + 1]!;
    at += 2;
    const starting = !source.vp8Started;
    source.vp8Started = true;
    if (x & 0x80) {
      if (at >= end) return;
      const long = (buf[at]! & 0x80) !== 0;
      if (long && at + 1 >= end) return;
      const pictureId = long ? ((buf[at]! & 0x7f) << 8) | buf[at + 1]! : buf[at]! & 0x7f;
      if (starting) source.pictureIdOffset = (this.lastOutPictureId + 1 - pictureId) & 0x7fff;
      const out = (pictureId + source.pictureIdOffset) & (long ? 0x7fff : 0x7f);
      if (long) {
        buf[at] = 0x80 | (out >> 8);
        buf[at + 1] = out & 0xff;
      } else {
        buf[at] = out;
      }
      if (inOrder || starting) this.lastOutPictureId = out;
      at += long ? 2 : 1;
    }
    if (x & 0x40) {
      if (at >= end) return;
      const tl0 = buf[at]!;
      if (starting) source.tl0PicIdxOffset = (this.lastOutTl0PicIdx + 1 - tl0) & 0xff;
      const out = (tl0 + source.tl0PicIdxOffset) & 0xff;
      buf[at] = out;
      if (inOrder || starting) this.lastOutTl0PicIdx = out;
    }
  }

  /** RFC 3550 §5.1 header checks and fields into this.p*; false if not a valid RTP packet. */
  private parse(buf: Uint8Array, length: number): boolean {
    if (length < 12 || length > buf.length) return false;
    const b0 = buf[0]!;
    const b1 = buf[1]!;
    if (b0 >> 6 !== 2) return false;
    if (b1 >= 192 && b1 <= 223) return false; // RTCP (RFC 5761 §4)
    let offset = 12 + (b0 & 0x0f) * 4;
    if (offset > length) return false;
    if (b0 & 0x10) {
      if (offset + 4 > length) return false;
      offset += 4 + ((buf[offset + 2]! << 8) | buf[offset + 3]!) * 4;
      if (offset > length) return false;
    }
    let padding = 0;
    if (b0 & 0x20) {
      padding = buf[length - 1]!;
      if (padding === 0 || offset + padding > length) return false;
    }
    this.pMarker = (b1 & 0x80) !== 0;
    this.pPt = b1 & 0x7f;
    this.pSeq = (buf[2]! << 8) | buf[3]!;
    this.pTs = (buf[4]! << 24) | (buf[5]! << 16) | (buf[6]! << 8) | buf[7]!;
    this.pSsrc = (buf[8]! << 24) | (buf[9]! << 16) | (buf[10]! << 8) | buf[11]!;
    this.pPayloadOffset = offset;
    this.pPayloadLength = length - offset - padding;
    return true;
  }
}
