/**
 * The room audio mixer (one per meeting with SIP legs): every tick, play out each source's jitter
 * buffer, keep the loudest few, mix them at 16 kHz and give every leg the mix minus its own voice,
 * encoded in its codec; each SIP source also goes back to the room as Opus with its level.
 * Pure and deterministic: time comes only from arrivalMs/nowMs; no I/O, no timers.
 */
import type { Logger } from 'pino';
import { Resampler } from '../codecs/index.js';
import { MixerError } from './errors.js';
import { MixerLeg, encodeG711 } from './mixer-leg.js';
import { MIX_FRAME, MIX_RATE, MixerSource } from './mixer-source.js';
import { DEFAULT_OPUS_SETTINGS, type OpusEncoderSettings } from './opus.js';
import { SPEECH_FLOOR_DBOV, SpeakerSelection } from './speaker-selection.js';
import type {
  AudioCodecName,
  JitterStats,
  LegFrame,
  MixFrame,
  MixerLegOptions,
  MixerSourceOptions,
  RoomFeedFrame,
  RoomMixerApi,
} from './types.js';

export interface RoomMixerOptions {
  /** Sources mixed at once, loudest first (default 4). */
  maxSpeakers?: number;
  logger?: Logger;
  /** Adaptive jitter buffer bounds (default 40–120 ms). */
  jitter?: { minDelayMs?: number; maxDelayMs?: number };
  /** Opus encoder settings for room feeds and Opus legs (default: 24 kbit/s, complexity 1, no FEC). */
  opus?: Partial<OpusEncoderSettings>;
  /**
   * Callers whose voice goes to the room every tick: the loudest this many talking SIP sources
   * (default `maxSpeakers`, what the phones hear; the ones the mixer is mixing come first, so the
   * choice has the mix's hysteresis). The others send a keep-alive room feed only now and then
   * (their level keeps the SFU's active-speaker view current) until they are among the loudest —
   * loudest-N audio forwarding, which keeps the Opus encodes of a 100-phone meeting to the few
   * who can be heard.
   */
  roomFeedSpeakers?: number;
  /**
   * Reuse the returned MixFrame, its arrays, LegFrame/RoomFeedFrame objects and the G.711/G.722
   * payload buffers every tick: they are valid only until the next `mixOnce()`. For a caller that
   * sends each tick's output at once (the media engine) this takes the per-tick garbage off the
   * worker's heap; default off (tests keep frames across ticks).
   */
  reuseFrames?: boolean;
}

const CODECS: readonly AudioCodecName[] = ['opus', 'G722', 'PCMU', 'PCMA'];
/** Up to this many room sources, all are decoded every tick (exact levels, no decoder gaps). */
const DECODE_ALL_ROOM_SOURCES = 8;
/** Beyond it: the mixed ones, contenders within this of the quietest mixed, the largest packets… */
const CONTENDER_RANGE_DB = 10;
const EXTRA_BY_SIZE = 4;
/** …and a few in turn, so a talker is found even when packet sizes say nothing (CBR). */
const ROUND_ROBIN_PER_TICK = 2;
const MAX_PAYLOAD_BYTES = 1500;

export class RoomMixer implements RoomMixerApi {
  private readonly sources = new Map<string, MixerSource>();
  private readonly legs = new Map<string, MixerLeg>();
  private readonly selection: SpeakerSelection<MixerSource>;
  private readonly logger: Logger | undefined;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly opus: OpusEncoderSettings;

