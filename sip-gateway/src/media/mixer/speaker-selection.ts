/**
 * Loudest-K choice with hysteresis. Each candidate carries a smoothed level (dB domain, so one loud
 * frame moves it only part of the way); a source outside the mix takes the place of the quietest
 * one inside only after beating it by HYSTERESIS_DB on CHALLENGE_TICKS ticks in a row. Free places
 * are filled at once. Allocation-free per tick (reuses its arrays).
 */

/** What selection needs to know about a source (the mixer's source objects implement it). */
export interface SpeakerCandidate {
  readonly id: string;
  /** Smoothed level, dBov. */
  score: number;
  /** Has a frame this tick and is not muted. */
  eligible: boolean;
  /** Consecutive ticks it has beaten the quietest mixed source. */
  challengeTicks: number;
}

/** Below this smoothed level a source is not worth mixing (line noise of a quiet phone). */
export const SPEECH_FLOOR_DBOV = -60;
const HYSTERESIS_DB = 3;
const CHALLENGE_TICKS = 2;

export class SpeakerSelection<T extends SpeakerCandidate> {
  /** The mixed sources, loudest first after `update()`. */
  readonly selected: T[] = [];
  private readonly others: T[] = [];

  constructor(readonly maxSpeakers: number) {}

  update(candidates: Iterable<T>): void {
    const sel = this.selected;
    // Drop whoever stopped (no frame, muted, removed) or fell below the floor.
    let w = 0;
    for (let i = 0; i < sel.length; i++) {
      const s = sel[i]!;
      if (s.eligible && s.score >= SPEECH_FLOOR_DBOV) sel[w++] = s;
    }
    sel.length = w;

    const others = this.others;
    others.length = 0;
    for (const c of candidates) {
      if (!c.eligible || c.score < SPEECH_FLOOR_DBOV) {
        c.challengeTicks = 0;
        continue;
      }
      if (!sel.includes(c)) others.push(c);
    }
    others.sort(byScore);

    let next = 0;
    while (sel.length < this.maxSpeakers && next < others.length) sel.push(others[next++]!);

    // Challengers, loudest first, against the quietest mixed source.
    for (; next < others.length; next++) {
      const challenger = others[next]!;
      const weakest = this.weakestIndex();
      if (weakest < 0 || challenger.score <= sel[weakest]!.score + HYSTERESIS_DB) {
        // Nobody quieter can win either; reset their streaks.
        for (let k = next; k < others.length; k++) others[k]!.challengeTicks = 0;
        break;
      }
      if (++challenger.challengeTicks >= CHALLENGE_TICKS) {
        challenger.challengeTicks = 0;
        sel[weakest]!.challengeTicks = 0;
        sel[weakest] = challenger;
      }
    }
    sel.sort(byScore);
  }

  remove(c: T): void {
    const i = this.selected.indexOf(c);
    if (i >= 0) this.selected.splice(i, 1);
  }

  private weakestIndex(): number {
    let idx = -1;
    for (let i = 0; i < this.selected.length; i++) if (idx < 0 || this.selected[i]!.score < this.selected[idx]!.score) idx = i;
    return idx;
  }
}

function byScore(a: SpeakerCandidate, b: SpeakerCandidate): number {
  return b.score - a.score;
}
