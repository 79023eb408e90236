import type { JoinMode, LegKind, MediaKind, MediaSource } from './types.js';

export interface PolicyProducer {
  id: string;
  participantId: string;
  kind: MediaKind;
  source: MediaSource;
  /** Set on a mix the audio tap published for one RTP leg: only that leg receives it. */
  mixFor?: string;
}

export interface PolicyViewer {
  id: string;
  mode: JoinMode;
  /** Absent = 'webrtc'. */
  leg?: LegKind;
}

/**
 * Which producers a participant receives (pure). Never its own. A mix goes only to the leg it was
 * made for.
 *
 * A browser (WebRTC leg), which mixes audio itself:
 * - audio (mic and screen-audio) from everyone, in every mode;
 * - `screen` video in 'video' and 'audio+presentation' modes;
 * - `camera` video only in 'video' mode, and only from the viewer's last-N selection.
 *
 * An RTP leg (SIP room system, phone, interop), which takes one stream per m-line:
 * - audio: its own mix only (everyone else's voices, mixed by the room's audio mixer) — never the
 *   individual mics or screen audio, which reach it through that mix;
 * - `screen` video in 'video' and 'audio+presentation' modes;
 * - in 'video' mode, one switched camera stream: the first camera sender of `lastN` (best first).
 */
export function selectConsumable<P extends PolicyProducer>(viewer: PolicyViewer, producers: readonly P[], lastN: ReadonlySet<string>): P[] {
  const rtp = viewer.leg === 'rtp';
  const cameraSenders = new Set(producers.filter((p) => p.source === 'camera' && p.mixFor === undefined).map((p) => p.participantId));
  const switched = rtp ? [...lastN].find((id) => id !== viewer.id && cameraSenders.has(id)) : undefined;
  return producers.filter((p) => {
    if (p.participantId === viewer.id) return false;
    if (p.mixFor !== undefined) return rtp && p.mixFor === viewer.id;
    if (p.kind === 'audio') return !rtp;
    if (p.source === 'screen') return viewer.mode !== 'audio-only';
    if (viewer.mode !== 'video') return false;
    return rtp ? p.participantId === switched : lastN.has(p.participantId);
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
