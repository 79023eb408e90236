import { keyFromEventCode, type DtmfKeyEvent } from './digits.js';

/** The RTP header fields the receiver needs, plus the payload (the 4-byte event block). */
export interface RtpPacketFields {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  /** Read by nobody: carriers set it wrongly (on every packet, or never), so it cannot key events. */
  readonly marker: boolean;
  readonly ssrc?: number;
  readonly payload: Uint8Array;
}

export interface Rfc4733ReceiverOptions {
  /** The negotiated telephone-event payload type; packets of any other type are ignored. */
  readonly payloadType: number;
  /** Clock rate of the telephone-event format (8000 unless negotiated otherwise). */
  readonly clockRate?: number;
}

/** How many recent event timestamps are remembered, so late or reordered packets of an old event stay silent. */
const RECENT_EVENTS = 16;
const MAX_DURATION = 0xffff;

/**
 * RFC 4733 telephone-event receiver: one report per key press.
 *
 * An event is identified by its RTP timestamp (every packet of one event carries the event's start
 * timestamp), so the digit is reported on the FIRST packet seen with a new timestamp — a lost start
 * packet costs nothing — and every later packet of it (duration updates, the three redundant end
 * packets, a retransmitted start) is silent. The marker bit is ignored on purpose. The end bit
 * closes the event, so that a later segment of a long event (RFC 4733 §2.5.1.3: after duration
 * 0xFFFF the sender continues with timestamp + duration and no end bit in between) is recognised
 * as the same press only while the previous segment is still open.
 */
export class Rfc4733Receiver {
  private readonly payloadType: number;
  private readonly segmentSlack: number;
  private readonly recent = new Float64Array(RECENT_EVENTS).fill(-1);
  private recentNext = 0;
  private ssrc: number | undefined;
  /** The event in progress (timestamp of its current segment), or none. */
  private current: { timestamp: number; code: number; ended: boolean; lastDuration: number } | undefined;

  constructor(options: Rfc4733ReceiverOptions) {
    this.payloadType = options.payloadType;
    // Packet loss near a segment's end may hide its last duration updates: allow ~100 ms.
    this.segmentSlack = Math.round((options.clockRate ?? 8000) / 10);
  }

  /** Feed one RTP packet; returns the key press it starts, or null (not ours, malformed, or a repeat). */
  receive(packet: RtpPacketFields): DtmfKeyEvent | null {
    if (packet.payloadType !== this.payloadType) return null;
    const p = packet.payload;
    if (p.length < 4) return null;
    if (packet.ssrc !== undefined && packet.ssrc !== this.ssrc) {
      // A new source (re-INVITE, new stream) starts a new timestamp space.
      this.ssrc = packet.ssrc;
      this.forget();
    }
    const code = p[0]!;
    const end = (p[1]! & 0x80) !== 0;
    const volume = p[1]! & 0x3f;
    const duration = (p[2]! << 8) | p[3]!;
    const timestamp = packet.timestamp >>> 0;

    const cur = this.current;
    if (cur && timestamp === cur.timestamp) {
      // Same event: duration update, redundant end, or retransmitted start. Durations may wrap.
      if (end) cur.ended = true;
      if (duration > cur.lastDuration) cur.lastDuration = duration;
      return null;
    }
    if (this.seenRecently(timestamp)) return null;
    if (cur && !cur.ended && code === cur.code && cur.lastDuration >= MAX_DURATION - this.segmentSlack) {
      const delta = (timestamp - cur.timestamp) >>> 0;
      if (delta > 0 && delta <= MAX_DURATION) {
        // Next segment of a long event: same key press.
        this.remember(timestamp);
        this.current = { timestamp, code, ended: end, lastDuration: duration };
        return null;
      }
    }
    this.remember(timestamp);
    this.current = { timestamp, code, ended: end, lastDuration: duration };
    const key = keyFromEventCode(code);
    if (key === undefined) return null; // a non-DTMF event (RFC 4734 tones): tracked, never reported
    return { key, method: 'rfc4733', rtpTimestamp: timestamp, volumeDbm0: -volume };
  }

  private forget(): void {
    this.recent.fill(-1);
    this.current = undefined;
  }

  private seenRecently(timestamp: number): boolean {
    for (let i = 0; i < RECENT_EVENTS; i++) if (this.recent[i] === timestamp) return true;
    return false;
  }

  private remember(timestamp: number): void {
    this.recent[this.recentNext] = timestamp;
    this.recentNext = (this.recentNext + 1) % RECENT_EVENTS;
  }
}
