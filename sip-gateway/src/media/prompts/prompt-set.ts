/**
 * Loads the generated IVR prompts (scripts/prompts.mjs, run by `node scripts/setup.mjs`): raw
 * signed 16-bit little-endian mono files `<id>.<rate>.s16`. Everything is read at load, so a
 * missing prompt fails at startup rather than in the middle of a call.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodedError } from '../../../../common/src/index.js';
import type { PromptId } from '../engine/types.js';
import { PROMPT_IDS, PROMPT_RATES, type PromptRate } from './prompt-ids.js';

export type PromptErrorCode = 'prompt_missing' | 'prompt_invalid';

export class PromptError extends CodedError<PromptErrorCode> {
  override readonly name = 'PromptError';
}

export interface PromptSet {
  readonly dir: string;
  /** The prompt's samples at `rate` (shared: read, never write). */
  get(id: PromptId, rate: PromptRate): Int16Array;
}

/** A prompt is a few seconds; anything bigger than this is not one of ours. */
const MAX_PROMPT_BYTES = 48000 * 2 * 60;
const SETUP_HINT = 'run `node scripts/setup.mjs` to generate the IVR prompts';

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  // From source (sip-gateway/src/media/prompts) or the build (dist/…): the first package.json named convene.
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    try {
      if ((JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'convene') return dir;
    } catch {
      // not here; keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

/**
 * Where the prompts are: CONVENE_PROMPTS_DIR, else the link setup makes at
 * node_modules/.convene/prompts (it points into ~/.cache/convene/prompts/<catalogue key>/,
 * or under CONVENE_CACHE_DIR) — the same way the service finds the mediasoup worker.
 */
export function promptCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CONVENE_PROMPTS_DIR || path.join(packageRoot(), 'node_modules', '.convene', 'prompts');
}

function readPrompt(dir: string, id: PromptId, rate: PromptRate): Int16Array {
  const file = path.join(dir, `${id}.${rate}.s16`);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    throw new PromptError('prompt_missing', `IVR prompt '${id}' at ${rate} Hz is missing (${file}); ${SETUP_HINT}`);
  }
  if (bytes.length === 0 || bytes.length % 2 !== 0 || bytes.length > MAX_PROMPT_BYTES) {
    throw new PromptError('prompt_invalid', `IVR prompt '${id}' at ${rate} Hz is not 16-bit audio of a sane length (${file}, ${bytes.length} bytes); ${SETUP_HINT}`);
  }
  const samples = new Int16Array(bytes.length / 2);
  for (let i = 0; i < samples.length; i++) samples[i] = bytes.readInt16LE(i * 2);
  return samples;
}

/** Loads every prompt at every rate from `dir` (default promptCacheDir()); throws PromptError naming the first missing one. */
export function loadPromptSet(dir: string = promptCacheDir()): PromptSet {
  const resolved = path.resolve(dir);
  const byKey = new Map<string, Int16Array>();
  for (const id of PROMPT_IDS) for (const rate of PROMPT_RATES) byKey.set(`${id}.${rate}`, readPrompt(resolved, id, rate));
  return {
    dir: resolved,
    get(id, rate) {
      const s = byKey.get(`${id}.${rate}`);
      if (!s) throw new PromptError('prompt_missing', `no IVR prompt '${String(id)}' at ${String(rate)} Hz`);
      return s;
    },
  };
}
