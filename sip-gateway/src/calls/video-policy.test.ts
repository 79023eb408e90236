import { describe, expect, it } from 'vitest';
import { negotiateOffer } from '../media/sdp/index.js';
import { maxResolutionFor, provisionalCapKbps, sdpAskKbps, spatialLayerForCap } from './video-policy.js';

const ROOM = [{ name: 'H264' as const, payloadType: 107 }, { name: 'VP8' as const, payloadType: 101 }];

function offer(extra: { session?: string; video?: string } = {}): string {
  return [
    'v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', ...(extra.session ? [extra.session] : []), 't=0 0',
    'm=audio 5000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000',
    'm=video 5002 RTP/AVP 96', ...(extra.video ? [extra.video] : []), 'a=rtpmap:96 H264/90000', 'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1',
    '',
  ].join('\r\n');
}

function negotiate(sdp: string) {
  const n = negotiateOffer(sdp, { transport: 'udp', video: { codecs: ROOM, callBitrateBps: 4_000_000 } });
  if (!n.ok) throw new Error(n.warning);
  return n;
}

describe('call video policy', () => {
  it("reads the SDP's bandwidth ask: session b=, or audio + the video line's own b=, or nothing", () => {
    expect(sdpAskKbps(negotiate(offer()))).toBeNull();
    expect(sdpAskKbps(negotiate(offer({ session: 'b=TIAS:1024000' })))).toBe(1024);
    // A video line's b=AS:512 (payload ≈ 495 kbps) plus G.711's 64 kbps.
    expect(sdpAskKbps(negotiate(offer({ video: 'b=AS:512' })))).toBe(559);
  });

  it('caps by tier and SDP before the join: Basic 768, Plus 1500, Premium 4000, the lower SDP ask wins', () => {
    expect(provisionalCapKbps('basic', null)).toBe(768);
    expect(provisionalCapKbps('plus', null)).toBe(1500);
    expect(provisionalCapKbps('premium', null)).toBe(4000);
    expect(provisionalCapKbps('premium', 1024)).toBe(1024);
    expect(provisionalCapKbps(null, null)).toBe(4000);
    expect(provisionalCapKbps('basic', 2000)).toBe(768);
  });

  it('chooses the 360p layer up to 900 kbps of video, the top one above, within what the source has', () => {
    expect(spatialLayerForCap(720_000, 3)).toBe(1);
    expect(spatialLayerForCap(900_000, 3)).toBe(1);
    expect(spatialLayerForCap(1_452_000, 3)).toBe(2);
    expect(spatialLayerForCap(3_952_000, 1)).toBe(0);
    expect(spatialLayerForCap(720_000, 2)).toBe(1);
  });

  it('gives 1080p only with a FullHD grant', () => {
    expect(maxResolutionFor(720)).toBe('720p');
    expect(maxResolutionFor(null)).toBe('720p');
    expect(maxResolutionFor(1080)).toBe('1080p');
  });
});
