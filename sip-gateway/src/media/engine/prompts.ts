/**
 * Prompt audio for the workers. The engine is given a directory (loaded once with the prompts
 * module's loadPromptSet, so a missing prompt fails at startup, not mid-call) or any
 * PromptPcmSource (tests make tones); either way the PCM is copied to each worker at its start.
 */
import { loadPromptSet, PROMPT_IDS, PROMPT_RATES, type PromptRate } from '../prompts/index.js';
import type { PromptPcmEntry } from './protocol.js';
import { MediaEngineError } from './port-allocator.js';
import type { PromptId } from './types.js';

/** Prompt PCM from the embedding code: signed 16-bit mono at `rate`; throw when it has none. */
export interface PromptPcmSource {
  get(id: PromptId, rate: PromptRate): Int16Array;
}

/** Longest prompt we accept (60 s at 48 kHz, as the prompts module): a bound on what a bad source can cost. */
const MAX_PROMPT_SAMPLES = 48000 * 60;

/** Every prompt the source has, copied into entries a worker can receive. */
export function promptEntries(prompts: { dir: string } | PromptPcmSource): PromptPcmEntry[] {
  const source: PromptPcmSource = 'get' in prompts ? prompts : loadPromptSet(prompts.dir);
  const entries: PromptPcmEntry[] = [];
  for (const id of PROMPT_IDS) {
    for (const rate of PROMPT_RATES) {
      let pcm: Int16Array;
      try {
        pcm = source.get(id, rate);
      } catch {
        continue; // this prompt or rate is not provided
      }
      if (pcm.length > 0 && pcm.length <= MAX_PROMPT_SAMPLES) entries.push({ id, rate, pcm: pcm.slice() });
    }
  }
  return entries;
}

/** The worker's prompts by id and rate. */
export class PromptLibrary {
  private readonly byKey = new Map<string, Int16Array>();

  constructor(entries: readonly PromptPcmEntry[]) {
    for (const e of entries) this.byKey.set(`${e.id}.${e.rate}`, e.pcm);
  }

  get(id: PromptId, rate: PromptRate): Int16Array {
    const pcm = this.byKey.get(`${id}.${rate}`);
    if (!pcm) throw new MediaEngineError('unknown_prompt', `no prompt audio for '${id}' at ${rate} Hz`);
    return pcm;
  }
}
