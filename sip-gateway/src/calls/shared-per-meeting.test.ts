import { describe, expect, it } from 'vitest';
import { SharedPerMeeting } from './shared-per-meeting.js';

/** A value per meeting that records its opening and closing. */
function recorder() {
  const opened: string[] = [];
  const closed: string[] = [];
  const shares = new SharedPerMeeting<string>((value) => closed.push(value));
  const open = (meetingId: string) => async () => {
    opened.push(meetingId);
    return `${meetingId}#${opened.length}`;
  };
  return { opened, closed, shares, open };
}

describe('SharedPerMeeting', () => {
  it('opens once per meeting for concurrent holders and closes on the last release only', async () => {
    const { opened, closed, shares, open } = recorder();
    const [a, b] = await Promise.all([shares.acquire('m1', open('m1')), shares.acquire('m1', open('m1'))]);
    const other = await shares.acquire('m2', open('m2'));
    expect(opened).toEqual(['m1', 'm2']);
    expect(a.value).toBe('m1#1');
    expect(b.value).toBe('m1#1');
    expect(shares.size).toBe(2);

    a.release();
    a.release(); // a second release of the same hold counts nothing
    expect(closed).toEqual([]);
    b.release();
    expect(closed).toEqual(['m1#1']);
    expect(shares.size).toBe(1);
    other.release();
    expect(closed).toEqual(['m1#1', 'm2#2']);
    expect(shares.size).toBe(0);
  });

  it('opens afresh after the last release', async () => {
    const { opened, closed, shares, open } = recorder();
    (await shares.acquire('m1', open('m1'))).release();
    const again = await shares.acquire('m1', open('m1'));
    expect(opened).toEqual(['m1', 'm1']);
    expect(again.value).toBe('m1#2');
    expect(closed).toEqual(['m1#1']);
  });

  it('forgets a failed opening: every waiter gets the error, the next acquire opens again', async () => {
    const closed: string[] = [];
    const shares = new SharedPerMeeting<string>((value) => closed.push(value));
    const failing = async (): Promise<string> => {
      throw new Error('tap refused');
    };
    const results = await Promise.allSettled([shares.acquire('m1', failing), shares.acquire('m1', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(shares.size).toBe(0);
    const share = await shares.acquire('m1', async () => 'ok');
    expect(share.value).toBe('ok');
    expect(closed).toEqual([]);
  });
});
