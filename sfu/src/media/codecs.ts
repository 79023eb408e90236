import * as ortc from 'mediasoup/node/lib/ortc.js';
import type { RtpCapabilities, RtpCodecCapability } from 'mediasoup/node/lib/types.js';

/**
 * The codecs every meeting router offers.
 * - Opus with in-band FEC and DTX: speech survives loss and silence costs almost nothing.
 * - VP8: what browsers simulcast best (3 spatial layers is the client's choice; any VP8 router forwards it).
 * - H.264 constrained baseline 3.1, packetization-mode 1: what SIP room systems send and expect.
 * - G.711 µ-law and A-law, last: what phones and gateways send on RTP legs (the audio mixer
 *   transcodes). Last, so browsers, which pick the router's first audio codec they share, keep Opus.
 */
export const meetingMediaCodecs: RtpCodecCapability[] = [
  {
    kind: 'audio',
    mimeType: 'audio/opus',
    clockRate: 48000,
    channels: 2,
    parameters: { useinbandfec: 1, usedtx: 1 },
  },
  {
    kind: 'video',
    mimeType: 'video/VP8',
    clockRate: 90000,
    parameters: { 'x-google-start-bitrate': 1000 },
  },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: {
      'packetization-mode': 1,
      'profile-level-id': '42e01f',
      'level-asymmetry-allowed': 1,
      'x-google-start-bitrate': 1000,
    },
  },
  { kind: 'audio', mimeType: 'audio/PCMU', clockRate: 8000, channels: 1 },
  { kind: 'audio', mimeType: 'audio/PCMA', clockRate: 8000, channels: 1 },
];

/**
 * The RTP capabilities every meeting router has (codecs with their payload types), without a
 * router: mediasoup derives a router's capabilities from its media codecs alone
 * (`ortc.generateRouterRtpCapabilities`, which `Worker.createRouter` calls), so every router built
 * from `meetingMediaCodecs` has exactly these. Lets the SIP gateway answer video before any meeting exists.
 */
export function meetingRtpCapabilities(): RtpCapabilities {
  return structuredClone((cachedCapabilities ??= ortc.generateRouterRtpCapabilities(meetingMediaCodecs)));
}

let cachedCapabilities: RtpCapabilities | undefined;
