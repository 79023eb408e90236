/**
 * One input of the room mixer: jitter buffer → decoder (native rate, with concealment) → one 20 ms
 * frame per tick, its level for ranking, the mix-rate (16 kHz) copy when it is mixed, and — for a
 * SIP leg's own audio — the Opus room feed.
 */
import { Resampler } from '../codecs/index.js';
import { JitterBuffer } from './jitter-buffer.js';
import { SILENCE_DBOV, levelDbov, rfc6464Level } from './level.js';
import { type OpusEncoderSettings, OpusVoiceEncoder, opusPacketSamples, opusSilenceFrame } from './opus.js';
import { createSourceCodec, type SourceCodec } from './source-codec.js';
import type { SpeakerCandidate } from './speaker-selection.js';
import type { AudioCodecName, RoomFeedFrame } from './types.js';

export const MIX_RATE = 16000;
export const MIX_FRAME = MIX_RATE / 50;
/** Concealed frames in a row before a silent source counts as gone (DTX, hold, hang-up). */
const MAX_CONCEAL_FRAMES = 5;
/** Smoothing of the ranking level: fast to rise, slow to fall (per tick, dB domain). */
const SCORE_ATTACK = 0.5;
const SCORE_RELEASE = 0.1;
/** Voice activity: above this level, and for a hangover after it. */
const VOICE_DBOV = -50;
const VOICE_HANGOVER_TICKS = 10;
/**
 * Room feeds are discontinuous in silence (like a browser's Opus DTX) and for callers who are not
 * among the room's loudest: only one frame in this many is sent, keeping the stream and its level
 * (RFC 6464, what the SFU's active-speaker view reads) alive. That frame is a shared, pre-encoded
 * Opus silence frame, not the caller's audio: nobody is meant to hear a caller outside the loudest
 * (a 20 ms snippet every 400 ms would only be a blip), so such a caller costs no Opus encode.
 */
const SILENT_FEED_EVERY_TICKS = 20;

export interface MixerSourceConfig {
  id: string;
  codec: AudioCodecName;
  origin: 'room' | 'leg';
  minDelayMs: number;
  maxDelayMs: number;
  opus: OpusEncoderSettings;
}

export class MixerSource implements SpeakerCandidate {
  readonly id: string;
  readonly origin: 'room' | 'leg';
  readonly jitter: JitterBuffer;
  muted = false;
  /**
   * Decode this tick? The mixer turns it off for room sources it does not need to hear (big
   * rooms, see RoomMixer); the schedule still advances, only the decode is saved.
   */
  decode = true;
  /** Smoothed payload size (bytes): Opus VBR packets grow with loudness, a cheap pre-filter. */
  packetBytes = 0;
  // SpeakerCandidate
  score = SILENCE_DBOV;
  eligible = false;
  challengeTicks = 0;
  /** In the mix this tick (set by the mixer's room-feed ranking). */
  mixedNow = false;

  /** This tick's frame at the native rate (valid when `hasFrame`). */
  frame: Int16Array;
  hasFrame = false;
  /** This tick's level (dBov). */
  levelDb = SILENCE_DBOV;

  private readonly codec: SourceCodec;
  private readonly codecName: AudioCodecName;
  private readonly frameSamples: number;
  private prevFrame: Int16Array;
  private hadFrameLastTick = false;
  private readonly lastGood: Int16Array;
  /** Decoded audio not yet played (packets longer than a tick). */
  private readonly fifo: Int16Array;
  private fifoLen = 0;
  private concealCount = 0;
  private voiceHang = 0;
  private silentFeedTicks = 0;

  private readonly upsampler: Resampler | null;
  private readonly mixFrameBuf = new Int16Array(MIX_FRAME);
  private readonly primeScratch = new Int16Array(MIX_FRAME);
  private mixFrameTick = -1;
  private upsampledTick = -1;

  private readonly opusSettings: OpusEncoderSettings;
  private feedEncoder: OpusVoiceEncoder | null = null;
  /** The room feed frame rewritten every tick when the mixer reuses its output. */
  private feedOut: RoomFeedFrame | null = null;

  constructor(cfg: MixerSourceConfig) {
    this.id = cfg.id;
    this.origin = cfg.origin;
    this.codecName = cfg.codec;
    this.codec = createSourceCodec(cfg.codec);
    const clockRate = cfg.codec === 'opus' ? 48000 : 8000;
    this.jitter = new JitterBuffer({ clockRate, minDelayMs: cfg.minDelayMs, maxDelayMs: cfg.maxDelayMs });
    this.frameSamples = this.codec.rate / 50;
    this.frame = new Int16Array(this.frameSamples);
    this.prevFrame = new Int16Array(this.frameSamples);
    this.lastGood = new Int16Array(this.frameSamples);
    // 120 ms packets plus the tick being assembled.
    this.fifo = new Int16Array((this.codec.rate * 140) / 1000);
    this.upsampler = this.codec.rate === MIX_RATE ? null : new Resampler(this.codec.rate, MIX_RATE);
    this.opusSettings = cfg.opus;
  }

  push(seq: number, ts: number, payload: Uint8Array, arrivalMs: number): void {
    this.packetBytes += 0.3 * (payload.length - this.packetBytes);
    this.jitter.push(seq, ts, payload, arrivalMs);
  }

