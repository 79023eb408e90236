import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readWav, toneShares, writeToneWav } from '../../test/support/audio-analysis.js';
import type { BaresipCaller } from '../../test/support/baresip-caller.js';
import { useBaresipCalls } from '../../test/support/baresip-calls.js';
import { fakeMicArgs, joinWithForm, launchChromium } from '../../test/support/browser.js';
import { eventually } from '../../test/support/convene-process.js';
import { createCompany, createRoom } from '../../test/support/service-fixture.js';
import { buildWebApp } from '../build.mjs';

/**
 * The acceptance scene, with real peers end to end: two baresip phones call the meeting
 * through the SIP gateway — one sends a 500 Hz tone over G.711 µ-law, the other 1,300 Hz over G.722 —
 * and a Chromium participant (joined through the web app) sends 800 Hz from a fake microphone file.
 * The browser hears both callers; each caller hears the other caller and the browser, never itself
 * (mix-minus). Then the host mutes one caller from the web app (the other stops hearing it) and
 * removes it (its call ends with BYE; its call record says removed_by_host).
 */
const A_HZ = 500;
const B_HZ = 1300;
const BROWSER_HZ = 800;

// The node serves web/dist, so the web app is built before it starts.
const calls = useBaresipCalls({ name: 'sip-audio-', before: buildWebApp, timeoutMs: 120_000 });
let browser: Browser;

beforeAll(async () => {
  const browserTone = path.join(calls.dir, 'browser-800.wav');
  writeToneWav(browserTone, BROWSER_HZ, 120, 48000, 0.4);
  browser = await launchChromium({ args: fakeMicArgs(browserTone) });
});

afterAll(async () => {
  await browser?.close();
});

/** What the page hears from all its remote audio: the loudest level (dBFS) near each frequency, and the median level of the spectrum. */
function pageHears(page: Page, freqs: number[]): Promise<{ levels: number[]; floor: number }> {
  return page.evaluate(async (fs) => {
    const streams = [...document.querySelectorAll('audio')].map((e) => e.srcObject).filter((s): s is MediaStream => s instanceof MediaStream);
    const ctx = new AudioContext();
    await ctx.resume();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 8192;
    analyser.smoothingTimeConstant = 0;
    for (const s of streams) ctx.createMediaStreamSource(s).connect(analyser);
    const bins = new Float32Array(analyser.frequencyBinCount);
    const hz = ctx.sampleRate / analyser.fftSize;
    const levels = fs.map(() => -Infinity);
    const floors: number[] = [];
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      analyser.getFloatFrequencyData(bins);
      fs.forEach((f, j) => {
        const b = Math.round(f / hz);
        levels[j] = Math.max(levels[j]!, bins[b - 1]!, bins[b]!, bins[b + 1]!);
      });
      const sorted = [...bins].filter(Number.isFinite).sort((x, y) => x - y);
      floors.push(sorted[Math.floor(sorted.length / 2)] ?? -200);
    }
    await ctx.close();
    floors.sort((x, y) => x - y);
    return { levels, floor: floors[Math.floor(floors.length / 2)]! };
  }, freqs);
}

/** Shares of each tone in the last `seconds` of what a caller heard (its sndfile dump). */
function heard(caller: BaresipCaller, seconds: number): Record<number, number> {
  const file = caller.heardWav();
  if (!file) throw new Error(`no recording yet in ${caller.dir}:\n${caller.output().slice(-2000)}`);
  const pcm = readWav(file);
  const from = Math.max(0, pcm.samples.length - Math.round(seconds * pcm.rate));
  return toneShares({ rate: pcm.rate, samples: pcm.samples.subarray(from) }, [A_HZ, B_HZ, BROWSER_HZ]);
}

/**
 * A tone "is heard" when it holds more than 0.3 % of the recording's power (about −25 dB of the
 * mix: Chromium's noise suppression turns a steady test tone well down), and "is not" below
 * 0.05 % — a caller's own tone measures around 0.0005 % when mix-minus works, and 30 %+ when not.
 */
