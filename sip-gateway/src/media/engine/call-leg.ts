/**
 * One SIP call's media inside a worker: the caller-facing RTP/RTCP sockets, the receive path
 * (RTCP demux → SRTP → RTP parse → DTMF / mixer / in-band detector), the 20 ms send path (prompt,
 * else the room's mix for this leg, else silence), RTCP reports, inactivity, and — while in a
 * room — the SFU-facing socket that carries the caller's audio to the meeting as Opus.
 */
import type dgram from 'node:dgram';
import type { UdpSocketLike } from '../udp-io/index.js';
import { randomBytes } from 'node:crypto';
import { InbandDtmfDetector, Rfc4733Receiver, type DtmfKeyEvent } from '../dtmf/index.js';
import { buildReceiverReport, buildSenderReport, parseRtcp, parseRtp, ReceptionStats, writeRtpPacket, type ReportBlock, type RtpHeaderFields } from '../rtp/index.js';
import type { RoomFeedFrame } from '../mixer/types.js';
import { connectTo, clearRtcp, clearRtp, listenToCaller, relatchNeeded, sameAddress, sdpDestinations, type LegCounters } from './caller-sockets.js';
import type { MediaEngineConfig } from './config.js';
import { assertCodecSupported, FrameDecoder, FrameEncoder, timestampStepOf } from './frame-codec.js';
import { MediaEngineError, type PortAllocator, type UdpBinder } from './port-allocator.js';
import type { PromptLibrary } from './prompts.js';
import type { CallEventMessage } from './protocol.js';
import { PeerSender } from './peer-sender.js';
import { srtpSessionFor, type SrtpSession } from './srtp-session.js';
import type { CallAudioSession, CallMediaStats, PromptId, RoomSendTarget } from './types.js';

/** What a call needs from the worker that hosts it. */
export interface LegContext {
  readonly config: MediaEngineConfig;
  readonly allocator: PortAllocator;
  /** Opens the call's own sockets (caller pair, SFU-facing): native (udp-io) when loaded, else dgram. */
  readonly bind: UdpBinder<UdpSocketLike>;
  readonly prompts: PromptLibrary;
  readonly counters: LegCounters;
  emit(callId: string, event: CallEventMessage): void;
}

export type { LegCounters } from './caller-sockets.js';

/** The room side a call talks to while joined (implemented by RoomHost). */
export interface LegRoom {
  readonly meetingId: string;
  pushLegAudio(callId: string, sequenceNumber: number, timestamp: number, payload: Uint8Array, arrivalMs: number): void;
}

interface Playback {
  pcm: Int16Array;
  pos: number;
  loop: boolean;
  resolve: (how: 'done' | 'stopped') => void;
}

const CNAME = 'convene-gateway';
/** SR with one report block + SDES CNAME fits easily. */
const RTCP_BYTES = 128;

/**
 * A buffer for one outgoing datagram. dgram sends after the current tick of the event loop, so a
 * buffer reused for the next packet could be overwritten before it leaves; Buffer.allocUnsafe
 * takes small buffers from Node's shared slab, so this is not one heap allocation per packet.
 */
function packetBuffer(bytes: number): Buffer {
  return Buffer.allocUnsafe(bytes);
}

export class CallLeg {
  session: CallAudioSession | null = null;
  room: LegRoom | null = null;
  participantId: string | null = null;
  muted = false;

  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private sequence = randomBytes(2).readUInt16BE(0);
  private timestamp = randomBytes(4).readUInt32BE(0);
  /** Nothing was sent last tick: the next packet starts a talkspurt (marker bit). */
  private gap = true;
  private packetsSent = 0;
  private octetsSent = 0;

  private encoder: FrameEncoder | null = null;
  private decoder: FrameDecoder | null = null;
  private inband: InbandDtmfDetector | null = null;
  private inbandEnabled = false;
  private rfc4733: Rfc4733Receiver | null = null;
  private srtp: SrtpSession | null = null;
  private reception: ReceptionStats | null = null;
  private remoteSsrc: number | null = null;
  private packetsReceived = 0;

