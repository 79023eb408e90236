import { describe, expect, it } from 'vitest';
import { parseRtp } from '../rtp/index.js';
import { SwitchedVideoStream, VideoSwitchError, type SwitchReport } from './switched-stream.js';

const OUT_SSRC = 0x5eed0001;
const OUT_PT = 102;

interface Sent {
  seq: number;
  ts: number;
  ssrc: number;
  pt: number;
  marker: boolean;
  /** Test tag written in the payload's last bytes: which source and frame this was. */
  tag: string;
}

/** A source that emits H.264-shaped packets: keyframes (STAP-A SPS+PPS, then FU-A IDR) or deltas. */
class FakeSource {
  seq: number;
  ts: number;
  frame = 0;
  constructor(
    readonly name: string,
    readonly ssrc: number,
    startSeq: number,
    startTs: number,
    readonly pt = 96,
  ) {
    this.seq = startSeq;
    this.ts = startTs;
  }

  /** One frame of `packets` packets (marker on the last), advancing ts by 3000 (30 fps). */
  frameOf(key: boolean, packets = 2): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < packets; i++) {
      let nal: number[];
      if (key && i === 0) nal = [0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce];
      else if (key) nal = [0x7c, i === 1 ? 0x85 : i === packets - 1 ? 0x45 : 0x05];
      else nal = [0x5c, i === 0 ? 0x81 : i === packets - 1 ? 0x41 : 0x01];
      const tag = Buffer.from(`${this.name}:${this.frame}:${i}`);
      const p = new Uint8Array(12 + nal.length + 1 + tag.length);
      p[0] = 0x80;
      p[1] = (i === packets - 1 ? 0x80 : 0) | this.pt;
      p[2] = this.seq >>> 8;
      p[3] = this.seq & 0xff;
      new DataView(p.buffer).setUint32(4, this.ts >>> 0);
      new DataView(p.buffer).setUint32(8, this.ssrc);
      p.set(nal, 12);
      p[12 + nal.length] = tag.length;
      p.set(tag, 13 + nal.length);
      out.push(p);
      this.seq = (this.seq + 1) & 0xffff;
    }
    this.ts = (this.ts + 3000) >>> 0;
    this.frame++;
    return out;
  }
}

function tagOf(p: Uint8Array): string {
  // The tag is the trailing bytes; its length byte precedes it.
  for (let n = 1; n < 40 && n < p.length - 12; n++) {
    if (p[p.length - n - 1] === n) return Buffer.from(p.subarray(p.length - n)).toString();
  }
  return '?';
}

function harness(options: Partial<ConstructorParameters<typeof SwitchedVideoStream>[0]> = {}) {
  const sent: Sent[] = [];
  const requests: string[] = [];
  const reports: SwitchReport[] = [];
  const stream = new SwitchedVideoStream(
    { outputSsrc: OUT_SSRC, initialSequenceNumber: 1000, initialTimestamp: 500_000, ...options },
    {
      send: (packet, length) => {
        const v = parseRtp(packet.subarray(0, length))!;
        sent.push({ seq: v.sequenceNumber, ts: v.timestamp, ssrc: v.ssrc, pt: v.payloadType, marker: v.marker, tag: tagOf(packet.subarray(0, length)) });
      },
      requestKeyframe: (id) => requests.push(id),
      switched: (r) => reports.push(r),
    },
  );
  const a = new FakeSource('A', 0xaaaa0001, 65_530, 0xffff_f000);
  const b = new FakeSource('B', 0xbbbb0001, 200, 12_345);
  stream.addSource('A', { ssrc: a.ssrc, payloadTypes: [{ payloadType: 96, outputPayloadType: OUT_PT, codec: 'h264' }] });
  stream.addSource('B', { ssrc: b.ssrc, payloadTypes: [{ payloadType: 96, outputPayloadType: OUT_PT, codec: 'h264' }] });
  const feed = (now: number, packets: Uint8Array[]) => packets.map((p) => stream.handlePacket(p, now));
  return { stream, sent, requests, reports, a, b, feed };
}

/** Every output packet follows the previous one by exactly one (mod 2^16). */
function expectContinuous(sent: Sent[]): void {
  for (let i = 1; i < sent.length; i++) expect((sent[i]!.seq - sent[i - 1]!.seq) & 0xffff, `packet ${i} (${sent[i]!.tag})`).toBe(1);
}

