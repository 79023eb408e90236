import fc from 'fast-check';
import sdpTransform from 'sdp-transform';
import { describe, expect, it } from 'vitest';
import { BARESIP_OFFER, DESK_PHONE_OFFER, SAVP_TWO_CRYPTO_OFFER, SIPP_OFFER, VIDEO_CALL_OFFER } from './fixtures.test-support.js';
import { applyAnswer, buildAnswer, buildOffer, negotiateOffer, newOrigin, SDP_REFUSAL_REASONS, type NegotiateResult } from './index.js';

const FIXTURES = [BARESIP_OFFER, SIPP_OFFER, DESK_PHONE_OFFER, SAVP_TWO_CRYPTO_OFFER, VIDEO_CALL_OFFER];
const LOCAL = { ip: '127.0.0.1', rtpPort: 20000, rtcpPort: 20001 };

/** Whatever came in, the result is a well-formed answer or a well-formed refusal. */
function checkResult(offer: string, r: NegotiateResult): void {
  if (!r.ok) {
    expect([400, 488]).toContain(r.status);
    expect(SDP_REFUSAL_REASONS).toContain(r.reason);
    expect(r.warning).toMatch(/^3\d\d convene "[^"\r\n]*"$/);
    return;
  }
  const answer = sdpTransform.parse(buildAnswer({ negotiated: r, local: LOCAL, origin: newOrigin() }));
  expect(answer.media).toHaveLength(sdpTransform.parse(offer).media.length);
  expect(answer.media.filter((m) => m.port !== 0)).toHaveLength(1);
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
      fc.property(fc.string({ maxLength: 400 }), fc.constantFrom('udp', 'tcp', 'tls') as fc.Arbitrary<'udp' | 'tcp' | 'tls'>, (s, transport) => {
        checkResult(s, negotiateOffer('v=0\r\n' + s, { transport }));
        checkResult(s, negotiateOffer(s, { transport }));
      }),
      { numRuns: 300 },
    );
  });

  it('mutated real offers, and as answers to our late offer', () => {
    const { pending } = buildOffer({ transport: 'tls', local: LOCAL, origin: newOrigin(), srtp: true });
    fc.assert(
      fc.property(mutatedOffer, fc.constantFrom('udp', 'tls') as fc.Arbitrary<'udp' | 'tls'>, (offer, transport) => {
        checkResult(offer, negotiateOffer(offer, { transport }));
        const a = applyAnswer(offer, pending);
        if (!a.ok) expect(a.warning).toMatch(/^3\d\d convene "/);
      }),
      { numRuns: 500 },
    );
  });
});
