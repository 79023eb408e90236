import type { PromptId } from '../engine/types.js';

/** Every PromptId, for loops and checks at run time. */
export const PROMPT_IDS = [
  'welcome',
  'enter_host_pin',
  'enter_pin_or_guest',
  'wrong_pin',
  'waiting_for_host',
  'meeting_full',
  'meeting_locked',
  'licence_limit',
  'locked_out',
  'unavailable',
  'goodbye',
] as const satisfies readonly PromptId[];

// Compile-time: a PromptId added to the engine contract but not here fails the typecheck.
type MissingPromptIds = Exclude<PromptId, (typeof PROMPT_IDS)[number]>;
export const PROMPT_IDS_COMPLETE: [MissingPromptIds] extends [never] ? true : MissingPromptIds = true;

/** The rates prompts are generated at (scripts/prompts.mjs PROMPT_RATES). */
export const PROMPT_RATES = [8000, 16000, 48000] as const;
export type PromptRate = (typeof PROMPT_RATES)[number];
