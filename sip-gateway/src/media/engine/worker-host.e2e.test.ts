/**
 * A WorkerHost in-process with its clock driven by hand (scheduler.mixOnce): exact packet counts,
 * continuity across hold, and the inactivity timer, against a real UDP peer on loopback.
 */
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { RoomMixer } from '../mixer/index.js';
import { parseRtcp } from '../rtp/index.js';
import { mediaEngineConfigSchema } from './config.js';
import type { CallEventMessage } from './protocol.js';
import { CallerPeer, sleep } from './testing/caller-peer.js';
import type { CallAudioSession } from './types.js';
import { WorkerHost } from './worker-host.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function setup(): Promise<{ host: WorkerHost; peer: CallerPeer; events: CallEventMessage[]; session: CallAudioSession; rtpPort: number }> {
  const events: CallEventMessage[] = [];
  const host = new WorkerHost({
    workerIndex: 0,
    workerCount: 1,
    config: mediaEngineConfigSchema.parse({ rtpMinPort: 0, rtpMaxPort: 0, inactivityTimeoutMs: 1000, rtcpIntervalMs: 100 }),
    prompts: [],
    createMixer: () => new RoomMixer(),
    emit: (_callId, e) => events.push(e),
    autoTick: false,
  });
  const peer = await CallerPeer.open();
  cleanup.push(() => host.close(), () => peer.close());
  const { rtpPort } = await host.handle({ op: 'openCall', callId: 'c1' });
  const session: CallAudioSession = {
    codec: { name: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1 },
    telephoneEventPayloadType: 101,
    remote: { ip: '127.0.0.1', rtpPort: peer.port, rtcpPort: peer.port },
    rtcpMux: true,
    srtp: null,
    direction: 'sendrecv',
    symmetric: false,
    ptimeMs: 20,
  };
  await host.handle({ op: 'configure', callId: 'c1', session });
  return { host, peer, events, session, rtpPort };
}

describe('WorkerHost driven by mixOnce', () => {
  it('sends exactly one packet per tick, none on hold, and keeps time across the gap (marker after it)', async () => {
    const { host, peer, session } = await setup();
    const t = performance.now();
    for (let i = 0; i < 5; i++) host.scheduler.mixOnce(t + i * 20);
    await host.handle({ op: 'configure', callId: 'c1', session: { ...session, direction: 'recvonly' } });
    for (let i = 5; i < 8; i++) host.scheduler.mixOnce(t + i * 20);
    await host.handle({ op: 'configure', callId: 'c1', session });
    for (let i = 8; i < 10; i++) host.scheduler.mixOnce(t + i * 20);
    await sleep(100);
    const got = peer.received.filter((p) => p.payloadType === 8);
    expect(got).toHaveLength(7);
    expect(got.map((p) => p.marker)).toEqual([true, false, false, false, false, true, false]);
    // Three silent ticks on hold: the timestamp jumped by 4 frames, the sequence by 1.
    expect((got[5]!.timestamp - got[4]!.timestamp) >>> 0).toBe(4 * 160);
    expect((got[5]!.sequenceNumber - got[4]!.sequenceNumber) & 0xffff).toBe(1);
    expect(got.every((p) => p.payload.length === 160)).toBe(true);
  });

  it('sends an RTCP sender report every rtcpIntervalMs counting what it sent', async () => {
    const { host, peer } = await setup();
    const rtcp: Uint8Array[] = [];
    let rtpBeforeReport = -1;
    peer.socket.on('message', (m) => {
      if (m[1]! < 192 || m[1]! > 223) return;
      rtcp.push(Uint8Array.prototype.slice.call(m));
      rtpBeforeReport = peer.received.length; // the peer's own listener ran first
    });
    const t = performance.now();
    for (let i = 0; i < 8; i++) host.scheduler.mixOnce(t + i * 20); // 140 ms: one interval passed
    await sleep(100);
    expect(rtcp).toHaveLength(1);
    const sr = parseRtcp(rtcp[0]!)?.find((p) => p.type === 'sr');
    expect(rtpBeforeReport).toBeGreaterThanOrEqual(4);
    expect(sr).toMatchObject({ type: 'sr', packetCount: rtpBeforeReport, octetCount: rtpBeforeReport * 160 });
  });

  it('reports inactive once when ticks pass the timeout without media, and not before', async () => {
    const { host, events } = await setup();
    const t = performance.now();
    host.scheduler.mixOnce(t + 900);
    expect(events.filter((e) => e.name === 'inactive')).toHaveLength(0);
    host.scheduler.mixOnce(t + 1100);
    host.scheduler.mixOnce(t + 1200);
    expect(events.filter((e) => e.name === 'inactive')).toHaveLength(1);
  });

  it('refuses commands for unknown calls and rooms with typed codes', async () => {
    const { host } = await setup();
    await expect(host.handle({ op: 'callStats', callId: 'nope' })).rejects.toMatchObject({ code: 'unknown_call' });
    await expect(host.handle({ op: 'addTapSource', meetingId: 'nope', source: { producerId: 'p', participantId: 'x', ssrc: 1, payloadType: 100, paused: false } })).rejects.toMatchObject({
      code: 'unknown_room',
    });
    await expect(host.handle({ op: 'openCall', callId: 'c1' })).rejects.toMatchObject({ code: 'bad_command' });
  });
});

describe('which sockets carry the calls (sip.media.udpIo)', () => {
  const hostWith = (udpIo: 'auto' | 'native' | 'dgram', logs: string[] = []): WorkerHost =>
    new WorkerHost({
      workerIndex: 0,
      workerCount: 1,
      config: mediaEngineConfigSchema.parse({ rtpMinPort: 0, rtpMaxPort: 0, udpIo }),
      prompts: [],
      createMixer: () => new RoomMixer(),
      emit: () => undefined,
      log: (level, msg) => logs.push(`${level}: ${msg}`),
      autoTick: false,
    });

  it('without the addon: native refuses to start, auto falls back to dgram and says so', () => {
    const saved = process.env.CONVENE_UDP_IO_ADDON;
    process.env.CONVENE_UDP_IO_ADDON = '/nonexistent/udp_io.node';
    try {
      expect(() => hostWith('native')).toThrow(expect.objectContaining({ code: 'worker_failed' }));
      const logs: string[] = [];
      const host = hostWith('auto', logs);
      cleanup.push(() => host.close());
      expect(host.counters().udpIo).toBe('dgram');
      expect(logs.join('\n')).toMatch(/warn: .*dgram.*udp_io addon is unavailable/);
    } finally {
      if (saved === undefined) delete process.env.CONVENE_UDP_IO_ADDON;
      else process.env.CONVENE_UDP_IO_ADDON = saved;
    }
  });

  it('with the addon: auto and native use it, dgram does not', () => {
    for (const [mode, want] of [['auto', 'native'], ['native', 'native'], ['dgram', 'dgram']] as const) {
      const host = hostWith(mode);
      cleanup.push(() => host.close());
      expect(host.counters().udpIo).toBe(want);
    }
  });
});
