/**
 * One output of the room mixer: a SIP leg's encoder state. Legs that hear the shared mix (their
 * own source is not being mixed) share work: G.711 legs share one payload per law (made by the
 * mixer); G.722 and Opus encoders are stateful so each leg encodes its own.
 */
import { G722Encoder, Resampler, encodeAlaw, encodeUlaw } from '../codecs/index.js';
import { MIX_FRAME, MIX_RATE } from './mixer-source.js';
import { type OpusEncoderSettings, OpusVoiceEncoder } from './opus.js';
import type { AudioCodecSpec, LegFrame } from './types.js';

const G711_FRAME = 160;

export class MixerLeg {
  readonly id: string;
  readonly codec: AudioCodecSpec;
  readonly ownSourceId: string | undefined;
  /** RTP timestamp increment per frame in the leg's clock. */
  readonly samples: number;
  private readonly g722: G722Encoder | null;
  private readonly opus: OpusVoiceEncoder | null;
  /** Mix-minus 16 → 8 kHz for a G.711 leg while its own source is mixed. */
  private readonly downsampler: Resampler | null;
  private readonly scratch8: Int16Array | null;
  private ownMixTick = -1;
  /** With reuse: this leg's LegFrame and payload buffers, rewritten every tick. */
  readonly frameOut: LegFrame;
  private readonly payloadOut: Uint8Array | null;

  constructor(id: string, codec: AudioCodecSpec, ownSourceId: string | undefined, opus: OpusEncoderSettings, reuse = false) {
    this.id = id;
    this.codec = codec;
    this.ownSourceId = ownSourceId;
    this.samples = codec.clockRate / 50;
    const g711 = codec.name === 'PCMU' || codec.name === 'PCMA';
    this.g722 = codec.name === 'G722' ? new G722Encoder() : null;
    this.opus = codec.name === 'opus' ? new OpusVoiceEncoder(MIX_RATE, opus) : null;
    this.downsampler = g711 ? new Resampler(MIX_RATE, 8000) : null;
    this.scratch8 = g711 ? new Int16Array(G711_FRAME) : null;
    this.frameOut = { legId: id, payload: new Uint8Array(0), samples: this.samples };
    // G.711 (own mix-minus) and G.722 payloads are 160 bytes per 20 ms; Opus comes from the binding.
    this.payloadOut = reuse && codec.name !== 'opus' ? new Uint8Array(G711_FRAME) : null;
  }

  get isG711(): boolean {
    return this.downsampler !== null;
  }

  /** Encode the shared 16 kHz mix (G.722/Opus legs; G.711 legs take the mixer's shared payload). */
  encodeShared(mix16: Int16Array): Uint8Array {
    return this.encode16(mix16);
  }

  /**
   * Encode this leg's own mix-minus at tick `tick`. `previousShared` is last tick's shared mix: a
   * G.711 leg's downsampler that did not run last tick is primed with it so the switch is seamless.
   */
  encodeOwn(mix16: Int16Array, tick: number, previousShared: Int16Array): Uint8Array {
    if (this.downsampler && this.scratch8) {
      if (this.ownMixTick !== tick - 1) this.downsampler.process(previousShared, this.scratch8);
      this.ownMixTick = tick;
      this.downsampler.process(mix16, this.scratch8);
      return encodeG711(this.codec.name, this.scratch8, this.payloadOut ?? undefined);
    }
    this.ownMixTick = tick;
    return this.encode16(mix16);
  }

  private encode16(mix16: Int16Array): Uint8Array {
    if (this.g722) {
      const out = this.payloadOut ?? new Uint8Array(MIX_FRAME / 2);
      this.g722.encode(mix16, out);
      return out;
    }
    if (this.opus) return this.opus.encode(mix16);
    throw new Error('G.711 legs use the shared payload');
  }
}

/** The G.711 payload of an 8 kHz frame, in `into` when given (its first pcm8.length bytes), else fresh. */
export function encodeG711(law: string, pcm8: Int16Array, into?: Uint8Array): Uint8Array {
  const out = into && into.length === pcm8.length ? into : new Uint8Array(pcm8.length);
  if (law === 'PCMA') encodeAlaw(pcm8, out);
  else encodeUlaw(pcm8, out);
  return out;
}
