import type { RefusalCode } from '../../../server/src/meetings/index.js';
import type { PromptId } from '../media/engine/types.js';

/** The prompt a refusal plays before the call ends (SPEC §3 / §5); others play "unavailable". */
const REFUSAL_PROMPT: Partial<Record<RefusalCode, PromptId>> = {
  meeting_full: 'meeting_full',
  licence_limit: 'licence_limit',
  meeting_locked: 'meeting_locked',
  pin_locked_out: 'locked_out',
  pin_throttled: 'locked_out',
  node_overloaded: 'unavailable',
  not_ready: 'unavailable',
  lookup_throttled: 'unavailable',
};

export function refusalPrompt(code: RefusalCode): PromptId {
  return REFUSAL_PROMPT[code] ?? 'unavailable';
}
