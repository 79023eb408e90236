import path from 'node:path';
import sdpTransform from 'sdp-transform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { writeToneWav } from '../../test/support/audio-analysis.js';
import type { BaresipCaller } from '../../test/support/baresip-caller.js';
import { useBaresipCalls } from '../../test/support/baresip-calls.js';
import { fakeMicArgs, joinWithForm, launchChromium } from '../../test/support/browser.js';
import { eventually } from '../../test/support/convene-process.js';
import { createRoom } from '../../test/support/service-fixture.js';
import { buildWebApp } from '../build.mjs';

/**
 * Endpoint licence tiers on the media path (issue #10): two provisioned room systems (real baresip,
 * registered with their provisioning credentials, H.264 video) of one company call a meeting where a
 * Chromium participant sends its camera (3-layer H.264 simulcast).
 * - Basic (768 kbps): our answer says b=TIAS:768000 for the call, the engine tells it by RTCP TMMBR
 *   to send no more than its video share, and what we forward to it over 30 s stays under 768 kbps
 *   (+10 %), from the 360p layer.
 * - Premium (4 Mbps): b=TIAS:4000000, and it gets the browser's top layer.
 * - An unregistered room system calling the same room gets the company's policy (here 2000 kbps).
 */
// The node serves web/dist, so the web app is built before it starts.
const calls = useBaresipCalls({ name: 'sip-video-tiers-', before: buildWebApp, timeoutMs: 120_000 });
let browser: Browser;

beforeAll(async () => {
  // The browser talks all along (a steady tone from its fake mic): it is the active speaker the room systems see.
  const talk = path.join(calls.dir, 'browser-talk.wav');
  writeToneWav(talk, 800, 120, 48000, 0.4);
  browser = await launchChromium({ args: fakeMicArgs(talk) });
});

afterAll(async () => {
  await browser?.close();
});

async function provisioned(companyId: string, name: string, localPart: string, tier: 'basic' | 'premium'): Promise<{ address: string; username: string; password: string }> {
  const created = await calls.f.api<{ id: string; address: string }>('POST', `/companies/${companyId}/endpoints`, { name, localPart, domain: calls.f.service.admin.config.defaultDomain, tier });
  const prov = await calls.f.api<{ sip: { username: string; password: string } }>('GET', `/companies/${companyId}/endpoints/${created.id}/provisioning`);
  return { address: created.address, username: prov.sip.username, password: prov.sip.password };
}

/** The session-level and video b= of the SDP we sent the call. */
function answerBandwidth(sdp: string): { session: Record<string, number>; video: Record<string, number> } {
  const parsed = sdpTransform.parse(sdp);
  const toMap = (b: { type: string; limit: number | string }[] | undefined) => Object.fromEntries((b ?? []).map((x) => [x.type, Number(x.limit)]));
  return { session: toMap(parsed.bandwidth), video: toMap(parsed.media.find((m) => m.type === 'video' && m.port !== 0)?.bandwidth) };
}