describe('SwitchedVideoStream', () => {
  it('starts on the first keyframe of the selected source: deltas before it are dropped, then one SSRC, mapped PT, the initial seq/ts', () => {
    const { stream, sent, requests, a, feed } = harness();
    stream.select('A', 0);
    expect(requests).toEqual(['A']);
    expect(feed(0, a.frameOf(false))).toEqual(['awaiting_keyframe', 'awaiting_keyframe']);
    expect(feed(33, a.frameOf(true, 3))).toEqual(['forwarded', 'forwarded', 'forwarded']);
    feed(66, a.frameOf(false));
    expect(sent.map((s) => s.tag)).toEqual(['A:1:0', 'A:1:1', 'A:1:2', 'A:2:0', 'A:2:1']);
    expect(sent[0]).toMatchObject({ seq: 1000, ts: 500_000, ssrc: OUT_SSRC, pt: OUT_PT, marker: false });
    expect(sent.map((s) => s.marker)).toEqual([false, false, true, false, true]);
    expect(sent[3]!.ts).toBe(503_000); // the source's own spacing, across its timestamp wrap
    expectContinuous(sent); // and across its sequence wrap (65530 → 0)
    expect(stream.currentSourceId).toBe('A');
  });

  it('on a switch keeps sending the old source until the new keyframe, then only the new one; seq continuous, ts by wall clock', () => {
    const { stream, sent, requests, reports, a, b, feed } = harness();
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    feed(33, a.frameOf(false));
    stream.select('B', 40);
    expect(requests).toEqual(['A', 'B']);
    expect(feed(50, b.frameOf(false))).toEqual(['awaiting_keyframe', 'awaiting_keyframe']);
    feed(66, a.frameOf(false)); // still the old one
    feed(100, b.frameOf(true)); // keyframe: switch
    expect(feed(100, a.frameOf(false))).toEqual(['not_selected', 'not_selected']); // old after the switch
    feed(133, b.frameOf(false));
    expect(sent.map((s) => s.tag)).toEqual(['A:0:0', 'A:0:1', 'A:1:0', 'A:1:1', 'A:2:0', 'A:2:1', 'B:1:0', 'B:1:1', 'B:2:0', 'B:2:1']);
    expectContinuous(sent);
    expect(new Set(sent.map((s) => s.ssrc))).toEqual(new Set([OUT_SSRC]));
    // Last A packet went out at 66 ms, B's keyframe at 100 ms: 34 ms × 90 = 3060 ticks later.
    expect((sent[6]!.ts - sent[5]!.ts) >>> 0).toBe(3060);
    expect((sent[8]!.ts - sent[6]!.ts) >>> 0).toBe(3000);
    expect(reports).toEqual([
      expect.objectContaining({ from: null, to: 'A', switchToKeyframeMs: 0, keyframeRequests: 1 }),
      expect.objectContaining({ from: 'A', to: 'B', requestedAtMs: 40, keyframeAtMs: 100, switchToKeyframeMs: 60, keyframeRequests: 1, waitedForOldFrame: false }),
    ]);
    expect(stream.counters.switches).toBe(2);
  });

  it('switches back and forth many times across output seq and ts wraps, always continuous and always starting at a keyframe', () => {
    const { stream, sent, a, b, feed } = harness({ initialSequenceNumber: 65_500, initialTimestamp: 0xffff_0000 });
    let now = 0;
    stream.select('A', now);
    for (let round = 0; round < 40; round++) {
      const key = round % 5 === 0;
      feed(now, a.frameOf(key, 3));
      feed(now + 5, b.frameOf(key, 4));
      if (round % 5 === 2) stream.select(round % 10 === 2 ? 'B' : 'A', now + 10);
      now += 33;
    }
    expectContinuous(sent);
    for (let i = 1; i < sent.length; i++) {
      expect(((sent[i]!.ts - sent[i - 1]!.ts) | 0) >= 0, `ts never goes back (${sent[i]!.tag})`).toBe(true);
      const [src, frame] = sent[i]!.tag.split(':');
      const [prevSrc] = sent[i - 1]!.tag.split(':');
      if (src !== prevSrc) expect(Number(frame) % 5, `switch into ${sent[i]!.tag} at a keyframe`).toBe(0);
    }
    expect(sent.some((s) => s.seq < 100)).toBe(true); // the output wrapped
    expect(new Set(sent.map((s) => s.tag[0]))).toEqual(new Set(['A', 'B']));
  });

  it('reordering at the switch boundary: a new-source packet older than its keyframe is dropped, an old-source straggler is dropped, no seq leaks', () => {
    const { stream, sent, a, b, feed } = harness();
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    stream.select('B', 10);
    const delta = b.frameOf(false);
    const key = b.frameOf(true);
    const aLate = a.frameOf(false);
    feed(20, [aLate[0]!]);
    expect(stream.handlePacket(aLate[1]!, 20)).toBe('forwarded');
    expect(feed(30, [key[0]!, key[1]!])).toEqual(['forwarded', 'forwarded']);
    expect(stream.handlePacket(delta[1]!, 31)).toBe('before_switch'); // arrives late, from before the keyframe
    const aStraggler = a.frameOf(false);
    expect(stream.handlePacket(aStraggler[0]!, 31)).toBe('not_selected');
    // Reordering inside the new source after the switch is passed through as it came.
    const next = b.frameOf(false, 3);
    feed(60, [next[0]!, next[2]!, next[1]!]);
    expect(sent.map((s) => s.tag)).toEqual(['A:0:0', 'A:0:1', 'A:1:0', 'A:1:1', 'B:1:0', 'B:1:1', 'B:2:0', 'B:2:2', 'B:2:1']);
    const seqs = sent.map((s) => s.seq);
    expect(seqs).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1008, 1007]);
    expect(stream.counters.beforeSwitch).toBe(1);
  });

  it('a late duplicate of the switch packet does not rewind the output: the next switch still continues after the newest', () => {
    const { stream, sent, a, b, feed } = harness();
    stream.select('A', 0);
    const key = a.frameOf(true);
    const duplicate = Uint8Array.from(key[0]!); // before the rewrite in place
    feed(0, key);
    feed(33, a.frameOf(false));
    expect(stream.handlePacket(duplicate, 40)).toBe('forwarded'); // a network duplicate
    stream.select('B', 50);
    feed(60, b.frameOf(true));
    expect(sent.map((s) => s.seq)).toEqual([1000, 1001, 1002, 1003, 1000, 1004, 1005]);
  });

  it("the source's own losses stay gaps; dropped packets of the other source never use a sequence number", () => {
    const { stream, sent, a, b, feed } = harness();
    stream.select('A', 0);
    const f = a.frameOf(true, 4);
    feed(0, [f[0]!, f[1]!, f[3]!]); // f[2] lost in the network
    feed(10, b.frameOf(true, 4)); // not selected: nothing from it counts
    feed(33, a.frameOf(false));
    expect(sent.map((s) => s.seq)).toEqual([1000, 1001, 1003, 1004, 1005]);
  });

  it('a keyframe arriving while the old source is mid-frame waits for that frame to end, then goes out whole', () => {
    const { stream, sent, reports, a, b, feed } = harness();
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    stream.select('B', 10);
    const aFrame = a.frameOf(false, 3);
    feed(20, [aFrame[0]!]); // A's frame is open
    expect(feed(25, b.frameOf(true, 3))).toEqual(['held', 'held', 'held']);
    expect(stream.currentSourceId).toBe('A');
    feed(30, [aFrame[1]!, aFrame[2]!]); // A's frame ends with its marker: B goes out
    expect(stream.currentSourceId).toBe('B');
    feed(60, b.frameOf(false));
    expect(sent.map((s) => s.tag)).toEqual(['A:0:0', 'A:0:1', 'A:1:0', 'A:1:1', 'A:1:2', 'B:0:0', 'B:0:1', 'B:0:2', 'B:1:0', 'B:1:1']);
    expectContinuous(sent);
    expect(reports[1]).toMatchObject({ from: 'A', to: 'B', keyframeAtMs: 25, switchToKeyframeMs: 15, waitedForOldFrame: true });
  });

  it('the wait for the old frame is bounded in time (tick) and in held packets', () => {
    const t = harness({ maxHoldMs: 50 });
    t.stream.select('A', 0);
    t.feed(0, t.a.frameOf(true));
    t.stream.select('B', 10);
    t.feed(20, [t.a.frameOf(false, 3)[0]!]); // its end never comes
    t.feed(25, t.b.frameOf(true, 2));
    t.stream.tick(60);
    expect(t.stream.currentSourceId).toBe('A');
    t.stream.tick(75);
    expect(t.stream.currentSourceId).toBe('B');
    expect(t.sent.map((s) => s.tag)).toEqual(['A:0:0', 'A:0:1', 'A:1:0', 'B:0:0', 'B:0:1']);

    const u = harness({ holdPackets: 2 });
    u.stream.select('A', 0);
    u.feed(0, u.a.frameOf(true));
    u.stream.select('B', 10);
    u.feed(20, [u.a.frameOf(false, 3)[0]!]);
    expect(u.feed(25, u.b.frameOf(true, 4))).toEqual(['held', 'held', 'forwarded', 'forwarded']);
    expect(u.sent.map((s) => s.tag).slice(3)).toEqual(['B:0:0', 'B:0:1', 'B:0:2', 'B:0:3']);
    expectContinuous(u.sent);
  });

  it('a hold ends cleanly when the selection changes or the old source goes away', () => {
    // Selecting the current source again while the keyframe waits: the held packets are discarded.
    const t = harness();
    t.stream.select('A', 0);
    t.feed(0, t.a.frameOf(true));
    t.stream.select('B', 10);
    const open = t.a.frameOf(false, 3);
    t.feed(20, [open[0]!]);
    expect(t.feed(25, t.b.frameOf(true))).toEqual(['held', 'held']);
    t.stream.select('A', 30);
    t.feed(40, [open[1]!, open[2]!]);
    t.feed(60, t.b.frameOf(false));
    expect(t.sent.map((s) => s.tag)).toEqual(['A:0:0', 'A:0:1', 'A:1:0', 'A:1:1', 'A:1:2']);
    expect(t.stream.currentSourceId).toBe('A');

    // The old source is removed mid-frame while the keyframe waits: the keyframe goes out at once.
    const u = harness();
    u.stream.select('A', 0);
    u.feed(0, u.a.frameOf(true));
    u.stream.select('B', 10);
    u.feed(20, [u.a.frameOf(false, 3)[0]!]);
    u.feed(25, u.b.frameOf(true));
    u.stream.removeSource('A', 30);
    expect(u.stream.currentSourceId).toBe('B');
    expect(u.sent.map((s) => s.tag)).toEqual(['A:0:0', 'A:0:1', 'A:1:0', 'B:0:0', 'B:0:1']);
    expectContinuous(u.sent);
  });

  it('selecting the pending source again does not ask for another keyframe', () => {
    const { stream, requests } = harness();
    stream.select('A', 0);
    stream.select('A', 10);
    stream.select('A', 20);
    expect(requests).toEqual(['A']);
  });

  it('re-requests a late keyframe every keyframeTimeoutMs, at most maxKeyframeRequests times, and still switches on a natural one', () => {
    const { stream, requests, reports, a, b, feed } = harness({ keyframeTimeoutMs: 1000, maxKeyframeRequests: 3 });
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    requests.length = 0;
    stream.select('B', 100);
    for (let now = 100; now <= 5000; now += 20) {
      stream.tick(now);
      if (now < 4900) feed(now, b.frameOf(false, 1));
    }
    expect(requests).toEqual(['B', 'B', 'B']);
    feed(5000, b.frameOf(true));
    expect(stream.currentSourceId).toBe('B');
    expect(reports[1]).toMatchObject({ to: 'B', switchToKeyframeMs: 4900, keyframeRequests: 3 });
  });

  it('maps payload types per source and drops the ones not negotiated (e.g. RTX)', () => {
    const sent: number[] = [];
    const stream = new SwitchedVideoStream({ outputSsrc: OUT_SSRC }, { send: (p) => sent.push(p[1]! & 0x7f), requestKeyframe: () => {} });
    const a = new FakeSource('A', 1, 0, 0, 100);
    const b = new FakeSource('B', 2, 0, 0, 107);
    stream.addSource('A', { ssrc: 1, payloadTypes: [{ payloadType: 100, outputPayloadType: 97, codec: 'h264' }] });
    stream.addSource('B', { ssrc: 2, payloadTypes: [{ payloadType: 107, outputPayloadType: 97, codec: 'h264' }] });
    stream.select('A', 0);
    a.frameOf(true).forEach((p) => stream.handlePacket(p, 0));
    const rtx = new FakeSource('A', 1, 50, 0, 101).frameOf(false)[0]!;
    expect(stream.handlePacket(rtx, 1)).toBe('unknown_payload_type');
    stream.select('B', 2);
    b.frameOf(true).forEach((p) => stream.handlePacket(p, 3));
    expect(sent).toEqual([97, 97, 97, 97]);
  });

  it('a selected source that goes away pauses the output; a later select resumes at a keyframe with seq continuing', () => {
    const { stream, sent, a, b, feed } = harness();
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    stream.removeSource('A', 10);
    expect(stream.currentSourceId).toBeNull();
    feed(20, b.frameOf(true)); // not selected
    expect(feed(30, a.frameOf(false))).toEqual(['unknown_ssrc', 'unknown_ssrc']);
    expect(sent).toHaveLength(2);
    stream.select('B', 40);
    feed(50, b.frameOf(false));
    feed(1000, b.frameOf(true));
    expect(sent.map((s) => s.tag)).toEqual(['A:0:0', 'A:0:1', 'B:2:0', 'B:2:1']);
    expectContinuous(sent);
    expect((sent[2]!.ts - sent[1]!.ts) >>> 0).toBe(90_000); // 1 s of wall clock
  });

  it('a pending source that goes away cancels the switch: the current one keeps going', () => {
    const { stream, sent, a, b, feed } = harness();
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    stream.select('B', 10);
    stream.removeSource('B', 20);
    expect(stream.pendingSourceId).toBeNull();
    feed(33, a.frameOf(false));
    expect(sent).toHaveLength(4);
    expect(() => stream.select('B', 40)).toThrow(VideoSwitchError);
  });

  it('selecting the current source cancels a pending switch; select(null) stops the output', () => {
    const { stream, sent, a, b, feed } = harness();
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    stream.select('B', 10);
    stream.select('A', 20);
    feed(30, b.frameOf(true));
    expect(stream.currentSourceId).toBe('A');
    stream.select(null, 40);
    feed(50, a.frameOf(false));
    expect(sent.map((s) => s.tag)).toEqual(['A:0:0', 'A:0:1']);
  });

  it('PLI/FIR from the endpoint for the output SSRC asks the current source for a keyframe, throttled', () => {
    const { stream, requests, a, feed } = harness({ minEndpointKeyframeIntervalMs: 250 });
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    requests.length = 0;
    const pli = Uint8Array.from(Buffer.from('81ce0002' + '0e0e0e0e' + OUT_SSRC.toString(16), 'hex'));
    const pliOther = Uint8Array.from(Buffer.from('81ce0002' + '0e0e0e0e' + '01020304', 'hex'));
    expect(stream.handleEndpointRtcp(pli, 1000)).toBe('pli');
    expect(stream.handleEndpointRtcp(pli, 1100)).toBe('pli'); // within 250 ms: not forwarded
    expect(stream.handleEndpointRtcp(pliOther, 1300)).toBeNull();
    expect(stream.handleEndpointRtcp(pli, 1300)).toBe('pli');
    expect(requests).toEqual(['A', 'A']);
  });

  it('gives sender-report fields for the output: packets, payload octets, and the timestamp run on by the wall clock', () => {
    const { stream, a, feed } = harness();
    expect(stream.senderInfo(0)).toBeNull();
    stream.select('A', 0);
    const frame = a.frameOf(true);
    feed(100, frame);
    const payloadOctets = frame.reduce((n, p) => n + p.length - 12, 0);
    expect(stream.senderInfo(100)).toEqual({ rtpTimestamp: 500_000, packetCount: 2, octetCount: payloadOctets });
    expect(stream.senderInfo(600)!.rtpTimestamp).toBe(500_000 + 45_000);
  });

  it('VP8 sources switch at a VP8 keyframe', () => {
    const sent: string[] = [];
    const stream = new SwitchedVideoStream({ outputSsrc: OUT_SSRC }, { send: (p) => sent.push(p[12 + 4]!.toString(16)), requestKeyframe: () => {} });
    stream.addSource('A', { ssrc: 9, payloadTypes: [{ payloadType: 96, outputPayloadType: 96, codec: 'vp8' }] });
    const vp8 = (seq: number, ts: number, key: boolean): Uint8Array =>
      Uint8Array.from([0x80, 0xe0, 0, seq, 0, 0, ts >> 8, ts & 0xff, 0, 0, 0, 9, 0x90, 0x80, 0x80, seq, key ? 0x50 : 0x51, 0x42, 0, 0x9d, 0x01, 0x2a]);
    stream.select('A', 0);
    expect(stream.handlePacket(vp8(1, 1, false), 0)).toBe('awaiting_keyframe');
    expect(stream.handlePacket(vp8(2, 2, true), 0)).toBe('forwarded');
    expect(stream.handlePacket(vp8(3, 3, false), 0)).toBe('forwarded');
  });

  it('VP8 PictureID and TL0PICIDX continue across a switch (and the 15-bit wrap); 7-bit IDs stay 7 bits', () => {
    const out: Array<{ pid: number; tl0: number }> = [];
    const stream = new SwitchedVideoStream({ outputSsrc: OUT_SSRC }, {
      send: (p) => out.push({ pid: p[14]! & 0x80 ? ((p[14]! & 0x7f) << 8) | p[15]! : p[14]!, tl0: p[14]! & 0x80 ? p[16]! : p[15]! }),
      requestKeyframe: () => {},
    });
    stream.addSource('A', { ssrc: 1, payloadTypes: [{ payloadType: 96, outputPayloadType: 96, codec: 'vp8' }] });
    stream.addSource('B', { ssrc: 2, payloadTypes: [{ payloadType: 96, outputPayloadType: 96, codec: 'vp8' }] });
    stream.addSource('C', { ssrc: 3, payloadTypes: [{ payloadType: 96, outputPayloadType: 96, codec: 'vp8' }] });
    /** One-packet VP8 frame: X=1, S=1; I and L; 15-bit (or 7-bit) PictureID; TL0PICIDX. */
    const vp8 = (ssrc: number, n: number, pid: number, tl0: number, key: boolean, long = true): Uint8Array => {
      const pidBytes = long ? [0x80 | (pid >> 8), pid & 0xff] : [pid & 0x7f];
      return Uint8Array.from([0x80, 0xe0, 0, n, 0, 0, n >> 8, n & 0xff, 0, 0, 0, ssrc, 0x90, 0xc0, ...pidBytes, tl0, key ? 0x50 : 0x51, 0x42, 0, 0x9d, 0x01, 0x2a]);
    };
    stream.select('A', 0);
    for (let i = 0; i < 4; i++) stream.handlePacket(vp8(1, 10 + i, (32_766 + i) & 0x7fff, 200 + i, i === 0), i);
    stream.select('B', 4);
    stream.handlePacket(vp8(2, 50, 7, 9, true), 5);
    stream.handlePacket(vp8(2, 51, 8, 10, false), 6);
    stream.select('C', 7);
    stream.handlePacket(vp8(3, 70, 100, 3, true, false), 8);
    stream.handlePacket(vp8(3, 71, 101, 4, false, false), 9);
    expect(out.map((o) => o.pid)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(out.map((o) => o.tl0)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('never throws on garbage, truncated or RTCP input; counts it', () => {
    const { stream, a, feed } = harness();
    stream.select('A', 0);
    feed(0, a.frameOf(true));
    let seed = 3;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 3000; i++) {
      const junk = Uint8Array.from({ length: rand() % 80 }, rand);
      if (i % 3 === 0 && junk.length >= 12) junk[0] = 0x80 | (junk[0]! & 0x3f); // often a plausible version
      if (i % 7 === 0 && junk.length >= 12) junk.set([0xaa, 0xaa, 0x00, 0x01], 8); // and A's SSRC
      expect(() => stream.handlePacket(junk, 1)).not.toThrow();
    }
    expect(stream.counters.invalid).toBeGreaterThan(0);
    expect(stream.handlePacket(Uint8Array.from([0x81, 0xc9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), 2)).toBe('invalid');
  });

  it('refuses caller mistakes with coded errors', () => {
    const { stream } = harness();
    expect(() => stream.addSource('A', { ssrc: 5, payloadTypes: [] })).toThrow(expect.objectContaining({ code: 'duplicate_source' }));
    expect(() => stream.addSource('C', { ssrc: 5, payloadTypes: [{ payloadType: 128, outputPayloadType: 96, codec: 'h264' }] })).toThrow(
      expect.objectContaining({ code: 'bad_options' }),
    );
    expect(() => stream.select('nobody', 0)).toThrow(expect.objectContaining({ code: 'unknown_source' }));
  });
});