  /** Where RTP/RTCP go: the SDP's address, or the latched source. */
  private rtpDest: { ip: string; port: number } | null = null;
  private rtcpDest: { ip: string; port: number } | null = null;
  private latched = false;
  private rtcpLatched = false;

  private lastPacketMs: number | null = null;
  /** Start of the current "expecting media" period (configure or resume). */
  private expectSinceMs = 0;
  private inactiveReported = false;
  private nextRtcpMs = 0;

  private playback: Playback | null = null;
  /** One frame of prompt PCM (reused every tick). */
  private promptFrame = new Int16Array(0);
  private pendingLegPayload: Uint8Array | null = null;

  private sfuSocket: UdpSocketLike | null = null;
  private sfuTarget: RoomSendTarget | null = null;
  private sfuSequence = randomBytes(2).readUInt16BE(0);
  private sfuTimestamp = randomBytes(4).readUInt32BE(0);
  private sfuGap = true;
  private closed = false;
  /** The RTP socket's sends; connected to the caller once latched (symmetric calls). */
  private readonly rtpSender: PeerSender;
  /** Header fields of the next packet to the caller / to the SFU, rewritten per packet (no garbage per send). */
  private readonly rtpHeader: RtpHeaderFields = { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0 };
  private readonly sfuLevel = { extensionId: 1, level: 127, voice: false };
  private readonly sfuHeader: RtpHeaderFields = { marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, audioLevel: this.sfuLevel };

  constructor(
    readonly callId: string,
    private readonly rtpSocket: UdpSocketLike,
    private readonly rtcpSocket: UdpSocketLike,
    private readonly ctx: LegContext,
    private readonly now: () => number,
  ) {
    this.rtpSender = new PeerSender(rtpSocket);
    listenToCaller(rtpSocket, rtcpSocket, ctx.counters, {
      receiving: () => (this.closed ? null : this.session),
      rtp: (msg, rinfo, arrivalMs) => this.onRtp(msg, rinfo, arrivalMs),
      rtcp: (msg, rinfo, arrivalMs) => this.onRtcp(msg, rinfo, arrivalMs),
    });
  }

  get local(): { rtpPort: number; rtcpPort: number } {
    return { rtpPort: this.rtpSocket.address().port, rtcpPort: this.rtcpSocket.address().port };
  }

  get codecName(): CallAudioSession['codec']['name'] | null {
    return this.session?.codec.name ?? null;
  }

  configure(session: CallAudioSession): void {
    assertCodecSupported(session.codec);
    const prev = this.session;
    const srtp = srtpSessionFor({ keys: prev?.srtp ?? null, session: this.srtp }, session.srtp);
    const codecChanged = !prev || prev.codec.name !== session.codec.name || prev.codec.clockRate !== session.codec.clockRate;
    this.session = session;
    this.srtp = srtp;
    if (codecChanged) {
      this.encoder = new FrameEncoder(session.codec.name);
      this.decoder = null;
      this.inband = null;
      this.reception = null;
      this.remoteSsrc = null;
      if (this.inbandEnabled) this.enableInband();
    }
    this.rfc4733 = session.telephoneEventPayloadType === null ? null : new Rfc4733Receiver({ payloadType: session.telephoneEventPayloadType });
    if (relatchNeeded(prev, session)) {
      // A new remote is latched afresh, from any source: the socket must hear everyone again.
      this.rtpSender.disconnect();
      this.latched = false;
      this.rtcpLatched = false;
      ({ rtp: this.rtpDest, rtcp: this.rtcpDest } = sdpDestinations(session));
    }
    if (!this.sends()) this.gap = true;
    this.expectSinceMs = this.now();
    this.inactiveReported = false;
    this.nextRtcpMs = this.now() + this.ctx.config.rtcpIntervalMs;
  }

  setInbandDtmf(enabled: boolean): void {
    this.inbandEnabled = enabled;
    if (enabled) this.enableInband();
    else this.inband = null;
  }

