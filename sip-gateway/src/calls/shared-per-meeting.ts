/**
 * One shared thing per meeting (its audio bridge, its video fan-out), opened by the first call that
 * needs it and closed when the last one gives it back. Calls that come while it opens wait for the
 * same opening; a failed opening is forgotten, so the next call tries afresh.
 */
export interface MeetingShare<T> {
  readonly value: T;
  /** Gives back this hold (again: nothing); the last one closes the value. */
  release(): void;
}

interface Entry<T> {
  readonly opening: Promise<T>;
  holders: number;
}

export class SharedPerMeeting<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly close: (value: T) => void) {}

  /** Meetings with an open (or opening) value. */
  get size(): number {
    return this.entries.size;
  }

  async acquire(meetingId: string, open: () => Promise<T>): Promise<MeetingShare<T>> {
    let entry = this.entries.get(meetingId);
    if (!entry) {
      const created: Entry<T> = { opening: open(), holders: 0 };
      this.entries.set(meetingId, created);
      created.opening.catch(() => {
        if (this.entries.get(meetingId) === created) this.entries.delete(meetingId);
      });
      entry = created;
    }
    const held = entry;
    const value = await held.opening;
    held.holders++;
    let released = false;
    return {
      value,
      release: () => {
        if (released) return;
        released = true;
        if (--held.holders > 0) return;
        if (this.entries.get(meetingId) === held) this.entries.delete(meetingId);
        this.close(value);
      },
    };
  }
}
