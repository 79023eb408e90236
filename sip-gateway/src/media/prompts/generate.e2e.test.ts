// Runs the prompt step of setup for real (espeak-ng and sox from Debian) into a temp cache.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePrompts } from '../../../../scripts/prompts.mjs';
import { PROMPT_IDS, PROMPT_RATES, loadPromptSet, type PromptSet } from './index.js';

const CATALOGUE = path.resolve(import.meta.dirname, 'catalogue.json');
let cacheDir: string;
let first: { dir: string; generated: string[] };
let set: PromptSet;
const logs: string[] = [];

beforeAll(() => {
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-prompt-cache-'));
  first = ensurePrompts({ cataloguePath: CATALOGUE, cacheDir, log: (m) => logs.push(m) });
  set = loadPromptSet(first.dir);
}, 120_000);
afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

/** dBFS of the RMS of a span of samples. */
function rmsDb(s: Int16Array, from = 0, to = s.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += (s[i]! / 32768) ** 2;
  return 10 * Math.log10(sum / Math.max(1, to - from));
}

describe('IVR prompt generation (espeak-ng + sox)', () => {
  it('generates every prompt of the catalogue at 8, 16 and 48 kHz into <cache>/prompts/<key>/ with a manifest', () => {
    expect(first.generated.sort()).toEqual([...PROMPT_IDS].sort());
    expect(path.dirname(first.dir)).toBe(path.join(cacheDir, 'prompts'));
    const manifest = JSON.parse(fs.readFileSync(path.join(first.dir, 'manifest.json'), 'utf8'));
    expect(manifest.espeakNg).toMatch(/eSpeak NG/);
    expect(Object.keys(manifest.prompts).sort()).toEqual([...PROMPT_IDS].sort());
    expect(logs.join('\n')).toMatch(/generated 11 prompts/);
  });

  it('every prompt is levelled speech of plausible length, the same length at every rate, faded in and out', () => {
    for (const id of PROMPT_IDS) {
      const seconds = PROMPT_RATES.map((rate) => set.get(id, rate).length / rate);
      for (const rate of PROMPT_RATES) {
        const s = set.get(id, rate);
        const label = `${id} @ ${rate}`;
        expect(s.length / rate, label).toBeGreaterThan(0.5);
        expect(s.length / rate, label).toBeLessThan(8);
        // About -16 dBFS overall; speech, not a tone: loud syllables and quiet gaps in 20 ms frames.
        expect(rmsDb(s), label).toBeGreaterThan(-19);
        expect(rmsDb(s), label).toBeLessThan(-14);
        const frame = rate / 50;
        const frames: number[] = [];
        for (let f = 0; f + frame <= s.length; f += frame) frames.push(rmsDb(s, f, f + frame));
        // Away from the fades, so a steady tone could not pass.
        const inner = frames.slice(5, -5);
        expect(inner.filter((db) => db > -35).length / inner.length, label).toBeGreaterThan(0.5);
        expect(Math.max(...inner) - Math.min(...inner), label).toBeGreaterThan(25);
        // Trimmed: speech within the first and last 150 ms; faded: the very first and last ms near zero.
        expect(Math.max(...frames.slice(0, 8)), label).toBeGreaterThan(-35);
        expect(Math.max(...frames.slice(-8)), label).toBeGreaterThan(-45);
        expect(rmsDb(s, 0, rate / 1000), label).toBeLessThan(-50);
        expect(rmsDb(s, s.length - rate / 1000), label).toBeLessThan(-50);
      }
      expect(Math.max(...seconds) - Math.min(...seconds), id).toBeLessThan(0.005);
    }
  });

  it('a second run reuses the cache: nothing regenerated, files untouched', () => {
    const before = fs.statSync(path.join(first.dir, 'welcome.8000.s16')).mtimeMs;
    const second = ensurePrompts({ cataloguePath: CATALOGUE, cacheDir, log: (m) => logs.push(m) });
    expect(second).toEqual({ dir: first.dir, generated: [] });
    expect(fs.statSync(path.join(first.dir, 'welcome.8000.s16')).mtimeMs).toBe(before);
    expect(logs.at(-1)).toMatch(/cached in/);
  });

  it('a changed catalogue (new text) is a new set beside the old one; the link follows it', () => {
    const cat = JSON.parse(fs.readFileSync(CATALOGUE, 'utf8'));
    cat.prompts.welcome = 'Welcome to the Acme meeting service.';
    const branded = path.join(cacheDir, 'branded.json');
    fs.writeFileSync(branded, JSON.stringify(cat));
    const link = path.join(cacheDir, 'link', 'prompts');
    const r = ensurePrompts({ cataloguePath: branded, cacheDir, linkPath: link });
    expect(r.dir).not.toBe(first.dir);
    expect(fs.realpathSync(link)).toBe(fs.realpathSync(r.dir));
    expect(loadPromptSet(link).get('welcome', 8000).length).toBeGreaterThan(set.get('welcome', 8000).length);
  });
});