describe('endpoint tiers on the video media path', () => {
  it('Basic gets b=TIAS:768000, TMMBR and under 768 kbps forwarded over 30 s; Premium gets 4 Mbps and the top layer', async () => {
    const { f, dir } = calls;
    const company = await f.api<{ id: string }>('POST', '/companies', { name: 'Tiered Rooms Co' });
    for (const planType of ['enterprise_user', 'endpoint_basic', 'endpoint_premium']) {
      await f.api('POST', `/companies/${company.id}/plans`, {
        planType, quantity: 2, pricePerLicenceCents: 500, currency: 'EUR', paymentPlan: 'monthly', autoRenew: true, costCenter: 'av', references: '', reference: 'test',
      });
    }
    const basic = await provisioned(company.id, 'Huddle Basic', 'huddle.basic', 'basic');
    const premium = await provisioned(company.id, 'Boardroom Premium', 'boardroom.premium', 'premium');
    const room = await createRoom(f, company.id);
    await f.api('PATCH', `/companies/${company.id}`, { maxCallBandwidthKbps: 2000 });
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;

    // The browser with its camera.
    const { page, context } = await joinWithForm(browser, `${f.httpUrl}/`, { address: room.address, name: 'Camera Cam', mode: 'video' });

    // The room systems are silent: the browser stays the active speaker, so each shows its camera.
    const tone = path.join(dir, 'silence.wav');
    writeToneWav(tone, 600, 120, 8000, 0);
    const systems: Record<'basic' | 'premium', BaresipCaller> = {} as never;
    const guest = await calls.startCaller({ user: 'visitor-vtc', displayName: 'Visitor VTC', sourceWav: tone, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15 } });
    await guest.dial(`sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`);
    for (const [tier, ep] of [['basic', basic], ['premium', premium]] as const) {
      const caller = await calls.startCaller({
        user: tier, sourceWav: tone, audioCodecs: ['PCMU'], video: { size: '640x360', fps: 15 },
        register: { address: ep.address, username: ep.username, password: ep.password, registrarPort: sipPort },
      });
      systems[tier] = caller;
      await eventually(async () => (await f.service.sipRegistrar.contactsFor(`sip:${ep.address}`)).length > 0, 20_000);
      await caller.dial(`sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`);
    }

    const meeting = () => f.service.meetings.liveMeetings().find((m) => m.room.id === room.id)!;
    const callOf = (name: string) => {
      const p = [...meeting().participants.values()].find((x) => x.displayName === name);
      return p ? f.service.calls.list().find((c) => c.participantId === p.id && c.state === 'in_meeting' && c.video?.showing) : undefined;
    };
    try {
      await eventually(() => callOf('Huddle Basic') !== undefined && callOf('Boardroom Premium') !== undefined, 40_000);
    } catch (err) {
      throw new Error(`the room systems did not get video in the meeting: ${JSON.stringify(f.service.calls.list().map((c) => ({ ...c, localSdp: undefined })))}\n${systems.basic.output().slice(-2000)}`, { cause: err });
    }
    await eventually(() => callOf('Visitor VTC') !== undefined, 20_000);
    const guestCall = callOf('Visitor VTC')!;
    expect(answerBandwidth(guestCall.localSdp!).session.TIAS).toBe(2_000_000);
    expect(guestCall.video!.capBps).toBe(2_000_000 - 64_000);
    const camId = await page.evaluate(() => window.convene.state.participantId);
    // Until the SFU has heard the browser speak there is no active speaker, and a room system may be
    // shown another's camera first: each settles on the browser's.
    const names = ['Visitor VTC', 'Huddle Basic', 'Boardroom Premium'];
    try {
      await eventually(() => names.every((n) => callOf(n)?.video?.showing === camId), 20_000);
    } catch (err) {
      throw new Error(`the room systems do not all show the speaking browser (${camId}): ${JSON.stringify(names.map((n) => callOf(n)?.video?.showing))}`, { cause: err });
    }
    const basicCall = callOf('Huddle Basic')!;
    const premiumCall = callOf('Boardroom Premium')!;

    // Our answers: the call's cap as b=TIAS (payload) and b=AS (with headers) at session level, the video share on the video line.
    const b = answerBandwidth(basicCall.localSdp!);
    expect(b.session.TIAS).toBe(768_000);
    expect(b.session.AS).toBeLessThanOrEqual(800);
    expect(b.video.TIAS).toBe(768_000 - 64_000); // less G.711's 64 kbps
    const p = answerBandwidth(premiumCall.localSdp!);
    expect(p.session.TIAS).toBe(4_000_000);
    expect(basicCall.video!.capBps).toBe(704_000);
    expect(premiumCall.video!.capBps).toBe(3_936_000);

    // Layers: Basic the 360p one (1), Premium the top one (2).
    expect(basicCall.video!.showingLayer).toBe(1);
    expect(premiumCall.video!.showingLayer).toBe(2);

    // 30 s of what we forward to each (engine counters of RTP sent to the caller).
    const before = { basic: (await f.service.calls.videoStats(basicCall.callId))!, premium: (await f.service.calls.videoStats(premiumCall.callId))! };
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 30_000));
    const after = { basic: (await f.service.calls.videoStats(basicCall.callId))!, premium: (await f.service.calls.videoStats(premiumCall.callId))! };
    const seconds = (Date.now() - t0) / 1000;
    const basicBps = ((after.basic.bytesSent - before.basic.bytesSent) * 8) / seconds;
    const premiumBps = ((after.premium.bytesSent - before.premium.bytesSent) * 8) / seconds;
    console.log(`forwarded over ${seconds.toFixed(1)} s: basic ${Math.round(basicBps / 1000)} kbps, premium ${Math.round(premiumBps / 1000)} kbps`);
    expect(basicBps).toBeGreaterThan(0);
    expect(basicBps).toBeLessThanOrEqual(768_000 * 1.1);
    // What the browser's top layer carries depends on its encoder (Chromium sends fewer layers for small captures); it stays under Premium's cap.
    expect(premiumBps).toBeGreaterThan(0);
    expect(premiumBps).toBeLessThanOrEqual(4_000_000 * 1.1);
    // TMMBR told each endpoint its cap.
    expect(after.basic.capBps).toBe(704_000);
    expect(after.basic.capMessagesSent.tmmbr).toBeGreaterThan(0);
    expect(after.premium.capBps).toBe(3_936_000);
    // Both decode what they get.
    expect(systems.basic.videoReceived()).not.toBeNull();
    expect(systems.premium.videoReceived()).not.toBeNull();

    for (const c of [...Object.values(systems), guest]) await c.hangup();
    await eventually(() => f.service.calls.size === 0, 10_000);
    await context.close();
  }, 180_000);
});