  private enableInband(): void {
    if (!this.session || this.inband) return;
    this.decoder = new FrameDecoder(this.session.codec.name);
    this.inband = new InbandDtmfDetector({
      sampleRate: this.decoder.detectorRate,
      onDigit: (event) => this.reportDtmf(event),
    });
  }

  async play(prompt: PromptId, loop: boolean): Promise<'done' | 'stopped'> {
    if (!this.encoder) throw new MediaEngineError('not_configured', 'configure() the call before playing prompts');
    const pcm = this.ctx.prompts.get(prompt, this.encoder.pcmRate);
    this.stopPlayback();
    return new Promise((resolve) => {
      this.playback = { pcm, pos: 0, loop, resolve };
    });
  }

  stopPlayback(): void {
    const p = this.playback;
    this.playback = null;
    p?.resolve('stopped');
  }

  /** Joins a room: opens the SFU-facing socket; the worker registers the mixer source and leg. */
  async attachRoom(room: LegRoom, target: RoomSendTarget, participantId: string): Promise<void> {
    if (!this.sfuSocket) {
      const socket = await this.ctx.allocator.allocateSingle(this.ctx.bind);
      if (this.closed) return void this.ctx.allocator.release(socket);
      socket.on('error', () => undefined);
      socket.on('message', () => undefined); // the SFU's RTCP: nothing we need from it
      this.sfuSocket = socket;
    }
    await connectTo(this.sfuSocket, target);
    this.room = room;
    this.sfuTarget = target;
    this.participantId = participantId;
    this.sfuGap = true;
  }

  detachRoom(): void {
    this.room = null;
    this.sfuTarget = null;
    this.participantId = null;
    this.pendingLegPayload = null;
    this.ctx.allocator.release(this.sfuSocket);
    this.sfuSocket = null;
  }

  /** The room's mix for this leg this tick (sent by tick()). */
  setLegPayload(payload: Uint8Array): void {
    this.pendingLegPayload = payload;
  }

  /** The caller's audio for the meeting this tick, as Opus with its level. */
  sendRoomFeed(feed: RoomFeedFrame): void {
    const target = this.sfuTarget;
    const socket = this.sfuSocket;
    if (!target || !socket) return;
    const out = packetBuffer(20 + feed.payload.length);
    const h = this.sfuHeader;
    h.marker = this.sfuGap;
    h.payloadType = target.payloadType;
    h.sequenceNumber = this.sfuSequence;
    h.timestamp = this.sfuTimestamp;
    h.ssrc = target.ssrc;
    this.sfuLevel.extensionId = target.audioLevelExtensionId;
    this.sfuLevel.level = feed.audioLevel;
    this.sfuLevel.voice = feed.voiceActivity;
    const len = writeRtpPacket(out, h, feed.payload);
    this.sfuSequence = (this.sfuSequence + 1) & 0xffff;
    this.sfuGap = false;
    socket.send(out.subarray(0, len));
  }

  /** Called after every tick's room mixes: advances the SFU clock whether or not a feed went out. */
  afterRoomTick(fed: boolean): void {
    this.sfuTimestamp = (this.sfuTimestamp + 960) >>> 0;
    if (!fed) this.sfuGap = true;
  }

  /** One 20 ms tick of the send path, plus the inactivity and RTCP timers. */
  tick(nowMs: number): void {
    const session = this.session;
    const encoder = this.encoder;
    if (!session || !encoder) return;
    const legPayload = this.pendingLegPayload;
    this.pendingLegPayload = null;

    let payload: Uint8Array;
    const p = this.playback;
    if (p) {
      payload = encoder.encode(this.nextPromptFrame(p, encoder.samplesPerFrame));
    } else if (legPayload) {
      payload = legPayload;
    } else {
      payload = encoder.encodeSilence();
    }

    const dest = this.rtpDest;
    if (this.sends() && dest) {
      const out = packetBuffer(12 + payload.length);
      const h = this.rtpHeader;
      h.marker = this.gap;
      h.payloadType = session.codec.payloadType;
      h.sequenceNumber = this.sequence;
      h.timestamp = this.timestamp;
      h.ssrc = this.ssrc;
      const len = writeRtpPacket(out, h, payload);
      this.sequence = (this.sequence + 1) & 0xffff;
      this.gap = false;
      this.packetsSent++;
      this.octetsSent += payload.length;
      let packet: Uint8Array = out.subarray(0, len);
      if (this.srtp) packet = this.srtp.protectRtp(packet);
      this.rtpSender.send(packet, dest);
    } else {
      this.gap = true;
    }
    // Timestamps follow the clock whether or not we sent (RFC 3550 §5.1: silence advances time).
    this.timestamp = (this.timestamp + timestampStepOf(session.codec)) >>> 0;

    this.checkInactivity(nowMs);
    if (nowMs >= this.nextRtcpMs) {
      this.nextRtcpMs = nowMs + this.ctx.config.rtcpIntervalMs;
      this.sendRtcp(nowMs);
    }
  }

