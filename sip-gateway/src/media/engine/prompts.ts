/**
 * Where a worker gets prompt audio: raw s16le mono files `<id>.<rate>.s16` in a directory (what
 * sip-gateway/src/media/prompts renders), or PCM the embedding code hands over (tests make tones).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PromptPcmEntry, PromptRate, WorkerPrompts } from './protocol.js';
import { MediaEngineError } from './port-allocator.js';
import type { PromptId } from './types.js';

export const PROMPT_IDS: readonly PromptId[] = [
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
];
export const PROMPT_RATES: readonly PromptRate[] = [8000, 16000, 48000];

/** Prompt PCM made by the embedding code: signed 16-bit mono at `rate`; throw or return empty when missing. */
export interface PromptPcmSource {
  get(id: PromptId, rate: PromptRate): Int16Array;
}

/** Longest prompt we accept (5 minutes at 48 kHz): a bound on what a bad file can cost. */
const MAX_PROMPT_SAMPLES = 48000 * 300;

/** Reads every prompt the source has, on the main thread, into entries a worker can receive. */
export function promptEntriesFrom(source: PromptPcmSource): PromptPcmEntry[] {
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

/** The worker's prompt cache: PCM by id and rate, files read on first use. */
export class PromptLibrary {
  private readonly cache = new Map<string, Int16Array>();

  constructor(private readonly source: WorkerPrompts) {
    if (source.kind === 'pcm') for (const e of source.entries) this.cache.set(`${e.id}.${e.rate}`, e.pcm);
  }

  async get(id: PromptId, rate: PromptRate): Promise<Int16Array> {
    const key = `${id}.${rate}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (this.source.kind === 'dir' && PROMPT_IDS.includes(id)) {
      const bytes = await readFile(join(this.source.dir, `${key}.s16`)).catch(() => null);
      if (bytes && bytes.length >= 2 && bytes.length / 2 <= MAX_PROMPT_SAMPLES) {
        const pcm = new Int16Array(bytes.length >> 1);
        for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
        this.cache.set(key, pcm);
        return pcm;
      }
    }
    throw new MediaEngineError('unknown_prompt', `no prompt audio for ${key}`);
  }
}