  private readonly mix32 = new Int32Array(MIX_FRAME);
  private shared16 = new Int16Array(MIX_FRAME);
  private previousShared16 = new Int16Array(MIX_FRAME);
  private readonly own16 = new Int16Array(MIX_FRAME);
  private readonly shared8 = new Int16Array(MIX_FRAME / 2);
  private readonly sharedDownsampler = new Resampler(MIX_RATE, 8000);
  private tick = 0;
  private closed = false;
  private readonly roomSources: MixerSource[] = [];
  private readonly bySize: MixerSource[] = [];
  private roundRobin = 0;
  /** Room sources decoded in the last tick (metrics, bench). */
  decodedRoomSources = 0;
  private readonly roomFeedSpeakers: number;
  /** This tick's loudest leg sources (by smoothed level), at most roomFeedSpeakers; reused. */
  private readonly loudLegs: (MixerSource | null)[];
  /** Packets dropped before the jitter buffer (unknown source, malformed header fields). */
  droppedPackets = 0;
  private readonly reuse: boolean;
  /** With `reuseFrames`: the one MixFrame and the shared G.711 payloads, rewritten every tick. */
  private readonly frameOut: MixFrame = { legs: [], roomFeeds: [], mixed: [] };
  private readonly sharedAlawOut = new Uint8Array(MIX_FRAME / 2);
  private readonly sharedUlawOut = new Uint8Array(MIX_FRAME / 2);

  constructor(opts: RoomMixerOptions = {}) {
    const maxSpeakers = opts.maxSpeakers ?? 4;
    if (!Number.isInteger(maxSpeakers) || maxSpeakers < 1 || maxSpeakers > 16) {
      throw new MixerError('invalid_options', `maxSpeakers must be an integer in 1..16 (got ${maxSpeakers})`);
    }
    this.minDelayMs = opts.jitter?.minDelayMs ?? 40;
    this.maxDelayMs = opts.jitter?.maxDelayMs ?? 120;
    if (!(this.minDelayMs >= 0 && this.maxDelayMs >= this.minDelayMs && this.maxDelayMs <= 1000)) {
      throw new MixerError('invalid_options', `jitter delays must satisfy 0 ≤ min ≤ max ≤ 1000 ms (got ${this.minDelayMs}, ${this.maxDelayMs})`);
    }
    this.selection = new SpeakerSelection(maxSpeakers);
    this.roomFeedSpeakers = opts.roomFeedSpeakers ?? maxSpeakers;
    if (!Number.isInteger(this.roomFeedSpeakers) || this.roomFeedSpeakers < 1 || this.roomFeedSpeakers > 64) {
      throw new MixerError('invalid_options', `roomFeedSpeakers must be an integer in 1..64 (got ${this.roomFeedSpeakers})`);
    }
    this.loudLegs = new Array<MixerSource | null>(this.roomFeedSpeakers).fill(null);
    this.logger = opts.logger;
    this.opus = { ...DEFAULT_OPUS_SETTINGS, ...opts.opus };
    this.reuse = opts.reuseFrames ?? false;
  }

  addSource(sourceId: string, opts: MixerSourceOptions): void {
    this.assertOpen();
    if (this.sources.has(sourceId)) throw new MixerError('duplicate_source', `source ${sourceId} already exists`);
    if (!CODECS.includes(opts.codec)) throw new MixerError('unsupported_codec', `codec ${String(opts.codec)} is not mixable`);
    this.sources.set(
      sourceId,
      new MixerSource({ id: sourceId, codec: opts.codec, origin: opts.origin, minDelayMs: this.minDelayMs, maxDelayMs: this.maxDelayMs, opus: this.opus }),
    );
    this.logger?.debug({ sourceId, codec: opts.codec, origin: opts.origin }, 'mixer: source added');
  }

  removeSource(sourceId: string): void {
    const source = this.sources.get(sourceId);
    if (!source) return;
    this.sources.delete(sourceId);
    this.selection.remove(source);
  }

  setSourceMuted(sourceId: string, muted: boolean): void {
    const source = this.sources.get(sourceId);
    if (!source) return;
    source.muted = muted;
    if (muted) this.selection.remove(source);
  }

