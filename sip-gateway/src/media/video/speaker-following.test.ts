/**
 * The two halves together, as a media worker will run them for one room-system leg: the policy's
 * answer on each 20 ms tick goes to `select()`, cameras' packets go to `handlePacket()`. The leg
 * (participant 'vtc', whose own camera is also in the room) sees bob only after bob has spoken for
 * a second and only from bob's next keyframe, and never itself.
 */
import { describe, expect, it } from 'vitest';
import { SpeakerSwitchPolicy, SwitchedVideoStream } from './index.js';

/** A camera sending one single-packet frame per tick; a keyframe (IDR) every `gop` frames or on request. */
class Camera {
  seq = 0;
  ts = 0;
  frame = 0;
  keyframeWanted = false;
  constructor(
    readonly id: string,
    readonly ssrc: number,
    readonly gop: number,
  ) {}

  next(): Uint8Array {
    const key = this.frame % this.gop === 0 || this.keyframeWanted;
    this.keyframeWanted = false;
    const p = new Uint8Array(14);
    p.set([0x80, 0x80 | 96, this.seq >> 8, this.seq & 0xff]);
    new DataView(p.buffer).setUint32(4, this.ts);
    new DataView(p.buffer).setUint32(8, this.ssrc);
    p[12] = key ? 0x65 : 0x41;
    p[13] = this.id.charCodeAt(0);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 1800) >>> 0;
    this.frame++;
    return p;
  }
}

describe('following the speaker (policy + switched stream)', () => {
  it('switches after ≥ 1 s of speech, at the next keyframe (asked for), never to the leg itself', () => {
    const cameras = [new Camera('alice', 1, 1000), new Camera('bob', 2, 1000), new Camera('vtc', 3, 1000)];
    const seen: string[] = [];
    const stream = new SwitchedVideoStream(
      { outputSsrc: 99 },
      {
        send: (p) => seen.push(String.fromCharCode(p[13]!)),
        requestKeyframe: (id) => (cameras.find((c) => c.id === id)!.keyframeWanted = true),
      },
    );
    const policy = new SpeakerSwitchPolicy({ selfId: 'vtc' });
    for (const c of cameras) {
      stream.addSource(c.id, { ssrc: c.ssrc, payloadTypes: [{ payloadType: 96, outputPayloadType: 97, codec: 'h264' }] });
      policy.addCamera(c.id, 0);
    }
    // Who speaks when (ms): the leg itself talks first, bob coughs, then bob talks.
    const script: Array<[number, string | null]> = [[0, 'vtc'], [3000, 'bob'], [3400, null], [5000, 'bob'], [9000, null]];
    const seenAt = new Map<number, string>();
    for (let now = 0; now <= 10_000; now += 20) {
      const said = script.find(([at]) => at === now);
      if (said) policy.observeSpeaker(said[1], now);
      const show = policy.decide(now);
      if (show !== stream.currentSourceId && show !== stream.pendingSourceId) stream.select(show, now);
      stream.tick(now);
      for (const c of cameras) stream.handlePacket(c.next(), now);
      seenAt.set(now, seen[seen.length - 1] ?? '-');
    }
    expect(seenAt.get(100)).toBe('a'); // the first other camera, at its requested keyframe
    expect(seenAt.get(2900)).toBe('a'); // the leg's own speech changes nothing
    expect(seenAt.get(4900)).toBe('a'); // bob's 400 ms cough neither
    expect(seenAt.get(5960)).toBe('a'); // bob has spoken 960 ms
    expect(seenAt.get(6000)).toBe('b'); // 1 s: requested keyframe, forwarded on the same tick here
    expect(seenAt.get(10_000)).toBe('b'); // silence keeps the last speaker
    expect(new Set(seen)).toEqual(new Set(['a', 'b']));
  });
});
