/**
 * One meeting's audio inside a worker: the room mixer, the tap socket the SFU's audio tap sends
 * browsers' audio to (plain RTP, RTCP muxed), demultiplexed by SSRC into mixer sources, and the
 * calls joined to it (each a mixer source 'leg' and a mix-minus output leg).
 */
import type dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { RoomMixerApi } from '../mixer/types.js';
import { buildReceiverReport, isRtcp, parseRtp } from '../rtp/index.js';
import type { CallLeg, LegRoom } from './call-leg.js';
import type { PortAllocator } from './port-allocator.js';
import type { TapSource } from './types.js';

export interface RoomMixerOptions {
  maxSpeakers: number;
  jitter: { minMs: number; maxMs: number };
}
export type RoomMixerFactory = (opts: RoomMixerOptions) => RoomMixerApi;

export interface RoomCounters {
  droppedPackets: number;
  /** Late/lost counts of sources that have been removed (live sources are read from the mixer). */
  retiredJitterLate: number;
  retiredJitterLost: number;
}

export class RoomHost implements LegRoom {
  /** Holders (openRoom handles) plus joined calls; the room closes at zero. */
  refs = 0;
  readonly calls = new Map<string, CallLeg>();
  private readonly bySsrc = new Map<number, TapSource>();
  private readonly byProducer = new Map<string, TapSource>();
  /** Tap sources currently registered in the mixer (by producerId). */
  private readonly inMixer = new Set<string>();
  private tapRemote: { ip: string; port: number } | null = null;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private nextRtcpMs = 0;
  private closed = false;
  /** Calls whose room feed went out this tick (reused: the tick allocates nothing it can avoid). */
  private readonly fed = new Set<string>();

  constructor(
    readonly meetingId: string,
    readonly mixer: RoomMixerApi,
    private readonly tapSocket: dgram.Socket,
    private readonly allocator: PortAllocator,
    private readonly counters: RoomCounters,
    private readonly rtcpIntervalMs: number,
    private readonly now: () => number,
  ) {
    tapSocket.on('message', (msg, rinfo) => {
      try {
        // Once the tap's transport is known, nobody else may feed the room.
        if (this.tapRemote && rinfo.address !== this.tapRemote.ip) return void this.counters.droppedPackets++;
        this.onTap(msg);
      } catch {
        this.counters.droppedPackets++;
      }
    });
    tapSocket.on('error', () => undefined);
  }

  get tapPort(): number {
    return this.tapSocket.address().port;
  }

  setTapRemote(remote: { ip: string; port: number }): void {
    this.tapRemote = remote;
  }

  addTapSource(source: TapSource): void {
    this.removeTapSource(source.producerId);
    const copy = { ...source };
    this.byProducer.set(copy.producerId, copy);
    this.bySsrc.set(copy.ssrc >>> 0, copy);
    this.syncMixerSource(copy);
  }

  removeTapSource(producerId: string): void {
    const s = this.byProducer.get(producerId);
    if (!s) return;
    this.byProducer.delete(producerId);
    if (this.bySsrc.get(s.ssrc >>> 0) === s) this.bySsrc.delete(s.ssrc >>> 0);
    this.removeMixerSource(producerId);
  }

  setTapSourcePaused(producerId: string, paused: boolean): void {
    const s = this.byProducer.get(producerId);
    if (!s) return;
    s.paused = paused;
    if (this.inMixer.has(producerId)) this.mixer.setSourceMuted(producerId, paused);
  }

  /** A call joins: its audio becomes a 'leg' source, and it hears the room minus itself. */
  join(call: CallLeg): void {
    const codec = call.session!.codec;
    this.calls.set(call.callId, call);
    this.mixer.addSource(call.callId, { codec: codec.name, origin: 'leg' });
    this.mixer.addLeg(call.callId, { codec, ownSourceId: call.callId });
    if (call.muted) this.mixer.setSourceMuted(call.callId, true);
    // The tap also carries this caller's own producer (the SFU leg): never mix it twice.
    for (const s of this.byProducer.values()) this.syncMixerSource(s);
  }

  /** The call's codec changed (re-INVITE): its source and leg are re-created in the new codec. */
  rejoin(call: CallLeg): void {
    this.removeMixerSource(call.callId, false);
    this.mixer.removeLeg(call.callId);
    this.join(call);
  }

