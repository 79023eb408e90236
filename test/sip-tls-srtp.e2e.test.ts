import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWav, toneShares, writeToneWav } from './support/audio-analysis.js';
import type { BaresipCaller } from './support/baresip-caller.js';
import { useBaresipCalls } from './support/baresip-calls.js';
import { eventually } from './support/convene-process.js';
import { createCompany, createRoom } from './support/service-fixture.js';

/**
 * SIP over TLS: the media must be SRTP. A baresip phone calling over TLS with SDES-SRTP is
 * answered with RTP/SAVP and our key, and the two phones in the meeting hear each other through
 * the encrypted legs; a phone offering plain RTP over TLS is refused with 488 and a Warning.
 */
const calls = useBaresipCalls({ name: 'sip-tls-', tls: true });

describe('calls over TLS', () => {
  it('use SRTP both ways (SDES), and plain RTP over TLS is refused with 488', async () => {
    const { f, dir } = calls;
    const room = await createRoom(f, await createCompany(f));
    const target = calls.tlsTarget(room.address);
    const toneA = path.join(dir, 'a.wav');
    const toneB = path.join(dir, 'b.wav');
    writeToneWav(toneA, 600, 60, 8000, 0.4);
    writeToneWav(toneB, 1100, 60, 8000, 0.4);
    const a = await calls.startCaller({ user: 'secure-a', sourceWav: toneA, audioCodecs: ['PCMU'], mediaenc: 'srtp-mand', transport: 'tls' });
    const b = await calls.startCaller({ user: 'secure-b', sourceWav: toneB, audioCodecs: ['PCMU'], mediaenc: 'srtp-mand', transport: 'tls' });
    await a.dial(target);
    await b.dial(target);
    try {
      await eventually(() => f.service.calls.list().filter((c) => c.state === 'in_meeting').length === 2, 30_000);
    } catch (err) {
      throw new Error(`the TLS callers did not join:\n${a.output().slice(-3000)}`, { cause: err });
    }
    for (const c of f.service.calls.list()) expect(c.audio).toMatchObject({ transport: 'tls', srtp: expect.stringMatching(/^AES_CM_128_HMAC_SHA1_(80|32)$/) });

    // Each hears the other through the encrypted legs.
    await eventually(() => a.heardWav() !== null && b.heardWav() !== null, 20_000);
    await new Promise((r) => setTimeout(r, 5000));
    const heard = (c: BaresipCaller) => {
      const pcm = readWav(c.heardWav()!);
      return toneShares({ rate: pcm.rate, samples: pcm.samples.subarray(Math.max(0, pcm.samples.length - 3 * pcm.rate)) }, [600, 1100]);
    };
    expect(heard(a)[1100]).toBeGreaterThan(0.3);
    expect(heard(b)[600]).toBeGreaterThan(0.3);
    await a.hangup();
    await b.hangup();

    // Plain RTP over TLS: 488 with a Warning saying SRTP is required.
    const plain = await calls.startCaller({ user: 'plain-c', sourceWav: toneA, audioCodecs: ['PCMU'], transport: 'tls' });
    await plain.dial(target);
    await eventually(() => /488/.test(plain.output()), 20_000);
    expect(f.service.calls.list().filter((c) => c.state === 'in_meeting')).toHaveLength(0);
  });
});
