import { describe, expect, it } from 'vitest';
import { Rfc4733Receiver, type RtpPacketFields } from './rfc4733-receiver.js';
import { readRtpFromPcap } from './testing/pcap.js';
import type { DtmfKey, DtmfKeyEvent } from './digits.js';

const PT = 101;
const SIPP_PCAPS = '/usr/share/sip-tester';

function keysOf(receiver: Rfc4733Receiver, packets: RtpPacketFields[]): DtmfKey[] {
  return packets.map((p) => receiver.receive(p)).filter((e): e is DtmfKeyEvent => e !== null).map((e) => e.key);
}

/** Hand-built packet: event code, end bit, volume, duration at an RTP timestamp. */
function ev(code: number, timestamp: number, duration: number, end = false, opts: { marker?: boolean; seq?: number; volume?: number } = {}): RtpPacketFields {
  const payload = new Uint8Array([code, (end ? 0x80 : 0) | (opts.volume ?? 10), duration >> 8, duration & 0xff]);
  return { payloadType: PT, sequenceNumber: opts.seq ?? 0, timestamp, marker: opts.marker ?? false, payload };
}

/** A well-formed RFC 4733 press: start, updates every 160 samples, three end packets. */
function press(code: number, timestamp: number, markers: 'first' | 'none' | 'all', durationSamples = 800): RtpPacketFields[] {
  const out: RtpPacketFields[] = [];
  for (let d = 0; d < durationSamples; d += 160) out.push(ev(code, timestamp, d, false, { marker: markers === 'all' || (markers === 'first' && d === 0) }));
  for (let i = 0; i < 3; i++) out.push(ev(code, timestamp, durationSamples, true, { marker: markers === 'all' }));
  return out;
}

describe('Rfc4733Receiver with the pcaps sipp ships', () => {
  const names: [string, DtmfKey][] = [...'0123456789'].map((d) => [d, d as DtmfKey]);
  names.push(['star', '*'], ['pound', '#']);
  for (const [name, key] of names) {
    const path = `${SIPP_PCAPS}/dtmf_2833_${name}.pcap`;
    it(`dtmf_2833_${name}.pcap carries exactly one '${key}'`, () => {
      const packets = readRtpFromPcap(path);
      expect(packets.length).toBeGreaterThan(3); // start, updates and the repeated end packets
      const receiver = new Rfc4733Receiver({ payloadType: PT });
      const events = packets.map((p) => receiver.receive(p)).filter((e) => e !== null);
      expect(events).toEqual([expect.objectContaining({ key, method: 'rfc4733', volumeDbm0: -10 })]);
    });
  }

  it('the whole PIN from concatenated captures, each replayed twice (retransmission), gives each digit once', () => {
    const receiver = new Rfc4733Receiver({ payloadType: PT });
    const seen: DtmfKey[] = [];
    // The sipp captures reuse timestamps between files, so keep them apart as a sender would.
    let base = 0;
    for (const name of ['1', '2', '3', '4', 'pound']) {
      const packets = readRtpFromPcap(`${SIPP_PCAPS}/dtmf_2833_${name}.pcap`).map((p) => ({ ...p, timestamp: (base + 1000) >>> 0 }));
      base += 2000;
      seen.push(...keysOf(receiver, [...packets, ...packets]));
    }
    expect(seen).toEqual(['1', '2', '3', '4', '#']);
  });
});