  leave(call: CallLeg): void {
    if (!this.calls.delete(call.callId)) return;
    this.mixer.removeLeg(call.callId);
    this.removeMixerSource(call.callId, false);
    for (const s of this.byProducer.values()) this.syncMixerSource(s);
  }

  setMuted(call: CallLeg, muted: boolean): void {
    if (this.calls.has(call.callId)) this.mixer.setSourceMuted(call.callId, muted);
  }

  pushLegAudio(callId: string, sequenceNumber: number, timestamp: number, payload: Uint8Array, arrivalMs: number): void {
    if (this.calls.has(callId)) this.mixer.pushPacket(callId, sequenceNumber, timestamp, payload, arrivalMs);
  }

  /** One tick: mix, hand every leg its frame and send every caller's room feed. */
  tick(nowMs: number): void {
    const frame = this.mixer.mixOnce(nowMs);
    for (const leg of frame.legs) this.calls.get(leg.legId)?.setLegPayload(leg.payload);
    const fed = this.fed;
    fed.clear();
    for (const feed of frame.roomFeeds) {
      const call = this.calls.get(feed.sourceId);
      if (!call) continue;
      call.sendRoomFeed(feed);
      fed.add(feed.sourceId);
    }
    for (const call of this.calls.values()) call.afterRoomTick(fed.has(call.callId));
    if (nowMs >= this.nextRtcpMs) {
      this.nextRtcpMs = nowMs + this.rtcpIntervalMs;
      this.sendTapRtcp();
    }
  }

  /** Cumulative jitter-buffer late/lost over this room's live sources. */
  jitterTotals(): { late: number; lost: number } {
    let late = 0;
    let lost = 0;
    const ids = [...this.inMixer, ...this.calls.keys()];
    for (const id of ids) {
      const s = this.mixer.jitterStats(id);
      if (s) {
        late += s.late;
        lost += s.lost;
      }
    }
    return { late, lost };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.inMixer, ...this.calls.keys()]) this.retire(id);
    this.mixer.close();
    this.allocator.release(this.tapSocket);
  }

  private onTap(msg: Buffer): void {
    if (this.closed || isRtcp(msg)) return; // the tap's RTCP (muxed): nothing we need
    const rtp = parseRtp(msg);
    if (!rtp) return void this.counters.droppedPackets++;
    const source = this.bySsrc.get(rtp.ssrc);
    if (!source || source.payloadType !== rtp.payloadType || !this.inMixer.has(source.producerId)) return void this.counters.droppedPackets++;
    const payload = msg.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength);
    if (payload.length === 0) return;
    this.mixer.pushPacket(source.producerId, rtp.sequenceNumber, rtp.timestamp, payload, this.now());
  }

  /** Registers a tap source in the mixer unless it is one of this room's own callers. */
  private syncMixerSource(s: TapSource): void {
    const own = [...this.calls.values()].some((c) => c.participantId === s.participantId);
    if (own) {
      this.removeMixerSource(s.producerId);
      return;
    }
    if (!this.inMixer.has(s.producerId)) {
      this.mixer.addSource(s.producerId, { codec: 'opus', origin: 'room' });
      this.inMixer.add(s.producerId);
    }
    this.mixer.setSourceMuted(s.producerId, s.paused);
  }

  private removeMixerSource(id: string, tap = true): void {
    if (tap && !this.inMixer.delete(id)) return;
    this.retire(id);
    this.mixer.removeSource(id);
  }

  private retire(id: string): void {
    const s = this.mixer.jitterStats(id);
    if (s) {
      this.counters.retiredJitterLate += s.late;
      this.counters.retiredJitterLost += s.lost;
    }
  }

  private sendTapRtcp(): void {
    const remote = this.tapRemote;
    if (!remote) return;
    // A fresh buffer: dgram sends later, a shared one could be rewritten first.
    const out = Buffer.allocUnsafe(64);
    const len = buildReceiverReport(out, { ssrc: this.ssrc, reports: [], cname: 'convene-gateway-mixer' });
    this.tapSocket.send(out.subarray(0, len), remote.port, remote.ip);
  }
}
