import type { JoinMode, MediaKind, MediaSource } from './types.js';

export interface PolicyProducer {
  id: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
}

/**
 * Which producers a participant receives (pure):
 * - audio (mic and screen-audio) from everyone, in every mode;
 * - `screen` video in 'video' and 'audio+presentation' modes;
 * - `camera` video only in 'video' mode, and only from the viewer's last-N selection;
 * - never its own producers.
 */
export function selectConsumable<P extends PolicyProducer>(
  viewer: { id: string; mode: JoinMode },
  producers: readonly P[],
  lastN: ReadonlySet<string>,
): P[] {
  return producers.filter((p) => {
    if (p.participantId === viewer.id) return false;
    if (p.kind === 'audio') return true;
    if (p.source === 'screen') return viewer.mode !== 'audio-only';
    return viewer.mode === 'video' && lastN.has(p.participantId);
  });
}

/** Which sources a participant in a given mode may send. */
export function mayProduce(mode: JoinMode, source: MediaSource): boolean {
  switch (mode) {
    case 'video':
      return true;
    case 'audio+presentation':
      return source !== 'camera';
    case 'audio-only':
      return source === 'mic';
  }
}
