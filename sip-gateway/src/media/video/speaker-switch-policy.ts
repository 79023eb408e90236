/**
 * Whose camera one room-system leg sees: the meeting's active speaker, once they have spoken for
 * a while (a cough or a "yes" does not switch), never the leg itself. Pure: fed observations and
 * the time, answers a participant id; the media worker turns a changed answer into
 * `SwitchedVideoStream.select()`.
 */

export interface SpeakerSwitchPolicyOptions {
  /** The room system's own participant id: it never sees itself. */
  selfId: string;
  /** Continuous speech needed before the view switches to a speaker (default 1000 ms). */
  minSpeechMs?: number;
}

export class SpeakerSwitchPolicy {
  readonly selfId: string;
  private readonly minSpeechMs: number;
  /** Participants with a camera source, in the order they got one. */
  private readonly cameras = new Set<string>();
  /** Speakers who qualified (spoke ≥ minSpeechMs), most recent last, each once. */
  private readonly speakers: string[] = [];
  private speaking: string | null = null;
  private speakingSinceMs = 0;
  private shown: string | null = null;

  constructor(options: SpeakerSwitchPolicyOptions) {
    this.selfId = options.selfId;
    this.minSpeechMs = options.minSpeechMs ?? 1000;
  }

  /** The participant whose camera the leg should see now, or null (no other camera). */
  get shownId(): string | null {
    return this.shown;
  }

  addCamera(participantId: string, nowMs: number): string | null {
    this.cameras.add(participantId);
    return this.decide(nowMs);
  }

  removeCamera(participantId: string, nowMs: number): string | null {
    this.cameras.delete(participantId);
    return this.decide(nowMs);
  }

  /**
   * The dominant speaker as of `nowMs` (null: nobody, silence). An observation holds until the
   * next one, so both a change-only feed (mediasoup's ActiveSpeakerObserver 'dominantspeaker') and
   * a periodic one (AudioLevelObserver 'volumes' / 'silence') work. A participant left out of a
   * periodic report has stopped speaking: their streak starts again.
   */
  observeSpeaker(participantId: string | null, nowMs: number): string | null {
    if (participantId !== this.speaking) {
      this.speaking = participantId;
      this.speakingSinceMs = nowMs;
    }
    return this.decide(nowMs);
  }

  /** Re-evaluate at `nowMs` (call on the worker's tick: a streak can qualify between observations). */
  decide(nowMs: number): string | null {
    const speaker = this.speaking;
    if (speaker !== null && nowMs - this.speakingSinceMs >= this.minSpeechMs) {
      this.rememberSpeaker(speaker);
      // Show them if we can; the leg's own speech, or a speaker without camera, keeps the view.
      if (speaker !== this.selfId && this.cameras.has(speaker)) this.shown = speaker;
    }
    if (this.shown === null || !this.cameras.has(this.shown) || this.shown === this.selfId) this.shown = this.fallback();
    return this.shown;
  }

  private rememberSpeaker(id: string): void {
    const last = this.speakers.length - 1;
    if (this.speakers[last] === id) return;
    const at = this.speakers.indexOf(id);
    if (at >= 0) this.speakers.splice(at, 1);
    this.speakers.push(id);
    if (this.speakers.length > 64) this.speakers.shift(); // bounded: only recent speakers matter
  }

  /** The most recent earlier speaker with a camera, else the first camera that is not the leg. */
  private fallback(): string | null {
    for (let i = this.speakers.length - 1; i >= 0; i--) {
      const id = this.speakers[i]!;
      if (id !== this.selfId && this.cameras.has(id)) return id;
    }
    for (const id of this.cameras) if (id !== this.selfId) return id;
    return null;
  }
}
