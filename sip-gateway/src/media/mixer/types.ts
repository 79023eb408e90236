/**
 * The room audio mixer's contract (one mixer per meeting that has SIP/phone legs). Pure and
 * tick-driven: the media engine feeds it depacketised, decrypted RTP payloads and calls
 * `mixOnce()` every 20 ms; tests call `mixOnce()` directly. No I/O, no timers, no threads here.
 *
 * Sources are inputs: browsers' Opus from the SFU's audio tap, and each SIP leg's own audio.
 * Legs are outputs: every SIP leg hears the loudest few sources minus itself (N−1), encoded in its
 * own codec. Each SIP source also goes back to the room as Opus with its audio level, so SIP callers
 * count for active speaker and last-N like anyone else.
 */

/** Audio codecs an RTP leg can negotiate (telephone-event is DTMF, handled before the mixer). */
export type AudioCodecName = 'opus' | 'G722' | 'PCMU' | 'PCMA';

export interface AudioCodecSpec {
  name: AudioCodecName;
  payloadType: number;
  /** RTP clock rate: 48000 (Opus), 8000 (G.722's RTP clock, RFC 3551 — it samples at 16 kHz), 8000 (G.711). */
  clockRate: number;
  /** 2 for Opus (RFC 7587; we decode/encode mono), 1 otherwise. */
  channels: number;
}

export interface MixerSourceOptions {
  codec: AudioCodecName;
  /**
   * 'room': audio from the SFU tap (a browser mic, screen audio). 'leg': a SIP leg's own audio —
   * also re-encoded to Opus for the SFU (see MixFrame.roomFeeds).
   */
  origin: 'room' | 'leg';
}

export interface MixerLegOptions {
  codec: AudioCodecSpec;
  /** The leg's own source id (excluded from what it hears); absent for a listen-only leg. */
  ownSourceId?: string | undefined;
}

/** One leg's output for one tick: an encoded payload ready to packetise (20 ms). */
export interface LegFrame {
  legId: string;
  payload: Uint8Array;
  /** RTP timestamp increment for this frame in the leg's clock (160 for 8 kHz clocks, 960 for Opus). */
  samples: number;
}

/** A SIP source's audio for the room, as Opus, for one tick. */
export interface RoomFeedFrame {
  sourceId: string;
  payload: Uint8Array;
  /** RFC 6464 level: 0 (loudest) … 127 (silence), in −dBov. */
  audioLevel: number;
  voiceActivity: boolean;
}

export interface MixFrame {
  legs: LegFrame[];
  roomFeeds: RoomFeedFrame[];
  /** Sources mixed this tick (for logs/metrics), loudest first. */
  mixed: string[];
}

export interface JitterStats {
  /** Packets that arrived after their play-out time (dropped). */
  late: number;
  /** Frames concealed because the packet never arrived. */
  lost: number;
  /** Current target delay. */
  targetDelayMs: number;
}

export interface RoomMixerApi {
  addSource(sourceId: string, opts: MixerSourceOptions): void;
  removeSource(sourceId: string): void;
  /** Host mute (or a paused producer): the source stops reaching any mix and any room feed. */
  setSourceMuted(sourceId: string, muted: boolean): void;
  /** One received RTP payload (already decrypted, DTMF filtered out). Sequence numbers and timestamps are the RTP ones. */
  pushPacket(sourceId: string, sequenceNumber: number, timestamp: number, payload: Uint8Array, arrivalMs: number): void;
  addLeg(legId: string, opts: MixerLegOptions): void;
  removeLeg(legId: string): void;
  /** One 20 ms tick: play-out from every jitter buffer, pick the loudest, encode every leg's N−1 mix and every SIP source's room feed. */
  mixOnce(nowMs: number): MixFrame;
  jitterStats(sourceId: string): JitterStats | undefined;
  /** Frees codec state. */
  close(): void;
}