  pushPacket(sourceId: string, sequenceNumber: number, timestamp: number, payload: Uint8Array, arrivalMs: number): void {
    const source = this.sources.get(sourceId);
    if (
      !source ||
      this.closed ||
      !Number.isInteger(sequenceNumber) ||
      sequenceNumber < 0 ||
      sequenceNumber > 0xffff ||
      !Number.isInteger(timestamp) ||
      timestamp < 0 ||
      timestamp > 0xffffffff ||
      !Number.isFinite(arrivalMs) ||
      !(payload instanceof Uint8Array) ||
      payload.length === 0 ||
      payload.length > MAX_PAYLOAD_BYTES
    ) {
      this.droppedPackets++;
      return;
    }
    try {
      const before = source.jitter.resets;
      source.push(sequenceNumber, timestamp, payload, arrivalMs);
      if (source.jitter.resets !== before) this.logger?.debug({ sourceId, sequenceNumber, timestamp }, 'mixer: source stream restarted');
    } catch (err) {
      // Nothing in push should throw; if it does, drop the packet rather than the mixer.
      this.droppedPackets++;
      this.logger?.warn({ err, sourceId }, 'mixer: packet dropped');
    }
  }

  addLeg(legId: string, opts: MixerLegOptions): void {
    this.assertOpen();
    if (this.legs.has(legId)) throw new MixerError('duplicate_leg', `leg ${legId} already exists`);
    const codec = opts.codec;
    if (!CODECS.includes(codec.name)) throw new MixerError('unsupported_codec', `codec ${String(codec.name)} is not mixable`);
    const expectedClock = codec.name === 'opus' ? 48000 : 8000;
    if (codec.clockRate !== expectedClock) {
      throw new MixerError('unsupported_codec', `${codec.name} needs an RTP clock of ${expectedClock} (got ${codec.clockRate})`);
    }
    this.legs.set(legId, new MixerLeg(legId, codec, opts.ownSourceId, this.opus, this.reuse));
    this.logger?.debug({ legId, codec: codec.name, ownSourceId: opts.ownSourceId }, 'mixer: leg added');
  }

  removeLeg(legId: string): void {
    this.legs.delete(legId);
  }

  mixOnce(nowMs: number): MixFrame {
    if (this.closed) return { legs: [], roomFeeds: [], mixed: [] };
    const tick = ++this.tick;

    this.chooseRoomDecodes();
    for (const source of this.sources.values()) source.pull(nowMs);
    this.selection.update(this.sources.values());
    const selected = this.selection.selected;

    const mix32 = this.mix32;
    mix32.fill(0);
    for (const s of selected) {
      const f = s.mixFrame(tick);
      for (let i = 0; i < MIX_FRAME; i++) mix32[i] = mix32[i]! + f[i]!;
    }
    const prev = this.previousShared16;
    this.previousShared16 = this.shared16;
    this.shared16 = prev;
    const shared16 = this.shared16;
    saturate(mix32, null, shared16);

    const reuse = this.reuse;
    const out = reuse ? this.frameOut : { legs: [], roomFeeds: [], mixed: [] };
    const legs: LegFrame[] = out.legs;
    legs.length = 0;
    let sharedUlaw: Uint8Array | null = null;
    let sharedAlaw: Uint8Array | null = null;
    let shared8Ready = false;
    for (const leg of this.legs.values()) {
      const own = leg.ownSourceId === undefined ? undefined : this.sources.get(leg.ownSourceId);
      let payload: Uint8Array;
      if (own && selected.includes(own)) {
        saturate(mix32, own.mixFrame(tick), this.own16);
        payload = leg.encodeOwn(this.own16, tick, this.previousShared16);
      } else if (leg.isG711) {
        if (!shared8Ready) {
          this.sharedDownsampler.process(shared16, this.shared8);
          shared8Ready = true;
        }
        if (leg.codec.name === 'PCMA') payload = sharedAlaw ??= encodeG711('PCMA', this.shared8, reuse ? this.sharedAlawOut : undefined);
        else payload = sharedUlaw ??= encodeG711('PCMU', this.shared8, reuse ? this.sharedUlawOut : undefined);
      } else {
        payload = leg.encodeShared(shared16);
      }
      if (reuse) {
        const f = leg.frameOut;
        f.payload = payload;
        legs.push(f);
      } else legs.push({ legId: leg.id, payload, samples: leg.samples });
    }
    // Keep the shared downsampler's history continuous even on ticks no G.711 leg used it.
    if (!shared8Ready) this.sharedDownsampler.process(shared16, this.shared8);

    const roomFeeds: RoomFeedFrame[] = out.roomFeeds;
    roomFeeds.length = 0;
    this.rankLoudLegs();
    for (const source of this.sources.values()) {
      const feed = source.roomFeed(this.loudLegs.includes(source), reuse);
      if (feed) roomFeeds.push(feed);
    }
    const mixed = out.mixed;
    mixed.length = 0;
    for (const s of selected) mixed.push(s.id);
    return out;
  }