const PRESENT = 0.003;
const ABSENT = 0.0005;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIP callers and a browser in one meeting', () => {
  it('everyone hears everyone else and nobody hears themselves; the host mutes and removes a caller from the web app', async () => {
    const { f, dir } = calls;
    const companyId = await createCompany(f);
    const room = await createRoom(f, companyId);
    const sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;

    // The browser joins through the join form (no PIN: everyone is host).
    const { page, context, errors: pageErrors } = await joinWithForm(browser, `${f.httpUrl}/`, { address: room.address, name: 'Browser Bea', mode: 'audio-only' });
    await page.getByTestId('tab-people').click();

    // Two phones: µ-law at 500 Hz and G.722 at 1,300 Hz.
    const toneA = path.join(dir, 'a-500.wav');
    const toneB = path.join(dir, 'b-1300.wav');
    writeToneWav(toneA, A_HZ, 120, 8000, 0.4);
    writeToneWav(toneB, B_HZ, 120, 16000, 0.4);
    const a = await calls.startCaller({ user: 'phone-a', displayName: 'Phone A', sourceWav: toneA, audioCodecs: ['PCMU'] });
    const b = await calls.startCaller({ user: 'phone-b', displayName: 'Phone B', sourceWav: toneB, audioCodecs: ['G722/16000/1'] });
    const target = `sip:${room.address.split('@')[0]}@127.0.0.1:${sipPort}`;
    await a.dial(target);
    await b.dial(target);

    const rosterEntry = (name: string) => page.locator('[data-testid="roster-item"]', { hasText: name });
    try {
      await rosterEntry('Phone A').waitFor({ timeout: 30_000 });
      await rosterEntry('Phone B').waitFor({ timeout: 30_000 });
    } catch (err) {
      throw new Error(`the callers did not join:\n--- A ---\n${a.output().slice(-3000)}\n--- B ---\n${b.output().slice(-3000)}`, { cause: err });
    }
    expect(await rosterEntry('Phone A').getAttribute('data-kind')).toBe('sip');
    expect(await rosterEntry('Phone A').getByTestId('participant-address').textContent()).toBe('phone-a@127.0.0.1');

    // Let audio flow, then listen.
    await eventually(() => a.heardWav() !== null && b.heardWav() !== null, 20_000);
    await sleep(6000);

    const inBrowser = await pageHears(page, [A_HZ, B_HZ, BROWSER_HZ]);
    expect(inBrowser.levels[0]!, 'the browser hears phone A').toBeGreaterThan(inBrowser.floor + 25);
    expect(inBrowser.levels[1]!, 'the browser hears phone B').toBeGreaterThan(inBrowser.floor + 25);
    // Its own tone is not sent back: at most codec noise, far below the callers' tones.
    expect(inBrowser.levels[2]!, 'the browser does not hear itself').toBeLessThan(Math.min(inBrowser.levels[0]!, inBrowser.levels[1]!) - 30);

    const heardByA = heard(a, 4);
    const heardByB = heard(b, 4);
    expect(heardByA[B_HZ], 'A hears B').toBeGreaterThan(PRESENT);
    expect(heardByA[BROWSER_HZ], 'A hears the browser').toBeGreaterThan(PRESENT);
    expect(heardByA[A_HZ], 'A does not hear itself').toBeLessThan(ABSENT);
    expect(heardByB[A_HZ], 'B hears A').toBeGreaterThan(PRESENT);
    expect(heardByB[BROWSER_HZ], 'B hears the browser').toBeGreaterThan(PRESENT);
    expect(heardByB[B_HZ], 'B does not hear itself').toBeLessThan(ABSENT);

    // The host mutes phone A from the roster: the roster shows it, and B stops hearing A.
    await rosterEntry('Phone A').getByTestId('host-mute').click();
    await expect.poll(() => rosterEntry('Phone A').getAttribute('data-muted'), { timeout: 10_000 }).toBe('true');
    await sleep(4000);
    const afterMute = heard(b, 2.5);
    expect(afterMute[A_HZ], 'B no longer hears muted A').toBeLessThan(ABSENT);
    expect(afterMute[BROWSER_HZ], 'B still hears the browser').toBeGreaterThan(PRESENT);

    // The host removes phone A: its call ends with BYE, the roster drops it, its record says so.
    await rosterEntry('Phone A').getByTestId('host-disconnect').click();
    await page.getByTestId('host-disconnect-confirm').click();
    await expect.poll(() => rosterEntry('Phone A').count(), { timeout: 10_000 }).toBe(0);
    await eventually(() => /terminated|closed|BYE/i.test(a.output()), 10_000);
    await eventually(async () => {
      const cdrs = (await f.api<{ items: { participantKind?: string; displayName: string; endReason: string | null }[] }>('GET', `/companies/${companyId}/calls?vmrId=${room.id}`)).items;
      return cdrs.some((c) => c.displayName === 'Phone A' && c.endReason === 'removed_by_host');
    }, 10_000);

    await b.hangup();
    expect(pageErrors).toEqual([]);
    await context.close();
  });
});
