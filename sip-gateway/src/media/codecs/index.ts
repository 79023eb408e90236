/**
 * Public face of the audio codecs used by the room audio mixer for RTP legs: G.711 (PCMU/PCMA),
 * G.722 and the 8/16/48 kHz resampler. Pure, allocation-free per frame, safe to run in worker
 * threads (no I/O, no globals mutated after load).
 */
export { encodeUlaw, decodeUlaw, encodeAlaw, decodeAlaw, ULAW_DECODE_TABLE, ALAW_DECODE_TABLE } from './g711.js';
export { G722Encoder, G722Decoder, g722BytesFor } from './g722.js';
export { Resampler, type ResamplerOptions } from './resampler.js';