describe('Rfc4733Receiver edge cases', () => {
  const pin = [1, 2, 3, 11];
  const expected: DtmfKey[] = ['1', '2', '3', '#'];

  it('reports each digit once whether the marker bit is set once, never, or on every packet', () => {
    for (const markers of ['first', 'none', 'all'] as const) {
      const receiver = new Rfc4733Receiver({ payloadType: PT });
      const packets = pin.flatMap((code, i) => press(code, 10_000 + i * 4000, markers));
      expect(keysOf(receiver, packets), markers).toEqual(expected);
    }
  });

  it('the same digit pressed twice is two presses (new timestamp), even with every marker missing', () => {
    const receiver = new Rfc4733Receiver({ payloadType: PT });
    expect(keysOf(receiver, [...press(5, 1000, 'none'), ...press(5, 3000, 'none')])).toEqual(['5', '5']);
  });

  it('a lost start packet: the digit comes on the first packet seen; a late start stays silent', () => {
    const receiver = new Rfc4733Receiver({ payloadType: PT });
    const packets = press(7, 5000, 'first');
    const [start, ...rest] = packets;
    const events = rest.map((p) => receiver.receive(p));
    expect(events[0]).toEqual({ key: '7', method: 'rfc4733', rtpTimestamp: 5000, volumeDbm0: -10 });
    expect(events.slice(1).every((e) => e === null)).toBe(true);
    expect(receiver.receive(start!)).toBeNull();
  });

  it('a press whose packets are all end packets (only the end survived) still counts once', () => {
    const receiver = new Rfc4733Receiver({ payloadType: PT });
    expect(keysOf(receiver, [ev(9, 800, 800, true), ev(9, 800, 800, true), ev(9, 800, 800, true)])).toEqual(['9']);
  });

  it('late packets of an earlier press, arriving after the next press started, are ignored', () => {
    const receiver = new Rfc4733Receiver({ payloadType: PT });
    const first = press(1, 1000, 'first');
    const second = press(2, 3000, 'first');
    const packets = [...first.slice(0, 3), ...second.slice(0, 2), ...first.slice(3), ...second.slice(2)];
    expect(keysOf(receiver, packets)).toEqual(['1', '2']);
  });

  it('a long event: duration wrapping on one timestamp, or continuing in a new segment, is one press', () => {
    const wrap = new Rfc4733Receiver({ payloadType: PT });
    const wrapped = [ev(0, 0, 65_000), ev(0, 0, 65_535), ev(0, 0, 100), ev(0, 0, 500, true), ev(0, 0, 500, true)];
    expect(keysOf(wrap, wrapped)).toEqual(['0']);

    // RFC 4733 §2.5.1.3: at 0xFFFF the sender starts a new segment at timestamp + 0xFFFF, no end bit between.
    const segments = new Rfc4733Receiver({ payloadType: PT });
    const ts = 0xffff_ff00; // the RTP timestamp wraps during the event, too
    const seg2 = (ts + 0xffff) >>> 0;
    const packets = [ev(0, ts, 0), ev(0, ts, 65_000), ev(0, ts, 65_535), ev(0, seg2, 160), ev(0, seg2, 320, true), ev(0, seg2, 320, true)];
    expect(keysOf(segments, packets)).toEqual(['0']);
    // …but after that event ended, the same digit again is a new press.
    expect(keysOf(segments, press(0, (seg2 + 2000) >>> 0, 'none'))).toEqual(['0']);
  });

  it('reports volume, hook flash, and ignores other payload types, short payloads and non-DTMF events', () => {
    const receiver = new Rfc4733Receiver({ payloadType: PT });
    expect(receiver.receive(ev(4, 100, 0, false, { volume: 25 }))).toMatchObject({ key: '4', volumeDbm0: -25 });
    expect(receiver.receive({ ...ev(5, 200, 0), payloadType: 0 })).toBeNull();
    expect(receiver.receive({ ...ev(5, 300, 0), payload: new Uint8Array([5, 10]) })).toBeNull();
    expect(receiver.receive(ev(32, 400, 0))).toBeNull(); // RFC 4734 modem tone, not a key
    expect(receiver.receive(ev(16, 500, 0))).toMatchObject({ key: 'hookflash' });
    expect(keysOf(receiver, [ev(12, 600, 0), ev(13, 700, 0), ev(14, 800, 0), ev(15, 900, 0), ev(10, 1000, 0)])).toEqual(['A', 'B', 'C', 'D', '*']);
  });

  it('a new SSRC starts afresh: its first event is reported even with a timestamp seen before', () => {
    const receiver = new Rfc4733Receiver({ payloadType: PT });
    expect(receiver.receive({ ...ev(1, 1000, 0), ssrc: 1 })).toMatchObject({ key: '1' });
    expect(receiver.receive({ ...ev(1, 1000, 160), ssrc: 1 })).toBeNull();
    expect(receiver.receive({ ...ev(2, 1000, 0), ssrc: 2 })).toMatchObject({ key: '2' });
  });
});