  /** Play-out for tick `nowMs`: fills `frame`/`hasFrame`/`levelDb`/`eligible` and the ranking score. */
  pull(nowMs: number): void {
    const tmp = this.prevFrame;
    this.prevFrame = this.frame;
    this.frame = tmp;
    this.hadFrameLastTick = this.hasFrame;
    this.hasFrame = false;

    const N = this.frameSamples;
    const codec = this.codec;
    while (this.fifoLen < N) {
      const p = this.jitter.take(nowMs, (this.fifoLen * 1000) / codec.rate);
      if (!p) break;
      if (p.restart) codec.reset();
      if (this.muted || !this.decode) {
        // Keep the schedule moving without spending a decode on audio nobody hears.
        this.jitter.played(p, this.packetDurationTs(p.payload));
        continue;
      }
      const n = codec.decode(p.payload, this.fifo, this.fifoLen);
      if (n < 0) {
        // Malformed: conceal its time as if it were lost.
        codec.conceal(this.fifo, this.fifoLen, N, this.concealCount, this.lastGood);
        this.fifoLen += N;
        this.jitter.played(p, N * codec.clockPerSample);
        this.concealCount++;
        continue;
      }
      this.fifoLen += n;
      this.jitter.played(p, n * codec.clockPerSample);
      this.concealCount = 0;
    }

    if (this.muted || !this.decode) {
      this.fifoLen = 0;
      this.concealCount = 0;
      this.finishTick(false);
      return;
    }
    if (this.fifoLen >= N) {
      this.frame.set(this.fifo.subarray(0, N));
      this.fifo.copyWithin(0, N, this.fifoLen);
      this.fifoLen -= N;
      if (this.concealCount === 0) this.lastGood.set(this.frame);
      this.finishTick(true);
      return;
    }
    if (this.jitter.playing && this.concealCount < MAX_CONCEAL_FRAMES) {
      const missing = N - this.fifoLen;
      codec.conceal(this.fifo, this.fifoLen, missing, this.concealCount, this.lastGood);
      this.jitter.concealed(missing * codec.clockPerSample);
      this.concealCount++;
      this.frame.set(this.fifo.subarray(0, N));
      this.fifoLen = 0;
      this.finishTick(true);
      return;
    }
    this.fifoLen = 0;
    this.finishTick(false);
  }

  private finishTick(hasFrame: boolean): void {
    this.hasFrame = hasFrame;
    this.eligible = hasFrame;
    this.levelDb = hasFrame ? levelDbov(this.frame) : SILENCE_DBOV;
    const alpha = this.levelDb > this.score ? SCORE_ATTACK : SCORE_RELEASE;
    this.score += alpha * (this.levelDb - this.score);
    if (this.levelDb >= VOICE_DBOV) this.voiceHang = VOICE_HANGOVER_TICKS;
    else if (this.voiceHang > 0) this.voiceHang--;
  }

  /** This tick's frame at the mix rate (resampled at most once per tick; primed after a pause). */
  mixFrame(tick: number): Int16Array {
    if (!this.upsampler) return this.frame;
    if (this.mixFrameTick === tick) return this.mixFrameBuf;
    // The resampler's history is last tick's input only if it ran last tick; otherwise run it
    // over last tick's frame first so the join has no click.
    if (this.upsampledTick !== tick - 1) {
      if (this.hadFrameLastTick) this.upsampler.process(this.prevFrame, this.primeScratch);
      else this.upsampler.reset();
    }
    this.upsampler.process(this.frame, this.mixFrameBuf);
    this.upsampledTick = tick;
    this.mixFrameTick = tick;
    return this.mixFrameBuf;
  }

  /**
   * The room feed for this tick (leg sources with audio, not muted), else null. Every tick while
   * the caller talks and is among the room's loudest callers (`loud`); otherwise now and then.
   */
  roomFeed(loud: boolean, reuse = false): RoomFeedFrame | null {
    if (this.origin !== 'leg' || !this.hasFrame || this.muted) return null;
    let payload: Uint8Array;
    if (this.voiceHang > 0 && loud) {
      this.silentFeedTicks = 0;
      this.feedEncoder ??= new OpusVoiceEncoder(this.codec.rate, this.opusSettings);
      payload = this.feedEncoder.encode(this.frame);
    } else if (this.silentFeedTicks++ % SILENT_FEED_EVERY_TICKS === 0) {
      payload = opusSilenceFrame(this.codec.rate);
    } else return null;
    const audioLevel = rfc6464Level(this.levelDb);
    const voiceActivity = this.voiceHang > 0;
    if (!reuse) return { sourceId: this.id, payload, audioLevel, voiceActivity };
    const f = (this.feedOut ??= { sourceId: this.id, payload, audioLevel, voiceActivity });
    f.payload = payload;
    f.audioLevel = audioLevel;
    f.voiceActivity = voiceActivity;
    return f;
  }

  private packetDurationTs(payload: Uint8Array): number {
    switch (this.codecName) {
      case 'PCMU':
      case 'PCMA':
      case 'G722':
        return payload.length; // one byte per 8 kHz clock tick for all three
      case 'opus':
        return opusPacketSamples(payload, 48000) || 960;
    }
  }
}