  /**
   * The loudest `roomFeedSpeakers` leg sources with audio this tick: mixed ones first (they passed
   * the selection's hysteresis, so the room hears what the phones hear without flapping at the
   * edge), then by smoothed level. Insertion into a small sorted array.
   */
  private rankLoudLegs(): void {
    const top = this.loudLegs;
    top.fill(null);
    const selected = this.selection.selected;
    for (const s of this.sources.values()) {
      if (s.origin !== 'leg' || !s.hasFrame || s.muted) continue;
      s.mixedNow = selected.includes(s);
      let i = top.length - 1;
      const last = top[i];
      if (last && !louder(s, last)) continue;
      while (i > 0 && (top[i - 1] === null || louder(s, top[i - 1]!))) {
        top[i] = top[i - 1]!;
        i--;
      }
      top[i] = s;
    }
  }

  /**
   * Which room (browser) sources to decode this tick. Ranking needs levels, and the SFU's
   * audio-level extension does not reach us, so small rooms decode every browser. In big rooms
   * only sources that can matter are decoded: the mixed ones, those close to them, the largest
   * recent packets (Opus VBR grows with loudness) and two more in turn.
   */
  private chooseRoomDecodes(): void {
    const room = this.roomSources;
    room.length = 0;
    for (const s of this.sources.values()) if (s.origin === 'room' && !s.muted) room.push(s);
    if (room.length <= DECODE_ALL_ROOM_SOURCES) {
      for (const s of room) s.decode = true;
      this.decodedRoomSources = room.length;
      return;
    }
    const selected = this.selection.selected;
    // A contender could enter the mix: above the speech floor while places are free, else close to the quietest mixed.
    let bar = SPEECH_FLOOR_DBOV;
    if (selected.length >= this.selection.maxSpeakers) {
      bar = Infinity;
      for (const s of selected) bar = Math.min(bar, s.score);
      bar -= CONTENDER_RANGE_DB;
    }
    const bySize = this.bySize;
    bySize.length = 0;
    let decoded = 0;
    for (const s of room) {
      s.decode = selected.includes(s) || (s.score >= bar && s.eligible);
      if (s.decode) decoded++;
      else bySize.push(s);
    }
    bySize.sort((a, b) => b.packetBytes - a.packetBytes);
    for (let i = 0; i < bySize.length && i < EXTRA_BY_SIZE; i++) {
      bySize[i]!.decode = true;
      decoded++;
    }
    for (let i = 0; i < ROUND_ROBIN_PER_TICK; i++) {
      const s = room[this.roundRobin++ % room.length]!;
      if (!s.decode) {
        s.decode = true;
        decoded++;
      }
    }
    this.decodedRoomSources = decoded;
  }

  jitterStats(sourceId: string): JitterStats | undefined {
    const jb = this.sources.get(sourceId)?.jitter;
    if (!jb) return undefined;
    return { late: jb.late, lost: jb.lost, targetDelayMs: jb.targetDelayMs };
  }

  close(): void {
    this.closed = true;
    this.sources.clear();
    this.legs.clear();
    this.selection.selected.length = 0;
  }

  private assertOpen(): void {
    if (this.closed) throw new MixerError('closed', 'mixer is closed');
  }
}

/** Ranking for room feeds: mixed before not mixed, then by smoothed level. */
function louder(a: MixerSource, b: MixerSource): boolean {
  return a.mixedNow !== b.mixedNow ? a.mixedNow : a.score > b.score;
}

/** out = clamp(mix − minus) to int16. */
function saturate(mix: Int32Array, minus: Int16Array | null, out: Int16Array): void {
  for (let i = 0; i < MIX_FRAME; i++) {
    const v = minus ? mix[i]! - minus[i]! : mix[i]!;
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