  private nextPromptFrame(p: Playback, n: number): Int16Array {
    const frame = this.promptFrame.length === n ? this.promptFrame : (this.promptFrame = new Int16Array(n));
    let filled = 0;
    while (filled < n) {
      const take = Math.min(n - filled, p.pcm.length - p.pos);
      frame.set(p.pcm.subarray(p.pos, p.pos + take), filled);
      filled += take;
      p.pos += take;
      if (p.pos >= p.pcm.length) {
        if (!p.loop) break;
        p.pos = 0;
      }
    }
    frame.fill(0, filled);
    if (p.pos >= p.pcm.length && !p.loop) {
      this.playback = null;
      p.resolve('done');
    }
    return frame;
  }

  /** Whether our direction sends media to the caller. */
  private sends(): boolean {
    const d = this.session?.direction;
    return d === 'sendrecv' || d === 'sendonly';
  }

  /** Whether the caller should be sending to us. */
  private expectsMedia(): boolean {
    const d = this.session?.direction;
    return d === 'sendrecv' || d === 'recvonly';
  }

  private checkInactivity(nowMs: number): void {
    if (this.inactiveReported || !this.expectsMedia()) return;
    const since = Math.max(this.expectSinceMs, this.lastPacketMs ?? -Infinity);
    const silentFor = nowMs - since;
    if (silentFor >= this.ctx.config.inactivityTimeoutMs) {
      this.inactiveReported = true;
      this.ctx.emit(this.callId, { name: 'inactive', silentForMs: Math.round(silentFor) });
    }
  }

  private drop(): void {
    this.ctx.counters.droppedPackets++;
  }

  private onRtp(msg: Uint8Array, rinfo: dgram.RemoteInfo, arrivalMs: number | undefined): void {
    const session = this.session!;
    // Cheap checks on the clear header first: version and an expected payload type.
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return this.drop();
    const pt = msg[1]! & 0x7f;
    const isAudio = pt === session.codec.payloadType;
    const isEvent = pt === session.telephoneEventPayloadType;
    if (!isAudio && !isEvent) return this.drop();
    if (this.latched && !sameAddress(this.rtpDest, rinfo)) return this.drop();

    const packet = clearRtp(this.srtp, msg, this.ctx.counters);
    if (!packet) return;
    const rtp = parseRtp(packet);
    if (!rtp) return this.drop();
    const nowMs = arrivalMs ?? this.now();

    if (session.symmetric && !this.latched) {
      this.latched = true;
      this.rtpDest = { ip: rinfo.address, port: rinfo.port };
      // Muxed RTCP shares the RTP socket, which now talks to the latched peer only.
      if (!this.rtcpLatched || session.rtcpMux) this.rtcpDest = { ip: rinfo.address, port: session.rtcpMux ? rinfo.port : rinfo.port + 1 };
      this.rtpSender.connect(this.rtpDest);
      this.ctx.emit(this.callId, { name: 'remoteLatched', address: { ip: rinfo.address, port: rinfo.port } });
    }
    this.lastPacketMs = nowMs;
    this.packetsReceived++;
    if (this.remoteSsrc !== rtp.ssrc || !this.reception) {
      this.remoteSsrc = rtp.ssrc;
      this.reception = new ReceptionStats(session.codec.clockRate);
    }
    const payload = packet.subarray(rtp.payloadOffset, rtp.payloadOffset + rtp.payloadLength);

    if (isEvent) {
      // Telephone-events share the audio's SSRC and sequence space (RFC 4733 §2.1).
      this.reception.onPacket(rtp.sequenceNumber, rtp.timestamp, nowMs);
      const event = this.rfc4733?.receive({ payloadType: pt, sequenceNumber: rtp.sequenceNumber, timestamp: rtp.timestamp, marker: rtp.marker, ssrc: rtp.ssrc, payload });
      if (event) this.reportDtmf(event);
      return;
    }
    this.reception.onPacket(rtp.sequenceNumber, rtp.timestamp, nowMs);
    if (payload.length === 0) return;
    this.room?.pushLegAudio(this.callId, rtp.sequenceNumber, rtp.timestamp, payload, nowMs);
    if (this.inband && this.decoder) {
      const pcm = this.decoder.decode(payload);
      if (pcm) this.inband.process(pcm);
    }
  }

