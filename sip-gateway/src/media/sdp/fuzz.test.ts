import fc from 'fast-check';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { BARESIP_OFFER, DESK_PHONE_OFFER, SAVP_TWO_CRYPTO_OFFER, SIPP_OFFER, VIDEO_CALL_OFFER } from './fixtures.test-support.js';
import { applyAnswer, buildAnswer, buildOffer, negotiateOffer, newOrigin, SDP_REFUSAL_REASONS, VIDEO_REJECTION_REASONS, type NegotiateContext, type NegotiateResult } from './index.js';
import { BARESIP_VIDEO_OFFER, CISCO_ROOM_OFFER, POLY_GROUP_OFFER, YEALINK_OFFER, modeZeroOffer } from './video-fixtures.test-support.js';

const FIXTURES = [BARESIP_OFFER, SIPP_OFFER, DESK_PHONE_OFFER, SAVP_TWO_CRYPTO_OFFER, VIDEO_CALL_OFFER,
  POLY_GROUP_OFFER, CISCO_ROOM_OFFER, YEALINK_OFFER, BARESIP_VIDEO_OFFER, modeZeroOffer(true)];
const LOCAL = { ip: '127.0.0.1', rtpPort: 20000, rtcpPort: 20001 };
const VIDEO_LOCAL = { main: { ip: '127.0.0.1', rtpPort: 21000, rtcpPort: 21001 }, slides: { ip: '127.0.0.1', rtpPort: 22000, rtcpPort: 22001 } };
const ROOM = [{ name: 'H264' as const, payloadType: 103 }, { name: 'VP8' as const, payloadType: 101 }];
/** Video off (today's calls) or on with a random cap and licence. */
const videoOption: fc.Arbitrary<NegotiateContext['video']> = fc.option(
  fc.record({ codecs: fc.constant(ROOM), callBitrateBps: fc.integer({ min: 0, max: 8_000_000 }), maxResolution: fc.constantFrom('720p' as const, '1080p' as const), slides: fc.boolean() }),
  { nil: undefined },
);

/** Whatever came in, the result is a well-formed answer or a well-formed refusal. */
function checkResult(offer: string, r: NegotiateResult): void {
  if (!r.ok) {
    expect([400, 488]).toContain(r.status);
    expect(SDP_REFUSAL_REASONS).toContain(r.reason);
    expect(r.warning).toMatch(/^3\d\d convene "[^"\r\n]*"$/);
    return;
  }
  const answer = sdpTransform.parse(buildAnswer({ negotiated: r, local: LOCAL, origin: newOrigin(), videoLocal: VIDEO_LOCAL }));
  expect(answer.media).toHaveLength(sdpTransform.parse(offer).media.length);
  expect(answer.media.filter((m) => m.port !== 0)).toHaveLength(1 + r.video.length);
  for (const v of r.video) {
    expect(answer.media[v.index]!.type).toBe('video');
    expect(v.maxBitrateBps).toBeGreaterThanOrEqual(64_000);
  }
  for (const x of r.videoRejected) expect(VIDEO_REJECTION_REASONS).toContain(x.reason);
}

/** Line-level mutations of real offers: drop, duplicate, swap, replace a field with junk. */
const mutatedOffer = fc
  .tuple(
    fc.constantFrom(...FIXTURES),
    fc.array(
      fc.tuple(fc.constantFrom('drop', 'dup', 'swap', 'junk', 'digits'), fc.nat(), fc.oneof(fc.string(), fc.constantFrom('0.0.0.0', '65536', '-1', 'a=crypto:', 'm=audio', '/', '999999999999', 'IN IP6 ::'))),
      { maxLength: 6 },
    ),
  )
  .map(([base, ops]) => {
    const lines = base.split('\r\n');
    for (const [op, at, junk] of ops) {
      const i = at % lines.length;
      if (op === 'drop') lines.splice(i, 1);
      else if (op === 'dup') lines.splice(i, 0, lines[i]!);
      else if (op === 'swap') [lines[i], lines[(i + 1) % lines.length]] = [lines[(i + 1) % lines.length]!, lines[i]!];
      else if (op === 'junk') lines[i] = (lines[i] ?? '').slice(0, (at >> 3) % 12) + junk;
      else lines[i] = (lines[i] ?? '').replace(/\d+/, junk);
    }
    return lines.join('\r\n');
  });

describe('bad SDP never throws', () => {
  it('random strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.constantFrom('udp', 'tcp', 'tls') as fc.Arbitrary<'udp' | 'tcp' | 'tls'>, videoOption, (s, transport, video) => {
        checkResult(s, negotiateOffer('v=0\r\n' + s, { transport, video }));
        checkResult(s, negotiateOffer(s, { transport, video }));
      }),
      { numRuns: 300 },
    );
  });

  it('mutated real offers, and as answers to our late offer', () => {
    const { pending } = buildOffer({ transport: 'tls', local: LOCAL, origin: newOrigin(), srtp: true });
    const withVideo = buildOffer({ transport: 'udp', local: LOCAL, origin: newOrigin(), srtp: false, video: { codecs: ROOM, callBitrateBps: 2_000_000, slides: true, local: VIDEO_LOCAL } }).pending;
    fc.assert(
      fc.property(mutatedOffer, fc.constantFrom('udp', 'tls') as fc.Arbitrary<'udp' | 'tls'>, videoOption, (offer, transport, video) => {
        checkResult(offer, negotiateOffer(offer, { transport, video }));
        for (const p of [pending, withVideo]) {
          const a = applyAnswer(offer, p);
          if (!a.ok) expect(a.warning).toMatch(/^3\d\d convene "/);
          else expect(a.video.length).toBeLessThanOrEqual(p.video?.length ?? 0);
        }
      }),
      { numRuns: 800 },
    );
  });
});
