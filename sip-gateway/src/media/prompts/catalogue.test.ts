import { describe, expect, it } from 'vitest';
import type { PromptId } from '../engine/types.js';
import catalogue from './catalogue.json' with { type: 'json' };
import { PROMPT_IDS } from './index.js';

// Compile-time: the catalogue's ids are exactly the PromptIds (a missing or extra id fails the typecheck).
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const catalogueMatchesPromptIds: Exactly<keyof typeof catalogue.prompts, PromptId> = true;

describe('prompt catalogue', () => {
  it('has a text for every PromptId and nothing else', () => {
    expect(catalogueMatchesPromptIds).toBe(true);
    expect(Object.keys(catalogue.prompts).sort()).toEqual([...PROMPT_IDS].sort());
  });

  it('texts are short sentences a caller can follow; voice and speed are set', () => {
    for (const [id, text] of Object.entries(catalogue.prompts)) {
      expect(text, id).toMatch(/^[A-Z].*[.?!]$/);
      expect(text.length, id).toBeLessThan(140);
    }
    expect(catalogue.voice).toMatch(/^[a-z]{2}/);
    expect(catalogue.speed).toBeGreaterThanOrEqual(120);
    expect(catalogue.speed).toBeLessThanOrEqual(180);
  });

  it('the PIN prompts name the keys to press', () => {
    expect(catalogue.prompts.enter_host_pin).toMatch(/PIN.*hash/);
    expect(catalogue.prompts.enter_pin_or_guest).toMatch(/host PIN.*hash.*guest/);
  });
});
