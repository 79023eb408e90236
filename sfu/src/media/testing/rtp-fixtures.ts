/**
 * Builds producer RTP parameters the way a browser's mediasoup-client would, from a router's RTP
 * capabilities: Opus with FEC/DTX, VP8 with 3-layer simulcast (rid-based, with RTX), H.264.
 * For tests that exercise the SFU without a browser.
 */
import { randomInt } from 'node:crypto';
import type { RtpCapabilities, RtpCodecCapability, RtpParameters } from 'mediasoup/node/lib/types.js';

let midSeq = 0;

function codec(caps: RtpCapabilities, mimeType: string): RtpCodecCapability & { preferredPayloadType: number } {
  const c = caps.codecs?.find((x) => x.mimeType.toLowerCase() === mimeType.toLowerCase());
  if (!c || c.preferredPayloadType === undefined) throw new Error(`router offers no ${mimeType}`);
  return c as RtpCodecCapability & { preferredPayloadType: number };
}

function rtxFor(caps: RtpCapabilities, payloadType: number): number | undefined {
  return caps.codecs?.find((x) => x.mimeType.toLowerCase().endsWith('/rtx') && x.parameters?.apt === payloadType)?.preferredPayloadType;
}

function extensions(caps: RtpCapabilities, kind: 'audio' | 'video', uris: string[]): RtpParameters['headerExtensions'] {
  return (caps.headerExtensions ?? [])
    .filter((h) => h.kind === kind && uris.includes(h.uri))
    .map((h) => ({ uri: h.uri, id: h.preferredId, encrypt: false, parameters: {} }));
}

export function opusParameters(caps: RtpCapabilities): RtpParameters {
  const opus = codec(caps, 'audio/opus');
  return {
    mid: String(midSeq++),
    codecs: [
      {
        mimeType: opus.mimeType,
        payloadType: opus.preferredPayloadType,
        clockRate: 48000,
        channels: 2,
        parameters: { useinbandfec: 1, usedtx: 1, minptime: 10 },
        rtcpFeedback: [{ type: 'transport-cc', parameter: '' }],
      },
    ],
    headerExtensions: extensions(caps, 'audio', [
      'urn:ietf:params:rtp-hdrext:sdes:mid',
      'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
      'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    ]),
    encodings: [{ ssrc: randomInt(1, 2 ** 31), dtx: true }],
    rtcp: { cname: 'test', reducedSize: true },
  };
}

/** VP8; `layers` = 3 gives rid simulcast r0/r1/r2 (low → high, 150k/500k/1.2M like a browser would set). */
export function vp8Parameters(caps: RtpCapabilities, layers = 3): RtpParameters {
  const vp8 = codec(caps, 'video/VP8');
  const rtx = rtxFor(caps, vp8.preferredPayloadType);
  const maxBitrates = [150_000, 500_000, 1_200_000].slice(-layers);
  return {
    mid: String(midSeq++),
    codecs: [
      { mimeType: vp8.mimeType, payloadType: vp8.preferredPayloadType, clockRate: 90000, parameters: {}, rtcpFeedback: vp8.rtcpFeedback ?? [] },
      ...(rtx !== undefined ? [{ mimeType: 'video/rtx', payloadType: rtx, clockRate: 90000, parameters: { apt: vp8.preferredPayloadType }, rtcpFeedback: [] }] : []),
    ],
    headerExtensions: extensions(caps, 'video', [
      'urn:ietf:params:rtp-hdrext:sdes:mid',
      'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
      'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
      'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
      'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
    ]),
    encodings:
      layers === 1
        ? [{ ssrc: randomInt(1, 2 ** 31), ...(rtx !== undefined ? { rtx: { ssrc: randomInt(1, 2 ** 31) } } : {}) }]
        : maxBitrates.map((maxBitrate, i) => ({ rid: `r${i}`, scalabilityMode: 'L1T3', maxBitrate })),
    rtcp: { cname: 'test', reducedSize: true },
  };
}

/** H.264 constrained baseline (what SIP room systems send), single stream. */
export function h264Parameters(caps: RtpCapabilities): RtpParameters {
  const h264 = codec(caps, 'video/H264');
  return {
    mid: String(midSeq++),
    codecs: [
      {
        mimeType: h264.mimeType,
        payloadType: h264.preferredPayloadType,
        clockRate: 90000,
        parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
        rtcpFeedback: h264.rtcpFeedback ?? [],
      },
    ],
    headerExtensions: extensions(caps, 'video', ['urn:ietf:params:rtp-hdrext:sdes:mid']),
    encodings: [{ ssrc: randomInt(1, 2 ** 31) }],
    rtcp: { cname: 'test', reducedSize: true },
  };
}

/** A client that can receive everything the router offers (what a Chrome device reports, roughly). */
export function clientCapabilities(caps: RtpCapabilities): RtpCapabilities {
  return structuredClone(caps);
}

/** A client without VP8 (e.g. an H.264-only room system). */
export function capabilitiesWithout(caps: RtpCapabilities, mimeType: string): RtpCapabilities {
  const copy = structuredClone(caps);
  const dropped = new Set(copy.codecs?.filter((c) => c.mimeType.toLowerCase() === mimeType.toLowerCase()).map((c) => c.preferredPayloadType));
  copy.codecs = copy.codecs?.filter((c) => c.mimeType.toLowerCase() !== mimeType.toLowerCase() && !dropped.has(c.parameters?.apt as number));
  return copy;
}

/**
 * One VP8 RTP payload carrying a whole (fake) frame, as a browser's packetizer would start it: the
 * payload descriptor with a 15-bit picture id, TL0PICIDX and TID 0, then the VP8 frame tag (bit 0
 * clear = key frame) padded to `size` bytes. Enough for mediasoup to see key frames and switch layers.
 */
export function vp8Payload(pictureId: number, keyFrame: boolean, size: number): Buffer {
  const p = Buffer.alloc(Math.max(size, 16), 0xab);
  p[0] = 0x90; // X, S, partition 0
  p[1] = 0xe0; // I, L, T
  p[2] = 0x80 | ((pictureId >> 8) & 0x7f);
  p[3] = pictureId & 0xff;
  p[4] = pictureId & 0xff; // TL0PICIDX (every frame is TL0)
  p[5] = 0x00; // TID 0
  p[6] = keyFrame ? 0x00 : 0x01;
  return p;
}