  private onRtcp(msg: Uint8Array, rinfo: dgram.RemoteInfo, arrivalMs: number | undefined): void {
    const session = this.session!;
    const packet = clearRtcp(this.srtp, msg, this.ctx.counters);
    if (!packet) return;
    const reports = parseRtcp(packet);
    if (!reports) return this.drop();
    const nowMs = arrivalMs ?? this.now();
    this.lastPacketMs = nowMs;
    if (session.symmetric && !this.rtcpLatched) {
      this.rtcpLatched = true;
      // Muxed and RTP already latched: RTCP goes where RTP goes (same socket, same peer).
      if (!(session.rtcpMux && this.latched)) this.rtcpDest = { ip: rinfo.address, port: rinfo.port };
    }
    for (const r of reports) {
      if (r.type === 'sr' && this.reception && r.ssrc === this.remoteSsrc) this.reception.onSenderReport(r.ntpMiddle32, nowMs);
    }
  }

  private reportDtmf(event: DtmfKeyEvent): void {
    if (event.method === 'rfc4733') this.ctx.counters.dtmf.rfc4733++;
    else if (event.method === 'inband') this.ctx.counters.dtmf.inband++;
    this.ctx.emit(this.callId, { name: 'dtmf', dtmf: event });
  }

  private sendRtcp(nowMs: number): void {
    const dest = this.rtcpDest;
    if (!dest || !this.session) return;
    const out = packetBuffer(RTCP_BYTES);
    const blocks: ReportBlock[] = this.reception && this.remoteSsrc !== null ? [this.reception.reportBlock(this.remoteSsrc, nowMs)] : [];
    const len =
      this.packetsSent > 0
        ? buildSenderReport(out, {
            ssrc: this.ssrc,
            ntpTimeMs: Date.now(),
            rtpTimestamp: this.timestamp,
            packetCount: this.packetsSent,
            octetCount: this.octetsSent,
            reports: blocks,
            cname: CNAME,
          })
        : buildReceiverReport(out, { ssrc: this.ssrc, reports: blocks, cname: CNAME });
    let packet: Uint8Array = out.subarray(0, len);
    if (this.srtp) packet = this.srtp.protectRtcp(packet);
    if (this.session.rtcpMux) this.rtpSender.send(packet, dest);
    else this.rtcpSocket.send(packet, dest.port, dest.ip);
  }

  stats(): CallMediaStats {
    return {
      packetsReceived: this.packetsReceived,
      packetsSent: this.packetsSent,
      packetsLost: Math.max(0, this.reception?.cumulativeLost ?? 0),
      jitterMs: this.reception?.jitterMs ?? 0,
      lastPacketAgoMs: this.lastPacketMs === null ? null : Math.round(this.now() - this.lastPacketMs),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopPlayback();
    this.detachRoom();
    this.rtpSender.close();
    this.ctx.allocator.release(this.rtpSocket);
    this.ctx.allocator.release(this.rtcpSocket);
  }
}
