/**
 * Last-N: whose camera video a participant receives. Pure; the room feeds it the speaker history
 * (from the active-speaker observer) and the participants that send camera video.
 */

/** Who spoke, most recent first. Each participant appears at most once. */
export class SpeakerHistory {
  private order: string[] = [];

  /** `participantId` is speaking now: it moves to the front. Returns false when it already was there. */
  touch(participantId: string): boolean {
    if (this.order[0] === participantId) return false;
    this.order = [participantId, ...this.order.filter((p) => p !== participantId)];
    return true;
  }

  remove(participantId: string): void {
    this.order = this.order.filter((p) => p !== participantId);
  }

  get mostRecentFirst(): readonly string[] {
    return this.order;
  }
}

export interface LastNInput {
  /** The receiving participant; never selected for itself. */
  viewerId: string;
  /** Participants with a camera producer, in join order (earliest first). */
  cameraSenders: readonly string[];
  /** Speaker history, most recent first (may name participants without a camera). */
  speakers: readonly string[];
  n: number;
}

/**
 * The camera senders the viewer should see, best first: those who spoke most recently, then — to
 * fill the remaining slots when fewer than n have spoken — the earliest joiners who have not.
 * Join order as the tie-break keeps the set stable while nobody speaks.
 */
export function selectLastN({ viewerId, cameraSenders, speakers, n }: LastNInput): string[] {
  if (n <= 0) return [];
  const senders = new Set(cameraSenders);
  senders.delete(viewerId);
  const chosen: string[] = [];
  for (const id of speakers) {
    if (chosen.length >= n) return chosen;
    if (senders.delete(id)) chosen.push(id);
  }
  for (const id of cameraSenders) {
    if (chosen.length >= n) break;
    if (senders.delete(id)) chosen.push(id);
  }
  return chosen;
}
