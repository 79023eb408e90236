import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUlaw } from '../sip-gateway/src/media/codecs/index.js';
import type { ParticipantView } from '../server/src/protocol/index.js';
import { writeRtpPcap, type PcapRtpPacket } from './support/pcap-writer.js';
import { createCompany, createRoom, startServiceFixture, type ServiceFixture } from './support/service-fixture.js';
import { runCall, SIPP_PCAP_DIR, type CallStep } from './support/sipp-calls.js';
import { eventually } from './support/convene-process.js';

/**
 * Calls into meetings through the real SIP gateway of a whole node, with real sipp callers on
 * loopback: PIN entry by RFC 4733 (sipp's own captures), SIP INFO and in-band tones, three wrong
 * PINs, the lobby, a full meeting, an unknown address, a late offer, hold and resume, and a caller
 * that sends no media — and the call records each call leaves.
 */
const HOST_PIN = '1234';
const GUEST_PIN = '5678';

let f: ServiceFixture;
let dir: string;
let sipPort: number;
let companyId: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sip-calls-'));
  f = await startServiceFixture();
  sipPort = f.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
  companyId = await createCompany(f);
}, 60_000);

afterAll(async () => {
  await f?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const digitPcap = (d: string) => path.join(SIPP_PCAP_DIR, `dtmf_2833_${d === '#' ? 'pound' : d === '*' ? 'star' : d}.pcap`);
const PCMA_AND_EVENTS = { payloadTypes: [8, 101], rtpmaps: ['8 PCMA/8000', '101 telephone-event/8000'] };
const PCMU_ONLY = { payloadTypes: [0], rtpmaps: ['0 PCMU/8000'] };

interface CdrView {
  vmrId: string;
  participantKind?: string;
  sipCallId?: string;
  sipStatus?: number;
  codecs: { audio: string | null };
  endReason: string | null;
  role?: string;
  callerAddress?: string | null;
}
const calls = async (vmrId: string) => (await f.api<{ items: CdrView[] }>('GET', `/companies/${companyId}/calls?vmrId=${vmrId}`)).items;

/** The meeting's SIP participants as the roster shows them (in-process view of the live meeting). */
async function sipRoster(roomId: string): Promise<ParticipantView[]> {
  const meeting = f.service.meetings.liveMeetings().find((m) => m.room.id === roomId);
  if (!meeting) return [];
  return [...meeting.participants.values()].filter((p) => p.kind === 'sip').map((p) => p.view(false));
}

const callId = (messages: string) => /Call-ID:\s*(\S+)/i.exec(messages)?.[1] ?? '';

describe('PIN entry', () => {
  it('by RFC 4733 telephone-events (sipp\'s own captures): the caller joins as host, and its call record carries Call-ID, codec and 200', async () => {
    const room = await createRoom(f, companyId, { hostPin: HOST_PIN });
    const steps: CallStep[] = [{ pauseMs: 1500 }];
    for (const d of `${HOST_PIN}#`) steps.push({ playPcap: digitPcap(d) }, { pauseMs: 400 });
    steps.push({ pauseMs: 5000 });
    const run = runCall(dir, sipPort, { to: room.address.split('@')[0]!, fromUser: 'desk-101', fromDisplayName: 'Desk 101', offer: PCMA_AND_EVENTS, steps, end: 'bye' });
    await eventually(async () => (await sipRoster(room.id)).some((p) => p.state === 'joined' && p.role === 'host'), 20_000);
    const [member] = await sipRoster(room.id);
    expect(member).toMatchObject({ kind: 'sip', displayName: 'Desk 101', role: 'host', address: expect.stringMatching(/^sip:desk-101@127\.0\.0\.1/) });
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    await eventually(async () => (await calls(room.id)).length === 1, 10_000);
    const [cdr] = await calls(room.id);
    expect(cdr).toMatchObject({ participantKind: 'sip', sipCallId: callId(done.messages), sipStatus: 200, codecs: { audio: 'PCMA' }, role: 'host', endReason: 'left' });
  });

  it('by SIP INFO: three wrong PINs end the call with BYE and a Reason, and the record says 403 too_many_pin_attempts', async () => {
    const room = await createRoom(f, companyId, { hostPin: HOST_PIN });
    const steps: CallStep[] = [{ pauseMs: 1000 }];
    for (const wrong of ['9', '98', '987']) {
      for (const d of `${wrong}#`) steps.push({ infoDigit: d }, { pauseMs: 150 });
      steps.push({ pauseMs: 2500 });
    }
    const done = await runCall(dir, sipPort, { to: room.address.split('@')[0]!, offer: PCMA_AND_EVENTS, steps, end: 'expect-bye' });
    expect(done.code, done.stderr).toBe(0);
    expect(done.messages).toMatch(/BYE sip:[\s\S]*Reason: SIP;cause=403;text="too_many_pin_attempts"/);
    await eventually(async () => (await calls(room.id)).length === 1, 10_000);
    expect((await calls(room.id))[0]).toMatchObject({ sipCallId: callId(done.messages), sipStatus: 403, endReason: 'too_many_pin_attempts' });
    expect(await sipRoster(room.id)).toEqual([]);
  });

  it('by in-band tones from a caller that negotiated no telephone-event', async () => {
    const room = await createRoom(f, companyId, { hostPin: HOST_PIN });
    const pcap = path.join(dir, 'inband-1234.pcap');
    writeRtpPcap(pcap, inbandDigits(`${HOST_PIN}#`));
    const run = runCall(dir, sipPort, { to: room.address.split('@')[0]!, offer: PCMU_ONLY, steps: [{ pauseMs: 1500 }, { playPcap: pcap }, { pauseMs: 6000 }], end: 'bye' });
    await eventually(async () => (await sipRoster(room.id)).some((p) => p.state === 'joined' && p.role === 'host'), 25_000);
    const finished = await run;
    expect(finished.code, finished.stderr).toBe(0);
  });
});

describe('the lobby', () => {
  it('a SIP guest waits in the lobby until a host admits it', async () => {
    const room = await createRoom(f, companyId, { hostPin: HOST_PIN, guestPin: GUEST_PIN, allowGuests: true });
    const steps: CallStep[] = [{ pauseMs: 1000 }];
    for (const d of `${GUEST_PIN}#`) steps.push({ infoDigit: d }, { pauseMs: 150 });
    steps.push({ pauseMs: 12_000 });
    const run = runCall(dir, sipPort, { to: room.address.split('@')[0]!, offer: PCMA_AND_EVENTS, steps, end: 'bye' });
    await eventually(async () => (await sipRoster(room.id)).length === 1, 20_000);
    const meeting = f.service.meetings.liveMeetings().find((m) => m.room.id === room.id)!;
    const guest = [...meeting.participants.values()].find((p) => p.kind === 'sip')!;
    expect(guest.state).toBe('lobby');
    const host = await f.service.meetings.join({ address: room.address, displayName: 'Host', pin: HOST_PIN, mode: 'audio-only', bandwidthKbps: 576, source: '127.0.0.1' });
    if (guest.state === 'lobby') await host.host({ action: 'admit', participantId: guest.id });
    await eventually(() => guest.state === 'joined', 10_000);
    // Its audio leg is in the meeting: an RTP leg with an Opus mic producer.
    await eventually(() => (guest.media?.producers() ?? []).some((p) => p.source === 'mic'), 10_000);
    const finished = await run;
    expect(finished.code, finished.stderr).toBe(0);
    await host.leave();
  });
});

describe('refusals', () => {
  it('a call to an unknown address gets 404', async () => {
    const done = await runCall(dir, sipPort, { to: 'no.such.room.anywhere', offer: PCMU_ONLY, steps: [], end: 'bye', refusedWith: 404 });
    expect(done.code, done.stderr).toBe(0);
  });

  it('an offer with media addresses of another IP family than our media sockets gets 488 with Warning 301', async () => {
    const room = await createRoom(f, companyId);
    const done = await runCall(dir, sipPort, { to: room.address.split('@')[0]!, offer: { ...PCMU_ONLY, connection: 'IN IP6 ::1' }, steps: [], end: 'bye', refusedWith: 488 });
    expect(done.code, done.stderr).toBe(0);
    expect(done.messages).toMatch(/Warning: 301 convene "Incompatible network address format/);
  });

  it('a full meeting refuses the 101st participant, browser or SIP, with the shared code and status (486 Meeting Full)', async () => {
    const room = await createRoom(f, companyId);
    const joins = await Promise.allSettled(
      Array.from({ length: 100 }, (_, i) => f.service.meetings.join({ address: room.address, displayName: `P${i}`, mode: 'audio-only', bandwidthKbps: 576, source: `10.0.${i >> 8}.${i & 255}` })),
    );
    expect(joins.filter((j) => j.status === 'fulfilled')).toHaveLength(100);
    await expect(f.service.meetings.join({ address: room.address, displayName: 'Late', mode: 'audio-only', bandwidthKbps: 576, source: '127.0.0.1' })).rejects.toMatchObject({ code: 'meeting_full' });
    const done = await runCall(dir, sipPort, { to: room.address.split('@')[0]!, offer: PCMU_ONLY, steps: [], end: 'bye', refusedWith: 486 }, 60);
    expect(done.code, done.stderr).toBe(0);
    expect(done.messages).toMatch(/SIP\/2\.0 486 Meeting Full/);
    await eventually(async () => (await calls(room.id)).some((c) => c.sipStatus === 486), 10_000);
    expect((await calls(room.id)).find((c) => c.sipStatus === 486)).toMatchObject({ sipCallId: callId(done.messages), endReason: 'meeting_full', codecs: { audio: 'PCMU' } });

    // A caller who hangs up while the refusal prompt plays (CANCEL during the 183's early media) gets 487.
    const cancelled = await runCall(dir, sipPort, { to: room.address.split('@')[0]!, offer: PCMU_ONLY, steps: [], end: 'bye', cancelAfter183: true }, 60);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    await eventually(async () => (await calls(room.id)).some((c) => c.sipStatus === 487), 10_000);
    for (const j of joins) if (j.status === 'fulfilled') await j.value.leave();
  });
});

describe('call handling', () => {
  it('a late offer (INVITE without SDP) gets our offer in the 200 and the ACK answers it', async () => {
    const room = await createRoom(f, companyId);
    const run = runCall(dir, sipPort, { to: room.address.split('@')[0]!, offer: null, steps: [{ pauseMs: 3000 }], end: 'bye' });
    await eventually(async () => (await sipRoster(room.id)).some((p) => p.state === 'joined'), 20_000);
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    expect(done.messages).toMatch(/SIP\/2\.0 200 OK[\s\S]*m=audio \d+ RTP\/AVP [\d ]*\b0\b/);
  });

  it('the host ending the meeting hangs up the SIP caller with BYE and Reason meeting_ended', async () => {
    const room = await createRoom(f, companyId);
    const run = runCall(dir, sipPort, { to: room.address.split('@')[0]!, offer: PCMU_ONLY, steps: [], end: 'expect-bye' }, 30);
    await eventually(async () => (await sipRoster(room.id)).some((p) => p.state === 'joined'), 20_000);
    const host = await f.service.meetings.join({ address: room.address, displayName: 'Host', mode: 'audio-only', bandwidthKbps: 576, source: '127.0.0.1' });
    await host.host({ action: 'end' });
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    expect(done.messages).toMatch(/Reason: SIP;cause=200;text="meeting_ended"/);
  });

  it('hold and resume by re-INVITE are answered (recvonly while held)', async () => {
    const room = await createRoom(f, companyId);
    const done = await runCall(dir, sipPort, {
      to: room.address.split('@')[0]!,
      offer: PCMU_ONLY,
      steps: [{ pauseMs: 1000 }, { reinvite: 'sendonly' }, { pauseMs: 1000 }, { reinvite: 'sendrecv' }, { pauseMs: 500 }],
      end: 'bye',
    });
    expect(done.code, done.stderr).toBe(0);
    expect(done.messages).toMatch(/a=recvonly/);
  });

});

describe('media inactivity', () => {
  // A node of its own with a short RTP inactivity timeout (the shipped default is 30 s).
  let quiet: ServiceFixture;
  let quietPort: number;
  beforeAll(async () => {
    quiet = await startServiceFixture({ sip: { media: { inactivityTimeoutMs: 2000 } } });
    quietPort = quiet.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
  }, 60_000);
  afterAll(async () => {
    await quiet?.stop();
  });

  it('a caller that sends no RTP is hung up after the inactivity timeout, with Reason media_timeout', async () => {
    const room = await createRoom(quiet, await createCompany(quiet));
    const done = await runCall(dir, quietPort, { to: room.address.split('@')[0]!, offer: PCMU_ONLY, steps: [], end: 'expect-bye' }, 30);
    expect(done.code, done.stderr).toBe(0);
    expect(done.messages).toMatch(/Reason: SIP;cause=408;text="media_timeout"/);
  });
});

describe('media capacity', () => {
  it('a call the media engine has no ports for gets 503 with Retry-After, and the calls already in go on', async () => {
    // Four media ports: one call's RTP/RTCP pair, the meeting's tap and the call's SFU-facing socket.
    const small = await startServiceFixture({ sip: { media: { workers: 1, rtpMinPort: 35_100, rtpMaxPort: 35_103 } } });
    try {
      const port = small.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
      const room = await createRoom(small, await createCompany(small));
      const first = runCall(dir, port, { to: room.address.split('@')[0]!, offer: PCMU_ONLY, steps: [{ pauseMs: 4000 }], end: 'bye' }, 30);
      await eventually(() => small.service.calls.list().some((c) => c.state === 'in_meeting'), 20_000);
      const second = await runCall(dir, port, { to: room.address.split('@')[0]!, offer: PCMU_ONLY, steps: [], end: 'bye', refusedWith: 503 }, 30);
      expect(second.code, second.stderr).toBe(0);
      expect(second.messages).toMatch(/SIP\/2\.0 503[\s\S]*Retry-After: 10/);
      const done = await first;
      expect(done.code, done.stderr).toBe(0);
    } finally {
      await small.stop();
    }
  }, 60_000);
});

describe('node drain', () => {
  it('a node that stops hangs up its calls with BYE and Reason server_shutdown', async () => {
    const node = await startServiceFixture();
    const port = node.service.sip.transports.find((t) => t.protocol === 'udp')!.local.port;
    const room = await createRoom(node, await createCompany(node));
    const run = runCall(dir, port, { to: room.address.split('@')[0]!, offer: PCMU_ONLY, steps: [], end: 'expect-bye' }, 30);
    await eventually(() => node.service.calls.list().some((c) => c.state === 'in_meeting'), 20_000);
    await node.stop();
    const done = await run;
    expect(done.code, done.stderr).toBe(0);
    expect(done.messages).toMatch(/Reason: SIP;cause=503;text="server_shutdown"/);
  }, 60_000);
});

/** RTP packets (PCMU, 20 ms) carrying DTMF tone pairs, 120 ms per key and 120 ms gaps, after 200 ms of silence. */
function inbandDigits(keys: string): PcapRtpPacket[] {
  const low: Record<string, number> = { '1': 697, '2': 697, '3': 697, '4': 770, '5': 770, '6': 770, '7': 852, '8': 852, '9': 852, '*': 941, '0': 941, '#': 941 };
  const high: Record<string, number> = { '1': 1209, '2': 1336, '3': 1477, '4': 1209, '5': 1336, '6': 1477, '7': 1209, '8': 1336, '9': 1477, '*': 1209, '0': 1336, '#': 1477 };
  const frames: Int16Array[] = [];
  const silence = (ms: number) => {
    for (let i = 0; i < ms / 20; i++) frames.push(new Int16Array(160));
  };
  silence(200);
  let t = 0;
  for (const k of keys) {
    for (let fIdx = 0; fIdx < 6; fIdx++) {
      const frame = new Int16Array(160);
      for (let i = 0; i < 160; i++, t++) frame[i] = Math.round(6000 * Math.sin((2 * Math.PI * low[k]! * t) / 8000) + 6000 * Math.sin((2 * Math.PI * high[k]! * t) / 8000));
      frames.push(frame);
    }
    silence(120);
  }
  silence(200);
  return frames.map((pcm, i) => {
    const payload = new Uint8Array(160);
    encodeUlaw(pcm, payload);
    return { atMs: i * 20, payloadType: 0, sequenceNumber: 1000 + i, timestamp: 8000 + i * 160, ssrc: 0x1234abcd, marker: i === 0, payload };
  });
}
