// Types for scripts/prompts.mjs (plain JS because setup runs before `npm ci`), for the tests that call it.
export declare const PROMPT_RATES: readonly [8000, 16000, 48000];
export declare class PromptSetupError extends Error {}
export interface PromptCatalogue {
  voice: string;
  speed: number;
  prompts: Record<string, string>;
}
export declare function readCatalogue(file: string): { catalogue: PromptCatalogue; bytes: Buffer };
export declare function ensurePrompts(opts: {
  cataloguePath: string;
  cacheDir: string;
  linkPath?: string | null;
  log?: (msg: string) => void;
}): { dir: string; generated: string[] };
