import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROMPT_IDS, PROMPT_RATES, PromptError, loadPromptSet, promptCacheDir } from './index.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'convene-prompts-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A full set of distinguishable fake prompts: sample i of prompt k at rate r is (k * 1000 + i) & 0x7fff, negated at 16 kHz. */
function writeFakeSet(dir: string): void {
  PROMPT_IDS.forEach((id, k) => {
    for (const rate of PROMPT_RATES) {
      const buf = Buffer.alloc(rate / 10);
      for (let i = 0; i < buf.length / 2; i++) buf.writeInt16LE(((k * 1000 + i) & 0x7fff) * (rate === 16000 ? -1 : 1), i * 2);
      fs.writeFileSync(path.join(dir, `${id}.${rate}.s16`), buf);
    }
  });
}

describe('loadPromptSet', () => {
  it('an empty directory: a typed error naming the missing prompt and how to make it', () => {
    const dir = tempDir();
    let err: unknown;
    try {
      loadPromptSet(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PromptError);
    expect((err as PromptError).code).toBe('prompt_missing');
    expect((err as PromptError).message).toMatch(/'welcome' at 8000 Hz/);
    expect((err as PromptError).message).toContain('node scripts/setup.mjs');
  });

  it('a set missing one prompt names that one', () => {
    const dir = tempDir();
    writeFakeSet(dir);
    fs.rmSync(path.join(dir, 'goodbye.48000.s16'));
    expect(() => loadPromptSet(dir)).toThrow(/'goodbye' at 48000 Hz/);
  });

  it('a truncated file (odd byte count) is refused as invalid', () => {
    const dir = tempDir();
    writeFakeSet(dir);
    fs.writeFileSync(path.join(dir, 'wrong_pin.16000.s16'), Buffer.alloc(7));
    expect(() => loadPromptSet(dir)).toThrow(expect.objectContaining({ code: 'prompt_invalid' }));
  });

  it('returns each prompt’s own samples, little-endian, at the rate asked', () => {
    const dir = tempDir();
    writeFakeSet(dir);
    const set = loadPromptSet(dir);
    const k = PROMPT_IDS.indexOf('meeting_full');
    const s8 = set.get('meeting_full', 8000);
    expect(s8).toBeInstanceOf(Int16Array);
    expect(s8.length).toBe(400);
    expect(Array.from(s8.subarray(0, 3))).toEqual([k * 1000, k * 1000 + 1, k * 1000 + 2]);
    expect(set.get('meeting_full', 16000)[1]).toBe(-(k * 1000 + 1));
    expect(set.get('meeting_full', 48000).length).toBe(2400);
  });
});

describe('promptCacheDir', () => {
  it('defaults to the link setup makes in node_modules/.convene; CONVENE_PROMPTS_DIR overrides', () => {
    expect(promptCacheDir({})).toBe(path.resolve(import.meta.dirname, '../../../../node_modules/.convene/prompts'));
    expect(promptCacheDir({ CONVENE_PROMPTS_DIR: '/srv/prompts' })).toBe('/srv/prompts');
  });
});
