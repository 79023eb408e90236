/**
 * IVR prompts: spoken at setup by espeak-ng from catalogue.json (voice, speed, id → text) and
 * cached outside the repo (scripts/prompts.mjs); loaded here as 16-bit PCM at 8, 16 and 48 kHz
 * for the media engine to play.
 */
export { loadPromptSet, promptCacheDir, PromptError, type PromptErrorCode, type PromptSet } from './prompt-set.js';
export { PROMPT_IDS, PROMPT_RATES, type PromptRate } from './prompt-ids.js';
export type { PromptId } from '../engine/types.js';
